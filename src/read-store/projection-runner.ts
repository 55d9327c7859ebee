// One projection generation's worker: applies batches of events and commits each batch's documents together with
// its checkpoint. Exactly-once in effect: events at or below the checkpoint are skipped (redelivery, replays),
// and the checkpoint guard in commitBatch turns a batch raced by another worker into a no-op.
import { Logger } from '@nestjs/common';
import { comparePositions, type StoredEvent } from '../event-store/event-store.port';
import { checkpointKeyOf, CollectionMap, physicalName } from './generations';
import {
  CheckpointConflictError,
  type DeadLetter,
  type DocumentWriter,
  type Filter,
  type FindOptions,
  type Projection,
  type ReadStore,
} from './read-store.port';

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
 * shared, read-only (as inside a batch). Least recently used entries go first.
 */
export class DocumentCache {
  private readonly entries = new Map<string, object | null>();
  constructor(private readonly capacity: number) {}

  static key(collection: string, id: string): string {
    return `${collection}\u0000${id}`;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): object | null | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: object | null): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.evictOldest();
  }

  /**
   * Drops the least recently used entry. One iterator is kept across calls: everything it has passed was
   * evicted (or deleted), and entries (re)inserted go to the end, so its next key is always the oldest. A fresh
   * `keys()` per eviction would walk over the deleted slots at the head of the Map again every time (V8 keeps
   * them until it rehashes), which made the eviction cost grow with the cache.
   */
  private evictOldest(): void {
    let next = this.oldest?.next();
    if (!next || next.done) {
      this.oldest = this.entries.keys();
      next = this.oldest.next();
    }
    if (!next.done) this.entries.delete(next.value);
  }

  private oldest: Iterator<string> | null = null;

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.oldest = null;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Which keys were written, approximately: never a false "no" (a key written is always found), sometimes a false
 * "yes" (then the store is asked, as without it). 2 MB answers for a few million keys at a few percent error.
 */
export class KeyFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  constructor(log2Bits = 24) {
    this.bits = new Uint32Array(2 ** (log2Bits - 5));
    this.mask = 2 ** log2Bits - 1;
  }
  add(key: string): void {
    this.hash(key);
    const h1 = this.h1;
    const h2 = this.h2;
    for (let i = 0; i < 7; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }
  has(key: string): boolean {
    this.hash(key);
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
  private hash(key: string): void {
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ key.length;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    this.h1 = a >>> 0;
    this.h2 = (b >>> 0) | 1;
  }
}

/**
 * A batch's writer as the projection sees it: logical collection names, and reads served from the runner's
 * document cache when the batch has not touched the document. Records what the batch wrote, for the cache.
 */
class BatchWriter implements DocumentWriter {
  readonly touched = new Map<string, object | null>();

  constructor(
    private readonly target: DocumentWriter,
    private readonly map: CollectionMap,
    private readonly cache: DocumentCache,
    /** The keys committed so far, when this runner fills its generation from empty alone (a rebuild). */
    private readonly written: KeyFilter | null,
  ) {}

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    const physical = this.map(collection);
    const key = DocumentCache.key(physical, id);
    if (!this.touched.has(key)) {
      const cached = this.cache.get(key);
      if (cached !== undefined) return cached as T | null;
      // Never written into this (new) generation: no need to ask the store. Most reads of a rebuild are these
      // (the first event of every order looks for documents that do not exist yet).
      if (this.written && !this.written.has(key)) return null;
      const committed = await this.target.get<T>(physical, id);
      this.cache.set(key, committed);
      return committed;
    }
    return this.target.get<T>(physical, id);
  }
  find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return this.target.find<T>(this.map(collection), filter, options);
  }
  count(collection: string, filter: Filter): Promise<number> {
    return this.target.count(this.map(collection), filter);
  }
  async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    const physical = this.map(collection);
    await this.target.put(physical, id, doc);
    this.touched.set(DocumentCache.key(physical, id), doc);
  }
  async delete(collection: string, id: string): Promise<void> {
    const physical = this.map(collection);
    await this.target.delete(physical, id);
    this.touched.set(DocumentCache.key(physical, id), null);
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
    this.map = (c) => (this.owned.has(c) ? physicalName(c, generation) : c);
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

  stopTrackingWrites(): void {
    this.written = null;
  }

  /** Forgets a document (written outside this runner). */
  invalidate(physicalCollection: string, id: string): void {
    this.cache.delete(DocumentCache.key(physicalCollection, id));
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
    let pending = events.filter((e) => comparePositions(e.position, this.checkpoint) > 0);
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
        pending = pending.filter((e) => comparePositions(e.position, this.checkpoint) > 0);
        continue;
      }
      if (outcome.failedAt < 0) throw outcome.error;
      // Everything before the failing event is fine: commit it, then deal with the failing one alone.
      if (outcome.failedAt > 0) {
        committed += await this.processNow(pending.slice(0, outcome.failedAt), signal);
      }
      const failing = pending[outcome.failedAt];
      committed += await this.retryOrPark(failing, outcome.error, signal);
      pending = pending
        .slice(outcome.failedAt + 1)
        .filter((e) => comparePositions(e.position, this.checkpoint) > 0);
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
        batchWriter = new BatchWriter(writer, this.map, this.cache, this.written);
        for (let i = 0; i < batch.length; i++) {
          failedAt = i;
          await this.projection.apply(batch[i], batchWriter);
        }
        failedAt = -1;
      });
    } catch (error) {
      return { ok: false, conflict: error instanceof CheckpointConflictError, failedAt, error };
    }
    for (const [key, doc] of (batchWriter as BatchWriter | null)?.touched ?? []) {
      this.cache.set(key, doc);
      this.written?.add(key);
    }
    this.advance(batch, true);
    return { ok: true };
  }

  private advance(batch: readonly StoredEvent[], applied: boolean): void {
    const last = batch[batch.length - 1];
    this.checkpoint = last.position;
    if (comparePositions(this.observed, this.checkpoint) < 0) this.observed = this.checkpoint;
    this.lastCommitAt = new Date().toISOString();
    this.failure = null;
    if (!applied) return;
    this.eventsApplied += batch.length;
    this.lastAppliedRecordedAt = last.recordedAt;
    if (!this.sampleLag) return;
    const committedAt = Date.now();
    for (const e of batch) this.lagMs.add(committedAt - Date.parse(e.recordedAt));
  }
}
