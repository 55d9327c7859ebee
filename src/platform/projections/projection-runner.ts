// One projection generation's worker: applies batches of events and commits each batch's documents together with
// its checkpoint. Exactly-once in effect: events at or below the checkpoint are skipped (redelivery, replays),
// and the checkpoint guard in commitBatch turns a batch raced by another worker into a no-op.
import { Logger } from '@nestjs/common';
import { comparePositions, type StoredEvent } from '../event-store/event-store.port';
import { assertDocument, type Changes, changesOf, handOverChanges } from './buffered-writer';
import { StreamFold } from './stream-fold';
import { checkpointKeyOf, CollectionMap, physicalName } from './generations';
import {
  CheckpointConflictError,
  type DeadLetter,
  type DocumentWriter,
  type Filter,
  type FindOptions,
  type Projection,
  type ReadStore,
} from '../read-store/read-store.port';

export interface RetryPolicy {
  /** Attempts per failing event, the first (inside its batch) included, before it is parked. */
  maxAttempts: number;
  /** Delay before the 2nd attempt; each further one waits 4× longer. */
  baseDelayMs: number;
}

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

/** Resolves after `ms`, or rejects with AbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const describeError = (e: unknown): string =>
  e instanceof Error
    ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}`
    : String(e);

/** A small ring of recent samples, for percentiles without keeping everything. */
export class SampleWindow {
  private readonly samples: number[] = [];
  private next = 0;
  /** Sorted copy, reused until a new sample arrives (/health may be polled often). */
  private sorted: number[] | null = null;
  constructor(private readonly capacity = 4096) {}
  add(value: number): void {
    this.sorted = null;
    if (this.samples.length < this.capacity) this.samples.push(value);
    else {
      this.samples[this.next] = value;
      this.next = (this.next + 1) % this.capacity;
    }
  }
  get size(): number {
    return this.samples.length;
  }
  percentile(p: number): number | null {
    if (this.samples.length === 0) return null;
    this.sorted ??= Float64Array.from(this.samples).sort() as unknown as number[];
    const sorted = this.sorted;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  }
  clear(): void {
    this.samples.length = 0;
    this.next = 0;
    this.sorted = null;
  }
}

/**
 * The documents this runner committed (or read) recently, parsed: the next batches of a projection mostly touch
 * the same orders, and a cached document saves a store read and a JSON parse. Valid because the runner is its
 * generation's only writer: a checkpoint conflict (another worker) clears it, and writes to a projection's
 * collections made outside projections invalidate their documents (RoutedReadStore -> engine). Documents are
 * shared, read-only (as inside a batch).
 *
 * Two generations instead of an exact LRU (a hit costs lookups, not a Map delete + insert): entries go to the
 * young generation; when it holds half the capacity it becomes the old one and the previous old one is dropped;
 * a hit in the old generation moves the entry back to the young one. So between capacity/2 and capacity of the
 * most recently used entries stay. Keyed per collection, then id (no concatenated key strings to hash).
 */
