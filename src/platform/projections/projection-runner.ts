// One generation's worker: a batch's documents commit with its checkpoint, guarded: a batch raced by another worker
// (a paused ex-leader) conflicts, its work stands and this runner reloads. An event that keeps failing is parked.
import { Logger } from '@nestjs/common';
import { comparePositions, type EventStore, type StoredEvent } from '../event-store/event-store.port';
import {
  CheckpointConflictError,
  type DeadLetter,
  type DocumentWriter,
  type Projection,
  type ReadStore,
} from '../read-store/read-store.port';
import { checkpointKeyOf, type CollectionMap, MappedWriter, physicalName } from './generations';

const logger = new Logger('ProjectionRunner');
export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
export const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
export const maxPosition = (a: string | null, b: string | null): string | null =>
  comparePositions(a, b) >= 0 ? a : b;
export const minPosition = (positions: (string | null)[]): string | null =>
  positions.reduce((min, p) => (comparePositions(p, min) < 0 ? p : min), positions[0] ?? null);

/** Resolves after `ms`, when `signal` aborts, or when one of `wakers` is called (it is in the set meanwhile). */
export function pause(ms: number, signal?: AbortSignal, wakers?: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      wakers?.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    wakers?.add(done);
  });
}

/** A ring of recent samples, for percentiles without keeping everything. */
export class SampleWindow {
  private readonly samples: number[] = [];
  private next = 0;
  private sorted: Float64Array | null = null; // reused until a new sample arrives (/health is polled often)
  constructor(private readonly capacity = 4096) {}
  add(value: number): void {
    this.sorted = null;
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }
  get size(): number {
    return this.samples.length;
  }
  percentile(p: number): number | null {
    if (this.samples.length === 0) return null;
    const sorted = (this.sorted ??= Float64Array.from(this.samples).sort());
    return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  }
}

/** Recent parsed documents per collection, valid while the runner is its generation's only writer. */
export class DocumentCache {
  private readonly collections = new Map<string, Map<string, object | null>>();
  /** A build on an empty generation: the ids stored in each collection read before anything was stored in it. */
  stored: Map<string, Set<string> | null> | null = null;
  constructor(private readonly capacity: number) {}

  /** undefined: ask the store; null: absent (cached, or not among the ids `stored` follows). */
  get(collection: string, id: string): object | null | undefined {
    const doc = this.collections.get(collection)?.get(id);
    if (doc !== undefined || !this.stored) return doc;
    let ids = this.stored.get(collection);
    if (ids === undefined) this.stored.set(collection, (ids = new Set()));
    return ids === null || ids.has(id) ? undefined : null;
  }

  set(collection: string, id: string, value: object | null): void {
    let docs = this.collections.get(collection);
    if (!docs) this.collections.set(collection, (docs = new Map()));
    docs.set(id, value);
    const ids = this.stored?.get(collection);
    if (ids) ids.add(id);
    else if (ids === undefined) this.stored?.set(collection, null); // stored before read: not followed
    if (docs.size <= this.capacity) return;
    for (const old of docs.keys()) {
      docs.delete(old);
      if (docs.size <= this.capacity / 2) break;
    }
  }

  delete(collection: string, id: string): void {
    this.collections.get(collection)?.delete(id);
  }

  clear(all = false): void {
    this.collections.clear();
    if (all) this.stored = null;
  }
}

/** A projection's view of a batch: logical names, reads from the cache first (a batch that fails clears it). */
class BatchWriter extends MappedWriter {
  constructor(
    target: DocumentWriter,
    map: CollectionMap,
    private readonly cache: DocumentCache,
  ) {
    super(target, map);
  }
  override async get<T extends object>(collection: string, id: string): Promise<T | null> {
    const physical = this.map(collection);
    const cached = this.cache.get(physical, id);
    if (cached !== undefined) return cached as T | null;
    const doc = await this.target.get<T>(physical, id);
    this.cache.set(physical, id, doc);
    return doc;
  }
  override async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    const physical = this.map(collection);
    await this.target.put(physical, id, doc);
    this.cache.set(physical, id, doc);
  }
  override async delete(collection: string, id: string): Promise<void> {
    const physical = this.map(collection);
    await this.target.delete(physical, id);
    this.cache.set(physical, id, null);
  }
}

