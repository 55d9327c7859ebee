// One projection generation's worker: applies batches of events and commits each batch's documents together with
// its checkpoint. Exactly-once in effect: events at or below the checkpoint are skipped (redelivery, replays),
// and the checkpoint guard in commitBatch turns a batch raced by another worker into a no-op.
import { Logger } from '@nestjs/common';
import { comparePositions, type StoredEvent } from '../event-store/event-store.port';
import {
  CheckpointConflictError,
  type DeadLetter,
  type Projection,
  type ReadStore,
} from '../read-store/read-store.port';
import { BatchWriter, DocumentCache } from './batch-writer';
import { retryOrPark, type RetryPolicy, type RetryTarget } from './dead-letters';
import { checkpointKeyOf, type CollectionMap, physicalName } from './generations';

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
}

/** The events past `position` (positions ascend: when the first one is past it, all are, the usual case). */
function eventsAfter(events: readonly StoredEvent[], position: string | null): readonly StoredEvent[] {
  return events.length > 0 && comparePositions(events[0].position, position) > 0
    ? events
    : events.filter((e) => comparePositions(e.position, position) > 0);
}

export interface RunnerFailure {
  message: string;
  /** ISO-8601 */
  since: string;
  attempts: number;
}

type Outcome = { ok: true } | { ok: false; conflict: boolean; failedAt: number; error: unknown };

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
  eventsApplied = 0;
  deadLetters = 0;
  /** Set while a batch keeps failing outside any one event (store unavailable...); cleared by the next commit. */
  failure: RunnerFailure | null = null;
  /** append (recordedAt) -> committed, in ms, for the recent events. */
  readonly lagMs = new SampleWindow(16_384);
  /** Off while rebuilding: append->commit lag means nothing for history. */
  sampleLag = true;
  readonly cache: DocumentCache;
  private readonly logger: Logger;
  private readonly owned: Set<string>;
  private readonly map: CollectionMap;
  private lock: Promise<unknown> = Promise.resolve();

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
   * false): building them once over the filled collections is cheaper than maintaining them row by row, and
   * projections read by id while applying. ensureIndexes() adds them before the generation goes live.
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
   * Applies the events after the checkpoint (in position order) and commits them as one batch. An event whose
   * apply throws is retried alone with backoff, then parked as a dead letter and skipped. A failure outside any
   * event's apply (the commit itself) is thrown: the caller backs off and calls again. Returns how many events
   * were committed.
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
      if (comparePositions(failing.position, this.checkpoint) > 0) {
        const { applied, letter } = await retryOrPark(
          this.retryTarget,
          failing,
          outcome.error,
          {
            checkpointKey: this.checkpointKey,
            projection: this.projection.name,
            retry: this.retry,
            now: this.now,
          },
          signal,
        );
        committed += applied;
        if (letter)
          this.logger.error(
            `parked event ${failing.type} #${failing.position} (${failing.streamName}) after ${letter.attempts} attempts: ${letter.error}`,
          );
      }
      pending = eventsAfter(pending.slice(outcome.failedAt + 1), this.checkpoint);
    }
    return committed;
  }

  private readonly retryTarget: RetryTarget = {
    commitAlone: async (event) => {
      if (comparePositions(event.position, this.checkpoint) <= 0) return 'moved';
      const outcome = await this.tryCommit([event]);
      if (outcome.ok) return 'ok';
      if (outcome.conflict) {
        await this.reload();
        return 'moved';
      }
      if (outcome.failedAt < 0) throw outcome.error;
      return { error: outcome.error };
    },
    park: async (letter: DeadLetter) => {
      try {
        await this.store.commitBatch(
          this.checkpointKey,
          this.checkpoint,
          letter.position,
          async () => undefined,
          { deadLetters: [letter] },
        );
      } catch (e) {
        if (!(e instanceof CheckpointConflictError)) throw e;
        await this.reload();
        return false;
      }
      this.advance([letter.event], false);
      this.deadLetters++;
      return true;
    },
  };

  private async tryCommit(batch: readonly StoredEvent[]): Promise<Outcome> {
    const last = batch[batch.length - 1].position;
    let failedAt = -1;
    let writer: BatchWriter | null = null;
    try {
      await this.store.commitBatch(this.checkpointKey, this.checkpoint, last, async (target) => {
        const w = (writer = new BatchWriter(target, this.map, this.cache));
        for (let i = 0; i < batch.length; i++) {
          failedAt = i;
          await this.projection.apply(batch[i], w);
        }
        failedAt = -1;
        await w.handOver(true);
      });
    } catch (error) {
      return { ok: false, conflict: error instanceof CheckpointConflictError, failedAt, error };
    }
    // Committed: the next batches read these documents from the cache.
    for (const [collection, docs] of (writer as BatchWriter | null)?.touched ?? [])
      for (const [id, doc] of docs) this.cache.set(collection, id, doc);
    this.advance(batch, true);
    return { ok: true };
  }

  /** The checkpoint is now the batch's last event; `applied` false: parked. */
  private advance(batch: readonly StoredEvent[], applied: boolean): void {
    const last = batch[batch.length - 1];
    this.checkpoint = last.position;
    if (comparePositions(this.observed, this.checkpoint) < 0) this.observed = this.checkpoint;
    this.failure = null;
    if (!applied) return;
    this.eventsApplied += batch.length;
    this.lastAppliedRecordedAt = last.recordedAt;
    if (!this.sampleLag) return;
    const committedAt = Date.now();
    for (const e of batch) this.lagMs.add(committedAt - Date.parse(e.recordedAt));
  }
}