export class DocumentCache {
  private young = new Map<string, Map<string, object | null>>();
  private old = new Map<string, Map<string, object | null>>();
  private youngSize = 0;
  private readonly half: number;
  constructor(private readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  /** Whether it is cached, without counting as a use. */
  has(collection: string, id: string): boolean {
    return (this.young.get(collection)?.has(id) ?? false) || (this.old.get(collection)?.has(id) ?? false);
  }

  get(collection: string, id: string): object | null | undefined {
    const hit = this.young.get(collection)?.get(id);
    if (hit !== undefined) return hit;
    const old = this.old.get(collection);
    const value = old?.get(id);
    if (value !== undefined) {
      old!.delete(id);
      this.set(collection, id, value);
    }
    return value;
  }

  set(collection: string, id: string, value: object | null): void {
    if (this.capacity <= 0) return;
    let docs = this.young.get(collection);
    if (!docs) {
      docs = new Map();
      this.young.set(collection, docs);
    }
    const size = docs.size;
    docs.set(id, value);
    if (docs.size === size) return; // replaced
    this.old.get(collection)?.delete(id);
    if (++this.youngSize >= this.half) {
      this.old = this.young;
      this.young = new Map();
      this.youngSize = 0;
    }
  }

  delete(collection: string, id: string): void {
    if (this.young.get(collection)?.delete(id)) this.youngSize--;
    this.old.get(collection)?.delete(id);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngSize = 0;
  }

  get size(): number {
    let n = 0;
    for (const docs of this.young.values()) n += docs.size;
    for (const docs of this.old.values()) n += docs.size;
    return n;
  }
}

/**
 * Which (collection, id) keys were written, approximately: never a false "no" (a key written is always found),
 * sometimes a false "yes" (then the store is asked, as without it). 2 MB answers for a few million keys at a
 * few percent error.
 */
export class KeyFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  /** Per-collection hash seeds: the collection takes part in the key without building a key string. */
  private readonly seeds = new Map<string, number>();
  constructor(log2Bits = 24) {
    this.bits = new Uint32Array(2 ** (log2Bits - 5));
    this.mask = 2 ** log2Bits - 1;
  }
  add(collection: string, id: string): void {
    this.hash(collection, id);
    const h1 = this.h1;
    const h2 = this.h2;
    for (let i = 0; i < 7; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }
  has(collection: string, id: string): boolean {
    this.hash(collection, id);
    const h1 = this.h1;
    const h2 = this.h2;
    for (let i = 0; i < 7; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  private h1 = 0;
  private h2 = 0;
  /** Two 32-bit FNV-1a variants, for double hashing, into h1/h2 (no array per call: it runs for every read). */
  private hash(collection: string, id: string): void {
    let seed = this.seeds.get(collection);
    if (seed === undefined) {
      seed = 0x811c9dc5;
      for (let i = 0; i < collection.length; i++)
        seed = Math.imul(seed ^ collection.charCodeAt(i), 0x01000193);
      this.seeds.set(collection, seed);
    }
    let a = seed;
    let b = 0x01000193 ^ id.length ^ seed;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    this.h1 = a >>> 0;
    this.h2 = (b >>> 0) | 1;
  }
}

/** The events past `position` (positions ascend: when the first one is past it, all are, the usual case). */
function eventsAfter(events: readonly StoredEvent[], position: string | null): readonly StoredEvent[] {
  return events.length > 0 && comparePositions(events[0].position, position) > 0
    ? events
    : events.filter((e) => comparePositions(e.position, position) > 0);
}

/** Changes of a batch handed to the store and not yet committed: the next batch reads through them. */
interface InflightChanges {
  touched: Changes;
}

/** A projection queried (find/count) inside a streamed batch: it is applied in page-sized batches instead. */
export class StreamingUnsupportedError extends Error {
  constructor() {
    super('find/count inside a streamed rebuild batch');
    this.name = 'StreamingUnsupportedError';
  }
}

/**
 * A batch's writer as the projection sees it: logical collection names, reads served from the batch's own
 * changes and the runner's document cache first. Changes are kept here and handed to the store's writer once
 * per document at the end of the batch (or before a find, which the store must answer over them): a projection
 * puts the same document several times per batch, and each hand-over costs the store's bookkeeping.
 */
class BatchWriter implements DocumentWriter {
  /** Everything this batch changed, for the store and, once committed, the cache. */
  readonly touched: Changes = new Map();
  /** Some changes went to the target before the end (a find): deletes must follow them there. */
  private handedOver = false;
  /** A find/count was refused (no target yet): the batch cannot be streamed, even if the projection caught it. */
  queried = false;

  constructor(
    /** The store's batch writer; null while a streamed batch fills (attached when it commits). */
    private target: DocumentWriter | null,
    /** Where committed documents are read: the target, or the store itself for a streamed batch. */
    private readonly reader: Pick<DocumentWriter, 'get'>,
    private readonly map: CollectionMap,
    private readonly cache: DocumentCache,
    /** The keys committed so far, when this runner fills its generation from empty alone (a rebuild). */
    private readonly written: KeyFilter | null,
    /** The previous batch, still being committed (streamed batches): newer than the store and the cache. */
    private readonly inflight: InflightChanges | null = null,
  ) {}

  attach(target: DocumentWriter): void {
    this.target = target;
  }

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    const physical = this.map(collection);
    let own = this.touched.get(physical)?.get(id);
    if (own === undefined && this.inflight) own = this.inflight.touched.get(physical)?.get(id);
    if (own !== undefined) return own as T | null;
    // Never written into this (new) generation: no need to ask the store. Most reads of a rebuild that miss the
    // batches are these (the first event of every order looks for documents that do not exist yet). Asked before
    // the cache, which holds only keys the filter has.
    if (this.written && !this.written.has(physical, id)) return null;
    const cached = this.cache.get(physical, id);
    if (cached !== undefined) return cached as T | null;
    const committed = await this.reader.get<T>(physical, id);
    this.cache.set(physical, id, committed);
    return committed;
  }
  async find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    const target = await this.handOver(false);
    return target.find<T>(this.map(collection), filter, options);
  }
  async count(collection: string, filter: Filter): Promise<number> {
    const target = await this.handOver(false);
    return target.count(this.map(collection), filter);
  }
  async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    // Checked now, not at the hand-over: a bad document is the failing event's, to retry and park.
    assertDocument(collection, id, doc);
    changesOf(this.touched, this.map(collection)).set(id, doc);
  }
  async delete(collection: string, id: string): Promise<void> {
    const physical = this.map(collection);
    // A document never committed and never handed over: nothing to delete in the store (a rebuild's deadlines
    // come and go within one batch). Forgetting it keeps it out of the hand-over; reads of it still find nothing
    // (not in the batch, and the key filter says no: the cache and the committing batch hold only keys it has).
    if (this.written && !this.handedOver && !this.written.has(physical, id)) {
      this.touched.get(physical)?.delete(id);
      return;
    }
    changesOf(this.touched, physical).set(id, null);
  }