type Outcome = 'ok' | 'moved' | { failedAt: number; error: unknown };

export class ProjectionRunner {
  readonly checkpointKey: string;
  checkpoint: string | null = null; // last committed position
  observed: string | null = null; // the checkpoint, or further when no event of the feed lies in between
  lastAppliedRecordedAt: string | null = null;
  deadLetters = 0;
  failure: { message: string; since: string; attempts: number } | null = null; // batches failing (store down)
  readonly lagMs = new SampleWindow(16_384); // append (recordedAt) -> committed, recent events
  readonly cache: DocumentCache;
  private readonly map: CollectionMap;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly projection: Projection,
    readonly generation: number,
    private readonly store: ReadStore,
    private readonly retry: { maxAttempts: number; retryBaseDelayMs: number }, // read live: tunable
    private readonly now: () => Date,
    /** A rebuild's: indexes deferred to the swap, no lag samples, a cache of one batch (kept longer: GC cost). */
    readonly building = false,
  ) {
    this.cache = new DocumentCache(building ? Infinity : 10_000 / Object.keys(projection.collections).length);
    this.checkpointKey = checkpointKeyOf(projection.name, generation);
    // Computed once: called for every get/put, a fresh concatenated string would be hashed anew each time.
    const names = new Map(Object.keys(projection.collections).map((c) => [c, physicalName(c, generation)]));
    this.map = (c) => names.get(c) ?? c;
  }

  async init(): Promise<void> {
    await this.ensureCollections(!this.building);
    await this.reload();
    if (this.building && this.checkpoint === null) this.cache.stored = new Map(); // nothing committed: empty
    this.deadLetters = (await this.store.listDeadLetters(this.checkpointKey)).length;
  }

  async ensureCollections(withIndexes = true): Promise<void> {
    for (const [c, indexes] of Object.entries(this.projection.collections))
      await this.store.ensureCollection(physicalName(c, this.generation), withIndexes ? indexes : []);
  }

  async reload(): Promise<void> {
    this.cache.clear(true); // whoever moved the checkpoint may have written documents too
    this.checkpoint = await this.store.getCheckpoint(this.checkpointKey);
    this.observed = maxPosition(this.observed, this.checkpoint);
  }

  /** Commits the events after the checkpoint as one batch; one that keeps failing is parked; store errors throw. */
  process(events: readonly StoredEvent[], signal?: AbortSignal): Promise<number> {
    const run = this.lock.then(() => this.processNow(events, signal));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async processNow(events: readonly StoredEvent[], signal?: AbortSignal): Promise<number> {
    const pending = this.after(events);
    if (pending.length === 0) return 0;
    const outcome = await this.tryCommit(pending);
    if (outcome === 'ok') return pending.length;
    if (outcome === 'moved') return this.processNow(pending, signal);
    // The events before the failing one are fine: commit them, then retry or park the failing one, then the rest.
    const { failedAt, error } = outcome;
    const before = await this.processNow(pending.slice(0, failedAt), signal);
    const failing = await this.retryOrPark(pending[failedAt], error, signal);
    return before + failing + (await this.processNow(pending.slice(failedAt + 1), signal));
  }

  /** The events past the checkpoint (positions ascend: usually all of them). */
  private after(events: readonly StoredEvent[]): readonly StoredEvent[] {
    return events.length > 0 && comparePositions(events[0].position, this.checkpoint) > 0
      ? events
      : events.filter((e) => comparePositions(e.position, this.checkpoint) > 0);
  }

  /** Retries a failed event alone (waits ×4 each time), then parks it. Returns 1 when it was applied. */
  private async retryOrPark(event: StoredEvent, error: unknown, signal?: AbortSignal): Promise<number> {
    const moved = (): boolean => comparePositions(event.position, this.checkpoint) <= 0; // by another worker
    for (let attempt = 2; attempt <= this.retry.maxAttempts && !moved(); attempt++) {
      await pause(this.retry.retryBaseDelayMs * 4 ** (attempt - 2), signal);
      signal?.throwIfAborted();
      const outcome = await this.tryCommit([event]);
      if (outcome === 'ok') return 1;
      if (outcome !== 'moved') error = outcome.error;
    }
    if (moved()) return 0;
    const trace = error instanceof Error ? (error.stack?.split('\n').slice(1, 4) ?? []) : [];
    const letter: DeadLetter = {
      id: `${this.checkpointKey}:${event.position}`,
      checkpointKey: this.checkpointKey,
      projection: this.projection.name,
      position: event.position,
      eventId: event.id,
      eventType: event.type,
      streamName: event.streamName,
      error:
        error instanceof Error ? [`${error.name}: ${error.message}`, ...trace].join('\n') : String(error),
      attempts: this.retry.maxAttempts,
      parkedAt: this.now().toISOString(),
      event,
    };
    if ((await this.tryCommit([event], letter)) === 'ok') {
      this.deadLetters++;
      logger.error(
        `${this.checkpointKey}: parked event ${event.type} #${event.position} (${event.streamName}) after ${letter.attempts} attempts: ${letter.error}`,
      );
    }
    return 0;
  }

  /** One commit of `batch`, the checkpoint moving to its last event; with `letter`, its one event is parked. */
  private async tryCommit(batch: readonly StoredEvent[], letter?: DeadLetter): Promise<Outcome> {
    const apply = letter ? [] : batch;
    const last = batch[batch.length - 1];
    let failedAt = -1;
    try {
      const fn = async (target: DocumentWriter): Promise<void> => {
        const writer = new BatchWriter(target, this.map, this.cache);
        for (failedAt = 0; failedAt < apply.length; failedAt++)
          await this.projection.apply(apply[failedAt], writer);
        failedAt = -1;
      };
      const deadLetters = letter && { deadLetters: [letter] };
      await this.store.commitBatch(this.checkpointKey, this.checkpoint, last.position, fn, deadLetters);
    } catch (error) {
      this.cache.clear(); // it holds the batch's documents
      if (error instanceof CheckpointConflictError) {
        await this.reload(); // another worker moved the checkpoint: its work stands
        return 'moved';
      }
      if (failedAt < 0) throw error;
      return { failedAt, error };
    }
    this.checkpoint = last.position;
    this.observed = maxPosition(this.observed, this.checkpoint);
    this.failure = null;
    if (letter) return 'ok';
    this.lastAppliedRecordedAt = last.recordedAt;
    if (this.building) this.cache.clear();
    else {
      const committedAt = Date.now();
      for (const e of batch) this.lagMs.add(committedAt - Date.parse(e.recordedAt));
    }
    return 'ok';
  }
}

