// The projection engine: runs every registered projection from its own checkpoint over the store's feed (stream
// prefix `order-`), batch by batch, each batch atomic with its checkpoint; wakes on appends through one shared
// live subscription; parks events that keep failing; answers "has the read side reached position P?"; and
// rebuilds read models into a new generation beside the live one, swapping atomically when caught up.
import { Logger } from '@nestjs/common';
import {
  comparePositions,
  type EventStore,
  PermanentStoreError,
  type StoredEvent,
} from '../event-store/event-store.port';
import { ORDER_STREAM_PREFIX } from '../../orders/domain/order.types';
import {
  checkpointKeyOf,
  parsePhysicalName,
  physicalName,
  REGISTRY_COLLECTION,
  registryGuardKey,
  type RegistryDoc,
} from './generations';
import { LiveFeed } from './live-feed';
import { AbortedError, ProjectionRunner, sleep, StreamingUnsupportedError } from './projection-runner';
import type { StreamFold } from './stream-fold';
import { streamFraction } from './stream-names';
import {
  CheckpointConflictError,
  type DocumentWriter,
  type Projection,
  type ReadStore,
} from '../read-store/read-store.port';
import { CollectionRouter } from '../read-store/routed-read-store';

export const PROJECTION_ENGINE_OPTIONS = Symbol('PROJECTION_ENGINE_OPTIONS');

export interface ProjectionEngineOptions {
  /** Only streams with this prefix feed the projections. */
  streamPrefix: string;
  /** Most events per live batch. */
  batchSize: number;
  /** Events per transaction while rebuilding. */
  rebuildBatchSize: number;
  /** Events per page read while rebuilding (a batch is applied from several pages). */
  rebuildPageSize: number;
  /** Attempts per failing event before it is parked (the first included). */
  maxAttempts: number;
  /** First retry delay; ×4 per further retry. */
  retryBaseDelayMs: number;
  /** Cap of the backoff when a batch fails outside any event (store unavailable). */
  maxBackoffMs: number;
  /** Safety net: a caught-up runner looks for new events this often even without a wake-up. */
  idlePollMs: number;
  /** How often the registry is read to notice a swap made elsewhere (a rebuild CLI, another worker). */
  registryPollMs: number;
  /** Pending work older than this makes /health say degraded. */
  degradedAfterMs: number;
  /** A replaced generation is dropped this long after the swap (readers elsewhere notice it meanwhile). */
  dropGraceMs: number;
  /** Parsed documents each runner keeps from its recent batches (0: none). */
  documentCacheSize: number;
  /** The same, for each projection being rebuilt (a rebuild's working set is every order in flight). */
  rebuildCacheSize: number;
  /**
   * Rebuild projections partitioned by stream (Projection.partitioning) stream by stream first, when the event
   * store reads that way (EventStore.readAllByStream). false: always in the feed's order.
   */
  rebuildByStream: boolean;
  /** Documents per commit while folding stream by stream (each is written once, when its stream ends). */
  foldCommitDocs: number;
}

export const DEFAULT_ENGINE_OPTIONS: ProjectionEngineOptions = {
  streamPrefix: ORDER_STREAM_PREFIX,
  batchSize: 500,
  rebuildBatchSize: 10_000,
  rebuildPageSize: 4096,
  maxAttempts: 4,
  retryBaseDelayMs: 100,
  maxBackoffMs: 5000,
  idlePollMs: 1000,
  registryPollMs: 1000,
  degradedAfterMs: 10_000,
  dropGraceMs: 5000,
  documentCacheSize: 10_000,
  rebuildCacheSize: 20_000,
  rebuildByStream: true,
  foldCommitDocs: 16_384,
};

export interface LagFigures {
  p50: number | null;
  p99: number | null;
  samples: number;
}

export interface ProjectionStatus {
  name: string;
  version: number;
  /** The generation readers use. */
  generation: number;
  /** The active generation was built by an older version and waits for its replacement. */
  stale: boolean;
  running: boolean;
  position: string | null;
  headPosition: string | null;
  /** head - position, in position units (events, on the embedded store). */
  positionsBehind: string | null;
  /** How long the oldest event not yet applied has been waiting (0 when caught up). */
  lagMs: number;
  /** ms between now and the recordedAt of the last applied event. */
  sinceLastAppliedMs: number | null;
  lastAppliedRecordedAt: string | null;
  /** append -> committed, recent events. */
  appendToVisibleMs: LagFigures;
  eventsApplied: number;
  deadLetters: number;
  failure: { message: string; since: string } | null;
  building: RegistryDoc['building'];
  /** Why this projection makes /health degraded (empty: healthy). */
  problems: string[];
}

export interface RebuildProgress {
  projections: string[];
  /** Events read from the feed so far. */
  processed: number;
  position: string | null;
  headPosition: string | null;
  /** position / head, when both are known (by stream: events read / events to read). */
  fraction: number | null;
  /** 'by-stream': the first phase of projections partitioned by stream; 'feed': the feed's order. */
  phase?: 'by-stream' | 'feed';
  eventsPerSec: number;
  elapsedMs: number;
}

export interface RebuildResult {
  name: string;
  generation: number;
  previousGeneration: number;
  eventsProcessed: number;
  position: string | null;
  elapsedMs: number;
  eventsPerSec: number;
}

export interface RebuildOptions {
  onProgress?: (progress: RebuildProgress) => void;
  /** Recorded in the registry: who builds. Default `cli`. */
  by?: string;
  signal?: AbortSignal;
  /**
   * A parallel rebuild (the CLI's jobs): this process folds the streams before `until` itself. `elsewhere` is
   * called once the new generations exist and the head is read, has the rest folded by other processes
   * (foldShare) and resolves with the events they read, or rejects: then the projections partitioned by stream
   * are rebuilt here, in the feed's order.
   */
  shareStreams?: { until: string; elsewhere: (share: FoldShare) => Promise<number> };
}

/** A share of a parallel rebuild's fold by stream: what another process folds (ProjectionEngine.foldShare). */
export interface FoldShare {
  /** The projections partitioned by stream, and the generation each is being built into. */
  generations: Record<string, number>;
  /** The head when the rebuild started: the fold reads up to here. */
  through: string;
  /** The streams from this name (inclusive) until `untilStream` (exclusive; absent: to the last). */
  fromStream: string;
  untilStream?: string;
}

/**
 * What one read of the events serves for several builders: the metadata is parsed only if one of them reads it,
 * and only the event types they act on are read when each of them says which.
 */
function readFilters(runners: ProjectionRunner[]): { metadata: boolean; eventTypes?: string[] } {
  const metadata = runners.some((r) => r.projection.readsMetadata !== false);
  const eventTypes = runners.every((r) => r.projection.eventTypes)
    ? [...new Set(runners.flatMap((r) => r.projection.eventTypes!))].sort()
    : undefined;
  return { metadata, eventTypes };
}