  /** Hands the batch's changes to the store's writer, once per document (again after a find: harmless). */
  async handOver(final: boolean): Promise<DocumentWriter> {
    const target = this.target;
    if (!target) {
      this.queried = true;
      throw new StreamingUnsupportedError();
    }
    this.handedOver = true;
    // At the end, the store's own batch buffer takes the whole maps (nothing changes them any more).
    await handOverChanges(target, this.touched, final);
    return target;
  }
}

export interface RunnerFailure {
  message: string;
  /** ISO-8601 */
  since: string;
  attempts: number;
}

export class ProjectionRunner {
  readonly checkpointKey: string;
  /** Last committed position (null: nothing yet). */
  checkpoint: string | null = null;
  /**
   * Processed through here: the checkpoint, or further when it is known that no event of the feed lies between
   * the checkpoint and this position (waitForPosition on a position outside the projection's stream prefix).
   */
  observed: string | null = null;
  lastAppliedRecordedAt: string | null = null;
  lastCommitAt: string | null = null;
  eventsApplied = 0;
  deadLetters = 0;
  /** Set while a batch keeps failing outside any one event (store unavailable...); cleared by the next commit. */
  failure: RunnerFailure | null = null;
  /** append (recordedAt) -> committed, in ms, for the recent events. */
  readonly lagMs = new SampleWindow(16_384);
  /** Off while rebuilding: append->commit lag means nothing for history. */
  sampleLag = true;
  /**
   * Keys committed into this generation, kept while a rebuild fills it from empty (see trackWrites): absent
   * documents are then known without a store read. null otherwise (the live runner is not alone in principle).
   */
  private written: KeyFilter | null = null;
  private readonly logger: Logger;
  private readonly owned: Set<string>;
  private readonly map: CollectionMap;
  private lock: Promise<unknown> = Promise.resolve();
  readonly cache: DocumentCache;
  /** Streamed batches: the one filling, the one committing, how far events were fed, a failed commit. */
  private open: { writer: BatchWriter; count: number; last: StoredEvent } | null = null;
  private inflight: (InflightChanges & { done: Promise<void>; settled: boolean }) | null = null;
  private fedThrough: string | null = null;
  private commitError: unknown = null;

  constructor(
    readonly projection: Projection,
    readonly generation: number,
    private readonly store: ReadStore,
    private readonly retry: RetryPolicy,
    private readonly now: () => Date = () => new Date(),
    cacheSize = 10_000,
  ) {
    this.cache = new DocumentCache(cacheSize);
    this.checkpointKey = checkpointKeyOf(projection.name, generation);
    this.logger = new Logger(`Projection ${this.checkpointKey}`);
    this.owned = new Set(Object.keys(projection.collections));
    // Memoized: called for every get/put; a fresh concatenated string would be hashed anew each time.
    const names = new Map<string, string>();
    this.map = (c) => {
      let physical = names.get(c);
      if (physical === undefined) {
        physical = this.owned.has(c) ? physicalName(c, generation) : c;
        names.set(c, physical);
      }
      return physical;
    };
  }