export interface ReplayOptions {
  pageSize: number;
  streamPrefix?: string;
  signal?: AbortSignal;
  commit?: (runner: ProjectionRunner, page: readonly StoredEvent[]) => Promise<unknown>; // default: process
  onPage?: (page: readonly StoredEvent[], head: string | null, done: boolean) => void; // head: read before it
}

/** Applies the feed after the runners' lowest checkpoint, page by page, until a short page; returns events read. */
export async function replay(
  events: EventStore,
  runners: ProjectionRunner[],
  options: ReplayOptions,
): Promise<number> {
  const { pageSize, streamPrefix, signal } = options;
  const commit = options.commit ?? ((r, page) => r.process(page, signal));
  for (let processed = 0; ;) {
    signal?.throwIfAborted();
    const head = await events.headPosition();
    const after = minPosition(runners.map((r) => r.checkpoint));
    const page: StoredEvent[] = await events.readAll({ after, maxCount: pageSize, streamPrefix });
    for (const r of runners) await commit(r, page);
    processed += page.length;
    const done = page.length < pageSize;
    if (done) for (const r of runners) r.observed = maxPosition(r.observed, head);
    options.onPage?.(page, head, done);
    if (done) return processed;
    await yieldToIo(); // a rebuild inside the service must not starve its requests
  }
}