class SwapAbandonedError extends Error {
  constructor(name: string) {
    super(`rebuild of ${name} was superseded by another one`);
    this.name = 'SwapAbandonedError';
  }
}

interface Slot {
  projection: Projection;
  registry: RegistryDoc | null;
  /** The active generation's runner. */
  live: ProjectionRunner | null;
  loop: { abort: AbortController; done: Promise<void> } | null;
  wake: (() => void) | null;
  /** performance-clock ms when the runner first fell behind the feed buffer (read pages); null when covered. */
  pagingSince: number | null;
  /** A version-change build in this process. */
  build: { abort: AbortController; done: Promise<void> } | null;
  /** Not running here: the checkpoint as last read from the store, and when it last moved. */
  stored: { position: string | null; readAt: number; movedAt: number } | null;
}

interface Waiter {
  position: string;
  slots: Slot[];
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout | null;
}

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const DECIMAL = /^\d+$/;
/** How far the slowest builder has fed its batches (null: from the start). */
function slowestOf(runners: readonly ProjectionRunner[]): string | null {
  let slowest = runners[0]?.fed ?? null;
  for (const r of runners) if (comparePositions(r.fed, slowest) < 0) slowest = r.fed;
  return slowest;
}

const maxPosition = (a: string | null, b: string | null): string | null =>
  comparePositions(a, b) >= 0 ? a : b;
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class ProjectionEngine {
  /** Logical -> physical collection names of the active generations (RoutedReadStore reads through it). */
  readonly router = new CollectionRouter();
  readonly options: ProjectionEngineOptions;
  private readonly logger = new Logger('ProjectionEngine');
  private readonly slots = new Map<string, Slot>();
  private readonly waiters = new Set<Waiter>();
  private feed: LiveFeed | null = null;
  private running = false;
  private transition: Promise<void> = Promise.resolve();
  private initialized = false;
  private initializing: Promise<void> | null = null;
  private registryTimer: NodeJS.Timeout | null = null;
  private waiterTimer: NodeJS.Timeout | null = null;
  private readonly dropTimers = new Set<NodeJS.Timeout>();
  private disposed = false;

  constructor(
    private readonly events: EventStore,
    /** The adapter itself (not the routed facade): the engine names generations explicitly. */
    private readonly store: ReadStore,
    options: Partial<ProjectionEngineOptions> = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
  }

  // ---- registration and lifecycle -------------------------------------------------------------------------

  /** Adds a projection; call before start (from a module's onModuleInit). */
  register(projection: Projection): void {
    if (this.slots.has(projection.name))
      throw new Error(`Projection ${projection.name} is already registered`);
    for (const other of this.slots.values()) {
      for (const c of Object.keys(projection.collections)) {
        if (c in other.projection.collections) {
          throw new Error(
            `Collection ${c} of ${projection.name} is already owned by ${other.projection.name}`,
          );
        }
      }
    }
    this.slots.set(projection.name, {
      projection,
      registry: null,
      live: null,
      loop: null,
      wake: null,
      pagingSince: null,
      build: null,
      stored: null,
    });
    this.initialized = false;
  }

  names(): string[] {
    return [...this.slots.keys()];
  }

  /** Of these projections, those a rebuild folds stream by stream (partitioned by stream, a store that reads so). */
  foldedByStream(names: string[]): string[] {
    if (!this.options.rebuildByStream || !this.events.readAllByStream) return [];
    return names.filter((n) => this.slots.get(n)?.projection.partitioning === 'stream');
  }

  projection(name: string): Projection | undefined {
    return this.slots.get(name)?.projection;
  }

  /**
   * Loads (or creates) each projection's registry entry and routes readers to its active generation; drops
   * generations older than the active one. Also starts watching the registry for swaps made elsewhere. Called by
   * start(); the API role calls it alone (reads only).
   */
  async initialize(): Promise<void> {
    if (this.initialized) return;
    if (!this.initializing) {
      this.initializing = (async () => {
        for (const slot of this.slots.values()) if (!slot.live) await this.initSlot(slot);
        this.initialized = true;
        this.watchRegistry();
      })().finally(() => (this.initializing = null));
    }
    await this.initializing;
    if (!this.initialized) await this.initialize();
  }

  /** Runs the projections until stop(). Idempotent. */
  start(): Promise<void> {
    // A failed transition must not block the next one (the supervisor retries start, later calls stop).
    const next = this.transition.catch(() => undefined).then(() => this.doStart());
    this.transition = next;
    return next;
  }

  /** Stops every runner after its in-flight batch. Idempotent; start() may be called again. */
  stop(): Promise<void> {
    const next = this.transition.catch(() => undefined).then(() => this.doStop());
    this.transition = next;
    return next;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** stop() and stop watching the registry: the module's shutdown. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
    if (this.registryTimer) clearTimeout(this.registryTimer);
    this.registryTimer = null;
    for (const t of this.dropTimers) clearTimeout(t);
    this.dropTimers.clear();
    for (const w of this.waiters) this.settle(w, false);
  }

  private async doStart(): Promise<void> {
    if (this.running || this.disposed) return;
    await this.initialize();
    this.running = true;
    this.feed = new LiveFeed(this.events, this.options.streamPrefix, () => this.wakeAll());
    await this.feed.start();
    for (const slot of this.slots.values()) this.startSlot(slot);
    this.logger.log(`started: ${this.names().join(', ')}`);
  }

  private async doStop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const pending: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.loop) {
        slot.loop.abort.abort();
        pending.push(slot.loop.done);
        slot.loop = null;
      }
      if (slot.build) {
        slot.build.abort.abort();
        pending.push(slot.build.done);
        slot.build = null;
      }
      slot.wake?.();
    }
    await Promise.all(pending);
    await this.feed?.stop();
    this.feed = null;
  }

  private async initSlot(slot: Slot): Promise<void> {
    const { projection } = slot;
    let registry = await this.store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name);
    if (!registry) {
      registry = {
        name: projection.name,
        generation: 1,
        version: projection.version,
        building: null,
        activatedAt: this.now().toISOString(),
      };
      const created = registry;
      try {
        // Created once, guarded like a batch: a service and a rebuild job starting together on a fresh store
        // both find no entry, and a plain put here could wipe the `building` mark the job wrote meanwhile.
        await this.store.commitBatch(registryGuardKey(projection.name), null, '0', (w) =>
          w.put(REGISTRY_COLLECTION, projection.name, created),
        );
      } catch (error) {
        if (!(error instanceof CheckpointConflictError)) throw error;
        // Another process created it first: use theirs (removed by hand since: write it again).
        registry = await this.store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name);
        if (!registry) {
          registry = created;
          await this.store.write((w) => w.put(REGISTRY_COLLECTION, projection.name, created));
        }
      }
    }
    const runner = this.newRunner(projection, registry.generation);
    await runner.init();
    slot.registry = registry;
    slot.live = runner;
    this.router.route(Object.keys(projection.collections), registry.generation);
  }

  private newRunner(
    projection: Projection,
    generation: number,
    cacheSize = this.options.documentCacheSize,
  ): ProjectionRunner {
    const options = this.options;
    return new ProjectionRunner(
      projection,
      generation,
      this.store,
      // Read live, so tuning engine.options applies to running projections too.
      {
        get maxAttempts() {
          return options.maxAttempts;
        },
        get baseDelayMs() {
          return options.retryBaseDelayMs;
        },
      },
      this.now,
      cacheSize,
    );
  }

  /** A write outside projections touched a projection's document: its runner must not trust its cached copy. */
  invalidateDocument(physicalCollection: string, id: string): void {
    for (const slot of this.slots.values())
      if (slot.live?.owns(physicalCollection)) slot.live.invalidate(physicalCollection, id);
  }

  private isStale(slot: Slot): boolean {
    return slot.registry !== null && slot.registry.version !== slot.projection.version;
  }

  private startSlot(slot: Slot): void {
    if (!this.running || !slot.live) return;
    this.scheduleDropOlder(slot);
    if (this.isStale(slot)) {
      // The live generation was built by another version of this code: leave it frozen (still served) and
      // build the current version beside it.
      if (!slot.build) this.startVersionBuild(slot);
      return;
    }
    if (slot.loop) return;
    const abort = new AbortController();
    const runner = slot.live;
    slot.loop = { abort, done: this.runLoop(slot, runner, abort.signal) };
  }

  // ---- the live loop ---------------------------------------------------------------------------------------

  private async runLoop(slot: Slot, runner: ProjectionRunner, signal: AbortSignal): Promise<void> {
    const { batchSize, streamPrefix } = this.options;
    let backoff = this.options.retryBaseDelayMs;
    while (!signal.aborted) {
      try {
        const feed = this.feed;
        let batch: StoredEvent[];
        let head: string | null = null;
        // `observed` >= checkpoint, with no event of the feed between them: the buffer serves from there.
        if (feed && feed.covers(runner.observed)) {
          slot.pagingSince = null;
          batch = feed.after(runner.observed, batchSize);
        } else {
          slot.pagingSince ??= performance.now();
          head = await this.events.headPosition();
          batch = await this.events.readAll({ after: runner.checkpoint, maxCount: batchSize, streamPrefix });
        }
        if (batch.length > 0) await runner.process(batch, signal);
        // A short page read after the head: every event up to that head has been seen, nothing is pending.
        if (head !== null && batch.length < batchSize) {
          runner.observed = maxPosition(runner.observed, head);
          slot.pagingSince = null;
        }
        backoff = this.options.retryBaseDelayMs;
        this.progressed();
        if (batch.length === 0) await this.idle(slot, signal);
        else if (batch.length === batchSize) await yieldToIo();
      } catch (error) {
        if (signal.aborted || error instanceof AbortedError) break;
        const since = runner.failure?.since ?? this.now().toISOString();
        const attempts = (runner.failure?.attempts ?? 0) + 1;
        if (error instanceof PermanentStoreError) {
          // No retry can fix it (a checkpoint that is not a position of this store, access denied): stop, and
          // say so on /health until an operator fixes it and restarts.
          runner.failure = { message: `stopped: ${errorMessage(error)}`, since, attempts };
          this.logger.error(
            `${runner.checkpointKey}: stopped, the event store refused for good: ${errorMessage(error)}`,
          );
          break;
        }
        runner.failure = { message: errorMessage(error), since, attempts };
        if (attempts === 1 || attempts % 10 === 0) {
          this.logger.error(
            `${runner.checkpointKey}: batch failed (attempt ${attempts}), retrying: ${errorMessage(error)}`,
          );
        }
        await sleep(backoff, signal).catch(() => undefined);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
  }

  private idle(slot: Slot, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (slot.wake === done) slot.wake = null;
        resolve();
      };
      const timer = setTimeout(done, this.options.idlePollMs);
      signal.addEventListener('abort', done, { once: true });
      slot.wake = done;
    });
  }

  private wakeAll(): void {
    for (const slot of this.slots.values()) slot.wake?.();
  }

  /** After any commit: free the feed buffer and let waiters check. */
  private progressed(): void {
    if (this.feed) {
      let min: string | null | undefined;
      for (const slot of this.slots.values()) {
        if (!slot.loop || !slot.live) continue;
        const c = slot.live.observed;
        if (min === undefined || comparePositions(c, min) < 0) min = c;
      }
      if (min !== undefined) this.feed.trim(min);
    }
    this.checkWaiters();
  }

  // ---- catch-up and read-your-writes -----------------------------------------------------------------------

  /** Processes everything up to the store's current head (including builds in progress here), then resolves. */
  async catchUp(): Promise<void> {
    await this.initialize();
    const head = await this.events.headPosition();
    if (head === null) return;
    if (this.running) {
      // A version build in progress here is part of "everything": its generation becomes the live one.
      await Promise.all([...this.slots.values()].map((s) => s.build?.done));
      await this.waitForPosition(head, Number.POSITIVE_INFINITY);
      return;
    }
    for (const slot of this.slots.values()) {
      if (!slot.live || this.isStale(slot)) continue;
      await this.drain(slot.live, head);
    }
    this.checkWaiters();
  }

  /** Reads pages and processes them until `head` (not running: nobody else drives this runner here). */
  private async drain(runner: ProjectionRunner, head: string): Promise<void> {
    const { batchSize, streamPrefix } = this.options;
    for (;;) {
      const page = await this.events.readAll({ after: runner.checkpoint, maxCount: batchSize, streamPrefix });
      if (page.length > 0) await runner.process(page);
      if (page.length < batchSize) break;
    }
    runner.observed = maxPosition(runner.observed, head);
  }

  /**
   * Resolves true once every named projection (all by default) has processed `position`, false after
   * `timeoutMs`. Works in every role: without local runners it follows the checkpoints in the store.
   */
  async waitForPosition(position: string, timeoutMs: number, projectionNames?: string[]): Promise<boolean> {
    if (!DECIMAL.test(position)) throw new Error(`Invalid position ${JSON.stringify(position)}`);
    await this.initialize();
    const slots = this.slotsOf(projectionNames);
    if (await this.reached(slots, position)) return true;
    if (timeoutMs <= 0) return false;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { position, slots, resolve, timer: null };
      if (Number.isFinite(timeoutMs)) waiter.timer = setTimeout(() => this.settle(waiter, false), timeoutMs);
      this.waiters.add(waiter);
      this.ensureWaiterTick();
    });
  }

  /** The position the named projection's active generation has processed (null: nothing yet, or unknown name). */
  positionOf(name: string): string | null {
    const slot = this.slots.get(name);
    if (!slot) return null;
    return this.localPosition(slot);
  }

  /** The lowest position of the named projections (all by default), fresh from the store when not running here. */
  async currentPosition(projectionNames?: string[]): Promise<string | null> {
    await this.initialize();
    const slots = this.slotsOf(projectionNames);
    await this.refreshStored(slots);
    let min: string | null | undefined;
    for (const slot of slots) {
      const p = this.localPosition(slot);
      if (min === undefined || comparePositions(p, min) < 0) min = p;
    }
    return min ?? null;
  }

  private slotsOf(names: string[] | undefined): Slot[] {
    if (!names) return [...this.slots.values()];
    return names.map((n) => {
      const slot = this.slots.get(n);
      if (!slot) throw new Error(`Unknown projection ${n}`);
      return slot;
    });
  }

  private localPosition(slot: Slot): string | null {
    if (slot.loop || !slot.stored) return slot.live?.observed ?? null;
    return maxPosition(slot.stored.position, slot.live?.observed ?? null);
  }

  /** Not running here (API role, stale slot): read the checkpoints from the store, at most every 20 ms. */
  private async refreshStored(slots: Slot[]): Promise<void> {
    if (this.running && slots.every((s) => s.loop)) return;
    const t = performance.now();
    for (const slot of slots) {
      if (slot.loop || !slot.live) continue;
      if (slot.stored && t - slot.stored.readAt < 20) continue;
      const runner = slot.live;
      const position = await this.store.getCheckpoint(runner.checkpointKey);
      // A swap meanwhile reset `stored` for the new generation: this is the old one's checkpoint.
      if (slot.live !== runner || slot.loop) continue;
      const moved = !slot.stored || slot.stored.position !== position;
      slot.stored = { position, readAt: t, movedAt: moved ? t : slot.stored!.movedAt };
    }
  }

  private async reached(slots: Slot[], position: string): Promise<boolean> {
    const lagging = slots.filter((s) => comparePositions(this.localPosition(s), position) < 0);
    if (lagging.length === 0) return true;
    await this.refreshStored(lagging);
    for (const slot of lagging) {
      if (comparePositions(this.localPosition(slot), position) >= 0) continue;
      if (!(await this.nothingBetween(slot, position))) return false;
    }
    return true;
  }

  /**
   * True when no event of the feed lies between what the slot processed and `position` (a position outside the
   * stream prefix, or the tail of a page): then the slot has in effect processed `position`.
   */
  private async nothingBetween(slot: Slot, position: string): Promise<boolean> {
    const from = this.localPosition(slot);
    const head = await this.events.headPosition();
    if (comparePositions(head, position) < 0) return false;
    const next = await this.events.readAll({
      after: from,
      maxCount: 1,
      streamPrefix: this.options.streamPrefix,
    });
    if (next.length > 0 && comparePositions(next[0].position, position) <= 0) return false;
    if (slot.live && comparePositions(this.localPosition(slot), from) === 0) {
      slot.live.observed = maxPosition(slot.live.observed, position);
    }
    return true;
  }

  private checkWaiters(): void {
    for (const waiter of this.waiters) {
      if (waiter.slots.every((s) => comparePositions(this.localPosition(s), waiter.position) >= 0)) {
        this.settle(waiter, true);
      }
    }
  }

  private settle(waiter: Waiter, ok: boolean): void {
    if (!this.waiters.delete(waiter)) return;
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.resolve(ok);
  }

  /** While anyone waits: every 25 ms look at the store (API role) and for positions outside the feed. */
  private ensureWaiterTick(): void {
    if (this.waiterTimer) return;
    const tick = async (): Promise<void> => {
      this.waiterTimer = null;
      for (const waiter of [...this.waiters]) {
        try {
          if (await this.reached(waiter.slots, waiter.position)) this.settle(waiter, true);
        } catch {
          // the store is unavailable for a moment: try again at the next tick
        }
      }
      if (this.waiters.size > 0 && !this.disposed) {
        this.waiterTimer = setTimeout(() => void tick(), 25);
      }
    };
    this.waiterTimer = setTimeout(() => void tick(), 25);
  }

  // ---- generations: registry watch, swaps, drops -----------------------------------------------------------

  private watchRegistry(): void {
    if (this.registryTimer || this.disposed) return;
    const poll = async (): Promise<void> => {
      try {
        await this.pollRegistry();
      } catch (error) {
        this.logger.warn(`registry poll failed: ${errorMessage(error)}`);
      }
      if (!this.disposed) {
        this.registryTimer = setTimeout(() => void poll(), this.options.registryPollMs);
        this.registryTimer.unref();
      }
    };
    this.registryTimer = setTimeout(() => void poll(), this.options.registryPollMs);
    this.registryTimer.unref();
  }

  /** Notices a swap made by another process (the rebuild CLI, another worker) and follows it. */
  async pollRegistry(): Promise<void> {
    for (const slot of this.slots.values()) {
      if (!slot.registry) continue;
      const registry = await this.store.get<RegistryDoc>(REGISTRY_COLLECTION, slot.projection.name);
      if (!registry) continue;
      if (registry.generation !== slot.registry.generation) {
        this.logger.log(
          `${slot.projection.name}: generation ${slot.registry.generation} -> ${registry.generation} (swapped elsewhere)`,
        );
        await this.activate(slot, registry, null);
      } else {
        slot.registry = registry;
      }
      // Dead letters cleared (or parked) by another process show in /health within a poll.
      if (slot.live)
        slot.live.deadLetters = (await this.store.listDeadLetters(slot.live.checkpointKey)).length;
    }
  }

  /** Makes `registry.generation` the slot's live generation here: route readers, move the loop over. */
  private async activate(slot: Slot, registry: RegistryDoc, runner: ProjectionRunner | null): Promise<void> {
    const next = runner ?? this.newRunner(slot.projection, registry.generation);
    if (!runner) await next.init();
    next.sampleLag = true;
    const loop = slot.loop;
    slot.loop = null;
    if (loop) {
      loop.abort.abort();
      await loop.done;
    }
    slot.registry = registry;
    slot.live = next;
    slot.stored = null;
    slot.pagingSince = null;
    this.router.route(Object.keys(slot.projection.collections), registry.generation);
    if (this.running) this.startSlot(slot);
    this.checkWaiters();
  }

  /** Drops generations older than the active one, a while after the swap (readers elsewhere move over first). */
  private scheduleDropOlder(slot: Slot): void {
    const timer = setTimeout(() => {
      this.dropTimers.delete(timer);
      void this.dropOlder(slot).catch((e) =>
        this.logger.warn(`dropping old generations of ${slot.projection.name} failed: ${errorMessage(e)}`),
      );
    }, this.options.dropGraceMs);
    timer.unref();
    this.dropTimers.add(timer);
  }

  private async dropOlder(slot: Slot): Promise<void> {
    const registry = await this.store.get<RegistryDoc>(REGISTRY_COLLECTION, slot.projection.name);
    if (!registry) return;
    const owned = new Set(Object.keys(slot.projection.collections));
    const dropped = new Set<number>();
    for (const name of await this.store.listCollections()) {
      const parsed = parsePhysicalName(name);
      if (!parsed || !owned.has(parsed.collection) || parsed.generation >= registry.generation) continue;
      await this.store.dropCollection(name);
      dropped.add(parsed.generation);
    }
    for (const key of Object.keys(await this.store.listCheckpoints())) {
      const m = /^(.+)@g(\d+)$/.exec(key); // generation checkpoints only (not the registry's guard)
      if (m && m[1] === slot.projection.name && Number(m[2]) < registry.generation) dropped.add(Number(m[2]));
    }
    for (const generation of dropped) await this.forgetGeneration(slot.projection.name, generation);
    if (dropped.size)
      this.logger.log(`${slot.projection.name}: dropped generation(s) ${[...dropped].join(', ')}`);
  }

  private async forgetGeneration(name: string, generation: number): Promise<void> {
    const key = checkpointKeyOf(name, generation);
    await this.store.deleteCheckpoint(key);
    await this.store.deleteDeadLetters(key);
  }

  private async dropGeneration(projection: Projection, generation: number): Promise<void> {
    for (const c of Object.keys(projection.collections))
      await this.store.dropCollection(physicalName(c, generation));
    await this.forgetGeneration(projection.name, generation);
  }

  // ---- rebuilds ---------------------------------------------------------------------------------------------

  /**
   * Rebuilds the named projections (or all) from the beginning of the feed into a new generation each, beside
   * the live ones (still served meanwhile), and swaps each in atomically once caught up. A service running
   * elsewhere on the same store notices the swap within registryPollMs.
   */
  async rebuild(which: string[] | 'all', options: RebuildOptions = {}): Promise<RebuildResult[]> {
    await this.initialize();
    const slots = which === 'all' ? [...this.slots.values()] : this.slotsOf(which);
    const builders: { slot: Slot; runner: ProjectionRunner; previous: number }[] = [];
    for (const slot of slots) {
      const { projection } = slot;
      // Our own version-change build would be replaced anyway: stop it first.
      if (slot.build) {
        slot.build.abort.abort();
        await slot.build.done;
        slot.build = null;
      }
      const registry =
        (await this.store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name)) ?? slot.registry!;
      // A build left behind (crashed, or superseded now): its generation goes.
      if (registry.building) await this.dropGeneration(projection, registry.building.generation);
      const generation = Math.max(registry.generation, registry.building?.generation ?? 0) + 1;
      const updated: RegistryDoc = {
        ...registry,
        building: {
          generation,
          version: projection.version,
          startedAt: this.now().toISOString(),
          by: options.by ?? 'cli',
        },
      };
      await this.store.write((w) => w.put(REGISTRY_COLLECTION, projection.name, updated));
      slot.registry = updated;
      const runner = this.newRunner(projection, generation, this.options.rebuildCacheSize);
      runner.sampleLag = false;
      await runner.init({ withIndexes: false });
      runner.trackWrites();
      builders.push({ slot, runner, previous: registry.generation });
    }
    const started = performance.now();
    const runners = builders.map((b) => b.runner);
    const folding = await this.foldByStream(runners, options);
    // The others read the whole feed, while other processes may still fold their shares of the streams.
    const others = runners.filter((r) => !folding.runners.includes(r));
    const feed = others.length ? await this.build(others, options) : null;
    const folded = await folding.settle();
    // A fold that failed: that projection the feed's way too.
    const failed = folding.runners.filter((r) => !folded.runners.has(r));
    const again = failed.length ? await this.build(failed, options) : null;
    // The folded ones go on with the feed's tail: the events appended since the fold began.
    const tail = folded.runners.size
      ? await this.build([...folded.runners], options, { processed: folded.processed, since: started })
      : { processed: 0 };
    const elapsedMs = Math.round(performance.now() - started);
    const results: RebuildResult[] = [];
    for (const b of builders) {
      await this.swap(b.slot, b.runner);
      // Folded by stream, then the feed's tail; or the feed alone.
      const eventsProcessed = folded.runners.has(b.runner)
        ? folded.processed + tail.processed
        : failed.includes(b.runner)
          ? again!.processed
          : (feed?.processed ?? 0);
      results.push({
        name: b.slot.projection.name,
        generation: b.runner.generation,
        previousGeneration: b.previous,
        eventsProcessed,
        position: b.runner.checkpoint,
        elapsedMs,
        eventsPerSec: Math.round(eventsProcessed / Math.max(elapsedMs / 1000, 0.001)),
      });
    }
    return results;
  }

  /**
   * Drives builders over shared pages of the feed until a page comes back short (caught up with the head) and
   * every builder committed it. Pages are small and batches big (see ProjectionRunner.feed); a builder whose
   * streamed batch failed reads again from its checkpoint and goes page by page through process() (retries,
   * dead letters) until past the page that failed, then streams again.
   */
  /**
   * The first phase of a rebuild, for the builders whose projection is partitioned by stream (when the event store
   * reads by stream): every event up to the head, stream by stream, each builder keeping one stream's documents at
   * a time and writing those standing at its end into its empty generation, then its checkpoint (the head) with
   * the last of them; build() goes on from there in the feed's order. With `shareStreams`, this process folds its
   * share of the streams and other processes the rest (foldShare), and the checkpoints move once all are done.
   * A builder whose projection fails here (an event throws, a find), here or elsewhere, is emptied and left to
   * build() from the start: the feed's order, with retries and dead letters as always.
   */
  private async foldByStream(
    all: ProjectionRunner[],
    options: RebuildOptions,
  ): Promise<{
    /** The builders this process folded its share for (failed ones included until settle()). */
    runners: ProjectionRunner[];
    /** Waits for the other shares, moves the checkpoints; returns the builders folded and the events read. */
    settle: () => Promise<{ runners: Set<ProjectionRunner>; processed: number }>;
  }> {
    const runners = all.filter((r) => r.projection.partitioning === 'stream' && r.checkpoint === null);
    const none = {
      runners: [],
      settle: async () => ({ runners: new Set<ProjectionRunner>(), processed: 0 }),
    };
    if (!this.options.rebuildByStream || !this.events.readAllByStream || runners.length === 0) return none;
    const through = await this.events.headPosition();
    if (through === null) return none;
    const share = options.shareStreams;
    const elsewhere = share
      ? share.elsewhere({
          generations: Object.fromEntries(runners.map((r) => [r.projection.name, r.generation])),
          through,
          fromStream: share.until,
        })
      : null;
    elsewhere?.catch(() => undefined); // awaited in settle(), after this process's own work
    const folds = await this.fold(runners, through, { untilStream: share?.until }, options, !share);
    const settle = async (): Promise<{ runners: Set<ProjectionRunner>; processed: number }> => {
      let processed = folds.processed;
      if (elsewhere) {
        try {
          processed += await elsewhere;
          // Every share is written: the checkpoints move, each in its own commit (guarded: from nothing).
          for (const { runner, fold } of folds.folds) {
            if (fold.failure) continue;
            await this.retryCommit(
              `${runner.checkpointKey}: checkpoint`,
              () => this.store.commitBatch(runner.checkpointKey, null, through, async () => undefined),
              options.signal,
            );
          }
        } catch (error) {
          if (options.signal?.aborted || error instanceof AbortedError) throw error;
          for (const { fold } of folds.folds) fold.failure ??= error;
        }
      }
      const done = new Set<ProjectionRunner>();
      for (const { runner, fold } of folds.folds) {
        if (!fold.failure) {
          runner.foldedThrough(through, processed, folds.lastRecordedAt);
          done.add(runner);
          continue;
        }
        this.logger.warn(
          `${runner.checkpointKey}: folding stream by stream failed, rebuilding in the feed's order instead: ${errorMessage(fold.failure)}`,
        );
        // Its generation goes back to empty (nothing moved its checkpoint).
        for (const c of Object.keys(runner.projection.collections))
          await this.store.dropCollection(runner.collectionName(c));
        await runner.init({ withIndexes: false });
        runner.trackWrites();
      }
      return { runners: done, processed: done.size ? processed : 0 };
    };
    return { runners, settle };
  }

  /**
   * Another process's share of a parallel rebuild's fold by stream (RebuildOptions.shareStreams): its streams'
   * documents written into the generations being built, no checkpoint moved, nothing swapped. Returns the events
   * read; throws when a projection failed (the rebuilding process then takes it the feed's way).
   */
  async foldShare(
    share: FoldShare,
    options: Pick<RebuildOptions, 'onProgress' | 'signal'> = {},
  ): Promise<number> {
    await this.initialize();
    if (!this.events.readAllByStream) throw new Error('this event store does not read by stream');
    const runners: ProjectionRunner[] = [];
    for (const [name, generation] of Object.entries(share.generations)) {
      const [slot] = this.slotsOf([name]);
      if (slot.projection.partitioning !== 'stream') throw new Error(`${name} is not partitioned by stream`);
      const runner = this.newRunner(slot.projection, generation, this.options.rebuildCacheSize);
      await runner.init({ withIndexes: false });
      runners.push(runner);
    }
    const { folds, processed } = await this.fold(
      runners,
      share.through,
      { fromStream: share.fromStream, untilStream: share.untilStream },
      options,
      false,
    );
    const failed = folds.find((f) => f.fold.failure);
    if (failed)
      throw new Error(
        `${failed.runner.checkpointKey}: folding its share of the streams failed: ${errorMessage(failed.fold.failure)}`,
      );
    return processed;
  }

  /** Folds the streams of `range` up to `through` into each runner's generation (see foldByStream). */
  private async fold(
    runners: ProjectionRunner[],
    through: string,
    range: { fromStream?: string; untilStream?: string },
    options: Pick<RebuildOptions, 'onProgress' | 'signal'>,
    withCheckpoint: boolean,
  ): Promise<{
    folds: { runner: ProjectionRunner; fold: StreamFold }[];
    processed: number;
    lastRecordedAt: string | null;
  }> {
    const readByStream = this.events.readAllByStream!.bind(this.events);
    const { streamPrefix, rebuildPageSize, foldCommitDocs } = this.options;
    const { metadata, eventTypes } = readFilters(runners);
    const retry = (what: string, write: () => Promise<unknown>) =>
      this.retryCommit(what, write, options.signal);
    const folds = runners.map((runner) => ({ runner, fold: runner.foldByStream(retry, foldCommitDocs) }));
    const names = runners.map((r) => r.projection.name);
    // Progress: where the current stream lies in this share of the names (uuids spread evenly).
    const from = range.fromStream === undefined ? 0 : (streamFraction(range.fromStream, streamPrefix) ?? 0);
    const until =
      range.untilStream === undefined ? 1 : (streamFraction(range.untilStream, streamPrefix) ?? 1);
    const started = performance.now();
    let processed = 0;
    let lastReport = 0;
    let stream: string | null = null;
    let last: StoredEvent | null = null;
    /** The newest event applied (ISO times compare as strings): what the feed's order would have applied last. */
    let latest: string | null = null;
    const failed = (fold: StreamFold, error: unknown): void => {
      if (options.signal?.aborted || error instanceof AbortedError) throw error;
      fold.failure ??= error;
    };
    const report = (done: boolean): void => {
      const t = performance.now();
      if (!options.onProgress || (!done && t - lastReport < 200)) return;
      lastReport = t;
      const at = stream === null ? null : streamFraction(stream, streamPrefix);
      const elapsedMs = t - started;
      options.onProgress({
        projections: names,
        phase: 'by-stream',
        processed,
        position: null,
        headPosition: through,
        fraction: done
          ? 1
          : at === null
            ? null
            : Math.min(1, Math.max(0, (at - from) / Math.max(until - from, 1e-9))),
        eventsPerSec: Math.round(processed / Math.max(elapsedMs / 1000, 0.001)),
        elapsedMs: Math.round(elapsedMs),
      });
    };
    for (;;) {
      if (options.signal?.aborted) throw new AbortedError();
      const page = await readByStream({
        through,
        after: last && { streamName: last.streamName, revision: last.revision },
        ...range,
        maxCount: rebuildPageSize,
        streamPrefix,
        metadata,
        eventTypes,
      });
      if (page.length === 0) break;
      for (const event of page) {
        // try/catch rather than .catch(): no closure per event and fold on this hot path.
        if (event.streamName !== stream) {
          if (stream !== null)
            for (const { fold } of folds) {
              if (fold.failure) continue;
              try {
                await fold.endStream();
              } catch (e) {
                failed(fold, e);
              }
            }
          stream = event.streamName;
        }
        for (const { fold } of folds) {
          if (fold.failure) continue;
          try {
            await fold.apply(event);
          } catch (e) {
            failed(fold, e);
          }
        }
        if (latest === null || event.recordedAt > latest) latest = event.recordedAt;
        processed++;
      }
      last = page[page.length - 1];
      if (folds.every((f) => f.fold.failure)) break;
      report(false);
      await yieldToIo(); // a rebuild inside the service must not starve its requests
    }
    for (const { fold } of folds) {
      if (!fold.failure)
        await fold.finish(withCheckpoint ? through : null).catch((e: unknown) => failed(fold, e));
      else await fold.settle().catch(() => undefined);
    }
    report(true);
    return { folds, processed, lastRecordedAt: latest };
  }

  private async build(
    runners: ProjectionRunner[],
    options: RebuildOptions,
    /** What the progress carries over from a fold by stream before: its events, and when the rebuild started. */
    carried: { processed: number; since: number } | null = null,
  ): Promise<{ processed: number; elapsedMs: number }> {
    const { rebuildBatchSize, rebuildPageSize, streamPrefix } = this.options;
    const pageSize = Math.max(1, Math.min(rebuildPageSize, rebuildBatchSize));
    const started = performance.now();
    const since = carried?.since ?? started;
    let processed = 0;
    /** Through here events were counted in `processed`. */
    let counted: string | null = null;
    let lastReport = 0;
    const names = runners.map((r) => r.projection.name);
    /** Per builder: page by page (process()) until its checkpoint reaches this position; forever when true. */
    const pageByPage = new Map<ProjectionRunner, string | true>();
    // One read of the feed for every builder (readFilters).
    const { metadata, eventTypes } = readFilters(runners);
    const read = (after: string | null) =>
      this.events.readAll({ after, maxCount: pageSize, streamPrefix, metadata, eventTypes });
    let prefetched: { after: string | null; page: Promise<StoredEvent[]> } | null = null;
    for (;;) {
      if (options.signal?.aborted) throw new AbortedError();
      const from = slowestOf(runners);
      const head = await this.events.headPosition();
      let page: StoredEvent[] | null = null;
      if (prefetched && prefetched.after === from) page = await prefetched.page;
      // A short page read before `head` proves nothing about the events up to head: read it again.
      if (page === null || page.length < pageSize) page = await read(from);
      prefetched = null;
      const short = page.length < pageSize;
      if (page.length === pageSize) {
        // The next page is read while this one is applied (after the applies started).
        const after: string = page[page.length - 1].position;
        const next = new Promise<StoredEvent[]>((resolve, reject) =>
          setImmediate(() => read(after).then(resolve, reject)),
        );
        next.catch(() => undefined); // unused when a builder fell back; read again then
        prefetched = { after, page: next };
      }
      const caughtUp = await Promise.all(
        runners.map((r) => this.buildPage(r, page, short, rebuildBatchSize, pageByPage, options.signal)),
      );
      // Progress: the events every builder has applied (one that fell back applies some again: counted once).
      const slowest = slowestOf(runners);
      for (const e of page) {
        if (comparePositions(e.position, counted) <= 0) continue;
        if (comparePositions(e.position, slowest) > 0) break;
        processed++;
        counted = e.position;
      }
      const done = short && caughtUp.every(Boolean);
      if (done) for (const r of runners) r.observed = maxPosition(r.observed, head);
      const t = performance.now();
      if (options.onProgress && (done || t - lastReport >= 200)) {
        lastReport = t;
        const position = slowest;
        const elapsedMs = t - since;
        const all = processed + (carried?.processed ?? 0);
        options.onProgress({
          projections: names,
          phase: 'feed',
          processed: all,
          position: done ? head : position,
          headPosition: head,
          fraction: done
            ? 1
            : head && position
              ? Number((BigInt(position) * 10000n) / BigInt(head)) / 10000
              : null,
          eventsPerSec: Math.round(all / Math.max(elapsedMs / 1000, 0.001)),
          elapsedMs: Math.round(elapsedMs),
        });
      }
      if (done) return { processed, elapsedMs: Math.round(performance.now() - started) };
      await yieldToIo(); // a rebuild inside the service must not starve its requests
    }
  }

  /**
   * One page for one builder: streamed into its open batch, or page by page after a failure. Returns whether it
   * committed everything up to the end of the page (only asked of the last, short page).
   */
  private async buildPage(
    runner: ProjectionRunner,
    page: StoredEvent[],
    last: boolean,
    batchEvents: number,
    pageByPage: Map<ProjectionRunner, string | true>,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const end = page.length ? page[page.length - 1].position : null;
    const until = pageByPage.get(runner);
    if (until !== undefined) {
      // Retried when the store refuses the commit for a moment (another process holding SQLite's write lock past
      // the busy timeout); events that fail are parked by the runner itself.
      await this.retryCommit(`${runner.checkpointKey}: commit`, () => runner.process(page, signal), signal);
      if (until !== true && comparePositions(runner.checkpoint, until) >= 0) pageByPage.delete(runner);
      return comparePositions(runner.checkpoint, end) >= 0;
    }
    try {
      await runner.feed(page, batchEvents);
      if (last) await runner.flush();
      return true;
    } catch (error) {
      if (signal?.aborted || error instanceof AbortedError) throw error;
      const fed = runner.fed;
      await runner.resetStream();
      // Read again from the checkpoint, page by page, until past what was fed when it failed.
      pageByPage.set(
        runner,
        error instanceof StreamingUnsupportedError ? true : (maxPosition(fed, end) ?? true),
      );
      if (!(error instanceof StreamingUnsupportedError))
        this.logger.warn(
          `${runner.checkpointKey}: streamed batch failed, going on page by page from ${runner.checkpoint ?? 'the start'}: ${errorMessage(error)}`,
        );
      return false;
    }
  }

  /**
   * Runs a write, retrying what may pass (a busy store) with backoff, 20 attempts (about a minute and a half);
   * an abort, a swap abandoned or a checkpoint raced is final.
   */
  private async retryCommit(
    what: string,
    write: () => Promise<unknown>,
    signal?: AbortSignal,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        return;
      } catch (error) {
        const final =
          signal?.aborted ||
          error instanceof AbortedError ||
          error instanceof SwapAbandonedError ||
          error instanceof CheckpointConflictError;
        if (final || attempt >= 20) throw error;
        this.logger.warn(`${what} failed (attempt ${attempt}), retrying: ${errorMessage(error)}`);
        await sleep(
          Math.min(this.options.retryBaseDelayMs * 2 ** attempt, this.options.maxBackoffMs),
          signal,
        );
      }
    }
  }

  /** Activates a builder's generation: the registry switch commits with its checkpoint, guarded by it. */
  private async swap(slot: Slot, runner: ProjectionRunner): Promise<void> {
    const { projection } = slot;
    let activated: RegistryDoc | null = null;
    runner.stopTrackingWrites();
    // The indexes were deferred while building. Both writes are retried: at the very end of a parallel rebuild,
    // another job's index build may hold SQLite's write lock past the busy timeout, which must not throw the
    // whole rebuild away.
    await this.retryCommit(`${runner.checkpointKey}: indexes`, () => runner.ensureIndexes());
    await this.retryCommit(`${runner.checkpointKey}: swap`, () =>
      runner.exclusive(async () => {
        const apply = async (w: DocumentWriter): Promise<void> => {
          const current = await w.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name);
          if (!current || current.building?.generation !== runner.generation)
            throw new SwapAbandonedError(projection.name);
          activated = {
            name: projection.name,
            generation: runner.generation,
            version: current.building.version,
            building: null,
            activatedAt: this.now().toISOString(),
          };
          await w.put(REGISTRY_COLLECTION, projection.name, activated);
        };
        const c = runner.checkpoint;
        if (c === null) await this.store.write((w) => apply(w));
        else await this.store.commitBatch(runner.checkpointKey, c, c, (w) => apply(w));
      }),
    );
    if (!activated) return;
    this.logger.log(`${projection.name}: generation ${runner.generation} is live`);
    await this.activate(slot, activated, runner);
  }

  /** This process found the live generation built by another version: build the current one beside it. */
  private startVersionBuild(slot: Slot): void {
    const abort = new AbortController();
    const done = (async () => {
      let backoff = this.options.retryBaseDelayMs;
      while (!abort.signal.aborted) {
        try {
          const { projection } = slot;
          const registry = (await this.store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name))!;
          if (registry.version === projection.version) {
            await this.activate(slot, registry, null); // someone else finished it
            return;
          }
          let runner: ProjectionRunner;
          const b = registry.building;
          if (b && b.version === projection.version && b.by === 'engine') {
            runner = this.newRunner(projection, b.generation); // resume where a previous run stopped
            await runner.init({ withIndexes: false });
            // No checkpoint yet: it may have been folding by stream (documents written, no checkpoint). Again
            // from empty.
            if (runner.checkpoint === null)
              for (const c of Object.keys(projection.collections))
                await this.store.dropCollection(runner.collectionName(c));
          } else if (b && b.version === projection.version) {
            await sleep(this.options.registryPollMs, abort.signal); // a CLI rebuild of this version is under way
            continue;
          } else {
            if (b) await this.dropGeneration(projection, b.generation);
            const generation = Math.max(registry.generation, b?.generation ?? 0) + 1;
            const building = {
              generation,
              version: projection.version,
              startedAt: this.now().toISOString(),
              by: 'engine',
            };
            await this.store.write((w) =>
              w.put(REGISTRY_COLLECTION, projection.name, { ...registry, building }),
            );
            runner = this.newRunner(projection, generation);
          }
          this.logger.log(
            `${projection.name}: version ${registry.version} -> ${projection.version}, building generation ${runner.generation}`,
          );
          runner.sampleLag = false;
          await runner.init({ withIndexes: false });
          runner.trackWrites(); // only when it starts from empty (not when resuming)
          // Stream by stream first when it can (from empty only), then the feed from its checkpoint.
          const folding = await this.foldByStream([runner], { signal: abort.signal });
          await folding.settle();
          await this.build([runner], { signal: abort.signal });
          slot.build = null;
          await this.swap(slot, runner);
          return;
        } catch (error) {
          if (abort.signal.aborted || error instanceof AbortedError) return;
          if (error instanceof SwapAbandonedError) {
            await sleep(this.options.registryPollMs, abort.signal).catch(() => undefined);
            continue;
          }
          this.logger.error(
            `${slot.projection.name}: version build failed, retrying: ${errorMessage(error)}`,
          );
          await sleep(backoff, abort.signal).catch(() => undefined);
          backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
        }
      }
    })();
    slot.build = { abort, done };
  }

  // ---- status and health ------------------------------------------------------------------------------------

  async status(): Promise<ProjectionStatus[]> {
    await this.initialize();
    const head = await this.events.headPosition();
    const slots = [...this.slots.values()];
    await this.refreshStored(slots);
    const t = performance.now();
    const out: ProjectionStatus[] = [];
    for (const slot of slots) {
      const runner = slot.live!;
      const position = this.localPosition(slot);
      const behind = comparePositions(position, head) < 0;
      const local = slot.loop !== null;
      let lagMs = 0;
      if (behind) {
        if (local) {
          const waiting = slot.pagingSince ?? this.feed?.arrivalAfter(runner.observed) ?? null;
          lagMs = waiting === null ? 0 : Math.round(t - waiting);
        } else if (slot.stored) {
          lagMs = Math.round(t - slot.stored.movedAt);
        }
      }
      const problems: string[] = [];
      const stale = this.isStale(slot);
      if (lagMs > this.options.degradedAfterMs) problems.push(`${lagMs} ms behind the event store`);
      if (runner.deadLetters > 0) problems.push(`${runner.deadLetters} dead letter(s)`);
      if (runner.failure) problems.push(`failing since ${runner.failure.since}: ${runner.failure.message}`);
      if (this.running && !local && !stale) problems.push('not running');
      if (stale)
        problems.push(
          `serving version ${slot.registry!.version} while version ${slot.projection.version} builds`,
        );
      const p = (n: number): number | null => runner.lagMs.percentile(n);
      out.push({
        name: slot.projection.name,
        version: slot.registry?.version ?? slot.projection.version,
        generation: runner.generation,
        stale,
        running: local,
        position,
        headPosition: head,
        positionsBehind: head === null ? null : (BigInt(head) - BigInt(position ?? '0')).toString(),
        lagMs,
        sinceLastAppliedMs: runner.lastAppliedRecordedAt
          ? Date.now() - Date.parse(runner.lastAppliedRecordedAt)
          : null,
        lastAppliedRecordedAt: runner.lastAppliedRecordedAt,
        appendToVisibleMs: { p50: p(50), p99: p(99), samples: runner.lagMs.size },
        eventsApplied: runner.eventsApplied,
        deadLetters: runner.deadLetters,
        failure: runner.failure ? { message: runner.failure.message, since: runner.failure.since } : null,
        building: slot.registry?.building ?? null,
        problems,
      });
    }
    return out;
  }

  /** For the HealthRegistry: degraded (with the projection's name and lag) when any projection has a problem. */
  async health(): Promise<{ status: 'ok' | 'degraded'; details: Record<string, unknown> }> {
    const statuses = await this.status();
    const degraded = statuses.filter((s) => s.problems.length > 0);
    const details: Record<string, unknown> = { running: this.running };
    for (const s of statuses) {
      details[s.name] = {
        status: s.problems.length ? 'degraded' : 'ok',
        generation: s.generation,
        position: s.position,
        headPosition: s.headPosition,
        positionsBehind: s.positionsBehind,
        lagMs: s.lagMs,
        sinceLastAppliedMs: s.sinceLastAppliedMs,
        appendToVisibleMs: s.appendToVisibleMs,
        deadLetters: s.deadLetters,
        ...(s.building ? { building: s.building } : {}),
        ...(s.problems.length ? { problems: s.problems } : {}),
      };
    }
    if (degraded.length)
      details.degraded = degraded.map((s) => `${s.name}: ${s.problems.join('; ')} (lag ${s.lagMs} ms)`);
    return { status: degraded.length ? 'degraded' : 'ok', details };
  }

  /** The active runner of a projection (tests, diagnostics). */
  runnerOf(name: string): ProjectionRunner | null {
    return this.slots.get(name)?.live ?? null;
  }
}