  /**
   * Creates the generation's collections and loads its checkpoint. A rebuild defers the indexes (`withIndexes`
   * false): building them once over the filled collections is far cheaper than maintaining them row by row, and
   * projections read only by id while applying. ensureIndexes() adds them before the generation goes live.
   */
  async init(options: { withIndexes?: boolean } = {}): Promise<void> {
    for (const [collection, indexes] of Object.entries(this.projection.collections)) {
      const physical = physicalName(collection, this.generation);
      await this.store.ensureCollection(physical, options.withIndexes === false ? [] : indexes);
    }
    await this.reload();
    this.deadLetters = (await this.store.listDeadLetters(this.checkpointKey)).length;
  }

  async ensureIndexes(): Promise<void> {
    for (const [collection, indexes] of Object.entries(this.projection.collections)) {
      await this.store.ensureCollection(physicalName(collection, this.generation), indexes);
    }
  }

  /**
   * For a rebuild into a fresh, empty generation that only this runner writes: remember every key committed,
   * so reads of documents never written skip the store. Ends with stopTrackingWrites() (before going live).
   */
  trackWrites(): void {
    if (this.checkpoint === null) this.written = new KeyFilter();
  }

  /**
   * The first phase of rebuilding a projection partitioned by stream into this (empty) generation: a writer that
   * folds one stream at a time (see StreamFold). Ends with foldedThrough() once its finish() committed.
   */
  foldByStream(
    retry: (what: string, write: () => Promise<unknown>) => Promise<void>,
    commitEvery: number,
  ): StreamFold {
    return new StreamFold(
      {
        projection: this.projection,
        store: this.store,
        map: this.map,
        checkpointKey: this.checkpointKey,
        retry,
      },
      commitEvery,
    );
  }

  /** The stream fold committed everything through `position` (`applied` events): the feed goes on from there. */
  foldedThrough(position: string, applied: number, lastRecordedAt: string | null): void {
    this.checkpoint = position;
    if (comparePositions(this.observed, position) < 0) this.observed = position;
    this.fedThrough = null;
    this.eventsApplied += applied;
    this.lastAppliedRecordedAt = lastRecordedAt;
    this.lastCommitAt = new Date().toISOString();
    // Its keys were not tracked: from here on, reads that miss ask the store.
    this.written = null;
    this.cache.clear();
  }

  stopTrackingWrites(): void {
    this.written = null;
  }

  /** Forgets a document (written outside this runner). */
  invalidate(physicalCollection: string, id: string): void {
    this.cache.delete(physicalCollection, id);
  }

  owns(physicalCollection: string): boolean {
    for (const c of this.owned) if (physicalName(c, this.generation) === physicalCollection) return true;
    return false;
  }

  async reload(): Promise<void> {
    // Whoever moved the checkpoint may have written documents too.
    this.cache.clear();
    this.written = null;
    this.checkpoint = await this.store.getCheckpoint(this.checkpointKey);
    if (comparePositions(this.observed, this.checkpoint) < 0) this.observed = this.checkpoint;
  }

  collectionName(collection: string): string {
    return this.map(collection);
  }

  /** Runs `fn` with no other process() of this runner in flight. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Applies the events after the checkpoint (in position order) and commits. An event whose apply throws is
   * retried alone with backoff, then parked as a dead letter and skipped. A failure outside any event's apply
   * (the commit itself) is thrown: the caller backs off and calls again. Returns how many events were committed.
   */
  process(events: readonly StoredEvent[], signal?: AbortSignal): Promise<number> {
    return this.exclusive(() => this.processNow(events, signal));
  }

  private async processNow(events: readonly StoredEvent[], signal?: AbortSignal): Promise<number> {
    let pending = eventsAfter(events, this.checkpoint);
    let committed = 0;
    while (pending.length > 0) {
      const outcome = await this.tryCommit(pending);
      if (outcome.ok) {
        committed += pending.length;
        break;
      }
      if (outcome.conflict) {
        // Another worker moved the checkpoint: its work stands; continue after it.
        await this.reload();
        pending = eventsAfter(pending, this.checkpoint);
        continue;
      }
      if (outcome.failedAt < 0) throw outcome.error;
      // Everything before the failing event is fine: commit it, then deal with the failing one alone.
      if (outcome.failedAt > 0) {
        committed += await this.processNow(pending.slice(0, outcome.failedAt), signal);
      }
      const failing = pending[outcome.failedAt];
      committed += await this.retryOrPark(failing, outcome.error, signal);
      pending = eventsAfter(pending.slice(outcome.failedAt + 1), this.checkpoint);
    }
    return committed;
  }

  private async retryOrPark(event: StoredEvent, firstError: unknown, signal?: AbortSignal): Promise<number> {
    let error = firstError;
    for (let attempt = 2; attempt <= this.retry.maxAttempts; attempt++) {
      await sleep(this.retry.baseDelayMs * 4 ** (attempt - 2), signal);
      if (comparePositions(event.position, this.checkpoint) <= 0) return 0;
      const outcome = await this.tryCommit([event]);
      if (outcome.ok) return 1;
      if (outcome.conflict) {
        await this.reload();
        return 0;
      }
      if (outcome.failedAt < 0) throw outcome.error;
      error = outcome.error;
    }
    const letter: DeadLetter = {
      id: `${this.checkpointKey}:${event.position}`,
      checkpointKey: this.checkpointKey,
      projection: this.projection.name,
      position: event.position,
      eventId: event.id,
      eventType: event.type,
      streamName: event.streamName,
      error: describeError(error),
      attempts: this.retry.maxAttempts,
      parkedAt: this.now().toISOString(),
      event,
    };
    this.logger.error(
      `parked event ${event.type} #${event.position} (${event.streamName}) after ${letter.attempts} attempts: ${letter.error}`,
    );
    try {
      await this.store.commitBatch(
        this.checkpointKey,
        this.checkpoint,
        event.position,
        async () => undefined,
        {
          deadLetters: [letter],
        },
      );
    } catch (e) {
      if (e instanceof CheckpointConflictError) {
        await this.reload();
        return 0;
      }
      throw e;
    }
    this.advance([event], false);
    this.deadLetters++;
    return 0;
  }

  private async tryCommit(
    batch: readonly StoredEvent[],
  ): Promise<{ ok: true } | { ok: false; conflict: boolean; failedAt: number; error: unknown }> {
    const last = batch[batch.length - 1].position;
    let failedAt = -1;
    let batchWriter: BatchWriter | null = null;
    try {
      await this.store.commitBatch(this.checkpointKey, this.checkpoint, last, async (writer) => {
        batchWriter = new BatchWriter(writer, writer, this.map, this.cache, this.written);
        for (let i = 0; i < batch.length; i++) {
          failedAt = i;
          await this.projection.apply(batch[i], batchWriter);
        }
        failedAt = -1;
        await batchWriter.handOver(true);
      });
    } catch (error) {
      return { ok: false, conflict: error instanceof CheckpointConflictError, failedAt, error };
    }
    const touched = (batchWriter as BatchWriter | null)?.touched;
    if (touched) {
      this.remember(touched);
      this.markWritten(touched);
    }
    this.advance(batch, true);
    return { ok: true };
  }

  private advance(batch: readonly StoredEvent[], applied: boolean): void {
    this.advanceTo(batch[batch.length - 1], applied ? batch.length : 0);
    if (!applied || !this.sampleLag) return;
    const committedAt = Date.now();
    for (const e of batch) this.lagMs.add(committedAt - Date.parse(e.recordedAt));
  }

  /** The checkpoint is now `last`; `applied` events were applied (0: parked). */
  private advanceTo(last: StoredEvent, applied: number): void {
    this.checkpoint = last.position;
    if (comparePositions(this.observed, this.checkpoint) < 0) this.observed = this.checkpoint;
    if (comparePositions(this.fedThrough, this.checkpoint) < 0) this.fedThrough = this.checkpoint;
    this.lastCommitAt = new Date().toISOString();
    this.failure = null;
    if (applied === 0) return;
    this.eventsApplied += applied;
    this.lastAppliedRecordedAt = last.recordedAt;
  }

  // ---- streamed batches (rebuilds) ---------------------------------------------------------------------------
  //
  // A rebuild reads the feed in small pages (a page's events die young instead of being copied by the garbage
  // collector while a big batch is applied) and commits big batches (a document many events change is written
  // once per batch): pages are applied into an open batch until it holds `batchEvents` events. The batch is then
  // handed to the store and the next one fills while it commits; its reads see the committing batch's changes
  // first. At most one batch is in flight: the next is handed over only after it committed, and keeps filling
  // meanwhile (up to 4 batches' worth) when that commit is slow to get the write lock.
  //
  // Anything going wrong (an event failing, a commit refused) ends streaming for the moment: resetStream()
  // drops the open batch and settles the one in flight; the caller then reads again from the checkpoint and
  // applies page by page with process(), which retries and parks as usual.

  /** Position through which events were applied into a batch (open, committing or committed). */
  get fed(): string | null {
    return comparePositions(this.fedThrough, this.checkpoint) > 0 ? this.fedThrough : this.checkpoint;
  }

  /**
   * Applies `events` (ascending; those at or before `fed` are skipped) into the open batch, and hands the batch
   * to the store once it holds `batchEvents` events and the previous one committed. While that one still
   * commits (another process holding SQLite's write lock: a parallel rebuild job's index build), the open batch
   * keeps filling instead of waiting, up to 4 × `batchEvents`. Throws what went wrong (an event's apply, a
   * commit): the caller then calls resetStream().
   */
  feed(events: readonly StoredEvent[], batchEvents: number): Promise<void> {
    return this.exclusive(async () => {
      const pending = eventsAfter(events, this.fed);
      if (pending.length === 0) return;
      this.throwIfCommitFailed();
      const open = (this.open ??= {
        writer: new BatchWriter(null, this.store, this.map, this.cache, this.written, this.inflight),
        count: 0,
        last: pending[0],
      });
      for (let i = 0; i < pending.length; i++) await this.projection.apply(pending[i], open.writer);
      if (open.writer.queried) throw new StreamingUnsupportedError();
      open.count += pending.length;
      open.last = pending[pending.length - 1];
      this.fedThrough = open.last.position;
      const committing = this.inflight !== null && !this.inflight.settled;
      if (open.count >= batchEvents && (!committing || open.count >= 4 * batchEvents))
        await this.commitOpen();
    });
  }

  /** Commits the open batch and waits until nothing is in flight. */
  flush(): Promise<void> {
    return this.exclusive(async () => {
      if (this.open) await this.commitOpen();
      await this.settleInflight();
      this.throwIfCommitFailed();
    });
  }

  /** Drops the open batch and waits for the one in flight: the checkpoint is then where to read again from. */
  resetStream(): Promise<void> {
    return this.exclusive(async () => {
      this.open = null;
      await this.settleInflight();
      const conflict = this.commitError instanceof CheckpointConflictError;
      this.commitError = null;
      this.fedThrough = null;
      // Documents of the dropped batch may be cached by nobody, but committed ones are: start clean. The key
      // filter stays valid (a superset of the committed keys) unless someone else wrote (a conflict).
      this.cache.clear();
      if (conflict) await this.reload();
      else this.checkpoint = await this.store.getCheckpoint(this.checkpointKey);
    });
  }

  private async commitOpen(): Promise<void> {
    const batch = this.open!;
    this.open = null;
    // One batch in flight at a time: the store has committed the previous one before this one goes.
    await this.settleInflight();
    this.throwIfCommitFailed();
    const { writer, last, count } = batch;
    const inflight: InflightChanges & { done: Promise<void>; settled: boolean } = {
      touched: writer.touched,
      done: Promise.resolve(),
      settled: false,
    };
    inflight.done = this.store
      .commitBatch(this.checkpointKey, this.checkpoint, last.position, async (w) => {
        writer.attach(w);
        await writer.handOver(true);
        // Known to the filter from now on (a superset of what is committed is fine): the next batch's deletes of
        // these documents must reach the store.
        this.markWritten(writer.touched);
      })
      .then(
        () => {
          inflight.settled = true;
          // Not cached: the next batch reads through this one's changes, and a rebuild's orders rarely outlive two
          // big batches (measured: about 100 of 3 million reads hit the cache). Caching cost a Map insert and an
          // eviction per document, and kept the documents alive into the old generation.
          this.advanceTo(last, count);
        },
        (error: unknown) => {
          inflight.settled = true;
          this.commitError = error ?? new Error('commit failed');
        },
      );
    this.inflight = inflight;
  }

  /** A committed batch's documents, for the next batches' reads. */
  private remember(touched: Changes): void {
    for (const [collection, docs] of touched)
      for (const [id, doc] of docs) this.cache.set(collection, id, doc);
  }

  /** Keys the store has (or is about to have), while a rebuild tracks them. */
  private markWritten(touched: Changes): void {
    const written = this.written;
    if (written)
      for (const [collection, docs] of touched) for (const id of docs.keys()) written.add(collection, id);
  }

  private async settleInflight(): Promise<void> {
    const inflight = this.inflight;
    if (!inflight) return;
    await inflight.done;
    if (this.inflight === inflight) this.inflight = null;
  }

  private throwIfCommitFailed(): void {
    if (this.commitError) throw this.commitError;
  }
}
