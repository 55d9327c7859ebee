// The projection engine: runs every registered projection from its own checkpoint over the store's feed (the
// product's stream prefix, passed in the options), batch by batch, each batch atomic with its checkpoint; wakes
// on appends through one shared live subscription; parks events that keep failing; answers "has the read side
// reached position P?"; and rebuilds read models into a new generation beside the live one, swapping when caught
// up. The parts: live-loop.ts, projection-runner.ts (batches), dead-letters.ts, read-positions.ts, rebuild.ts.
import { Logger } from '@nestjs/common';
import { comparePositions, type EventStore } from '../event-store/event-store.port';
import type { Projection, ReadStore } from '../read-store/read-store.port';
import { CollectionRouter } from '../read-store/routed-read-store';
import {
  DEFAULT_ENGINE_OPTIONS,
  errorMessage,
  type ProjectionEngineOptions,
  type ProjectionStatus,
  type Slot,
} from './engine-options';
import {
  dropOlderGenerations,
  loadOrCreateRegistry,
  REGISTRY_COLLECTION,
  type RegistryDoc,
} from './generations';
import { LiveFeed } from './live-feed';
import { drain, runLiveLoop } from './live-loop';
import { ProjectionRunner } from './projection-runner';
import { ReadPositions } from './read-positions';
import { Rebuilds, type RebuildOptions, type RebuildResult } from './rebuild';

export * from './engine-options';
export type { RebuildOptions, RebuildProgress, RebuildResult } from './rebuild';

const DECIMAL = /^\d+$/;

export class ProjectionEngine {
  /** Logical -> physical collection names of the active generations (RoutedReadStore reads through it). */
  readonly router = new CollectionRouter();
  readonly options: ProjectionEngineOptions;
  feed: LiveFeed | null = null;
  private readonly logger = new Logger('ProjectionEngine');
  private readonly slots = new Map<string, Slot>();
  private readonly positions: ReadPositions;
  private readonly rebuilds: Rebuilds;
  private running = false;
  private transition: Promise<void> = Promise.resolve();
  private initialized = false;
  private initializing: Promise<void> | null = null;
  private registryTimer: NodeJS.Timeout | null = null;
  private readonly dropTimers = new Set<NodeJS.Timeout>();
  private disposed = false;

  constructor(
    readonly events: EventStore,
    /** The adapter itself (not the routed facade): the engine names generations explicitly. */
    readonly store: ReadStore,
    options: Partial<ProjectionEngineOptions> = {},
    readonly now: () => Date = () => new Date(),
  ) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
    this.positions = new ReadPositions(
      events,
      store,
      () => this.options.streamPrefix,
      (slots) => this.running && slots.every((s) => s.loop),
    );
    this.rebuilds = new Rebuilds({
      events,
      store,
      options: this.options,
      now: () => this.now(),
      // No document cache while building: big batches serve their own re-reads, and a rebuild's documents rarely
      // outlive two batches (the cache cost an insert per document for almost no hits).
      newRunner: (slot, generation) => this.newRunner(slot.projection, generation, 0),
      activate: (slot, registry) => this.activate(slot, registry),
    });
  }

  // ---- registration and lifecycle -------------------------------------------------------------------------

  /** Adds a projection; call before start (from a module's onModuleInit). */
  register(projection: Projection): void {
    if (this.slots.has(projection.name))
      throw new Error(`Projection ${projection.name} is already registered`);
    for (const other of this.slots.values()) {
      for (const c of Object.keys(projection.collections)) {
        if (c in other.projection.collections)
          throw new Error(
            `Collection ${c} of ${projection.name} is already owned by ${other.projection.name}`,
          );
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

  projection(name: string): Projection | undefined {
    return this.slots.get(name)?.projection;
  }

  /**
   * Loads (or creates) each projection's registry entry and routes readers to its active generation. Also starts
   * watching the registry for swaps made elsewhere. Called by start(); the API role calls it alone (reads only).
   */
  async initialize(): Promise<void> {
    if (this.initialized) return;
    if (!this.initializing) {
      this.initializing = (async () => {
        for (const slot of this.slots.values()) {
          if (slot.live) continue;
          const registry = await loadOrCreateRegistry(this.store, slot.projection, this.now);
          const runner = this.newRunner(slot.projection, registry.generation);
          await runner.init();
          slot.registry = registry;
          slot.live = runner;
          this.router.route(Object.keys(slot.projection.collections), registry.generation);
        }
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
    this.positions.dispose();
  }

  private async doStart(): Promise<void> {
    if (this.running || this.disposed) return;
    await this.initialize();
    this.running = true;
    this.feed = new LiveFeed(this.events, this.options.streamPrefix, () => {
      for (const slot of this.slots.values()) slot.wake?.();
    });
    await this.feed.start();
    for (const slot of this.slots.values()) this.startSlot(slot);
    this.logger.log(`started: ${this.names().join(', ')}`);
  }

  private async doStop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const pending: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      for (const task of [slot.loop, slot.build]) {
        task?.abort.abort();
        if (task) pending.push(task.done);
      }
      slot.loop = null;
      slot.build = null;
      slot.wake?.();
    }
    await Promise.all(pending);
    await this.feed?.stop();
    this.feed = null;
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
      if (!slot.build) this.rebuilds.startVersionBuild(slot);
      return;
    }
    if (slot.loop) return;
    const abort = new AbortController();
    slot.loop = { abort, done: runLiveLoop(this, slot, slot.live, abort.signal) };
  }

  /** After any commit: free the feed buffer and let waiters check. */
  progressed(): void {
    if (this.feed) {
      let min: string | null | undefined;
      for (const slot of this.slots.values()) {
        if (!slot.loop || !slot.live) continue;
        const c = slot.live.observed;
        if (min === undefined || comparePositions(c, min) < 0) min = c;
      }
      if (min !== undefined) this.feed.trim(min);
    }
    this.positions.check();
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
      await drain(this.events, slot.live, head, this.options);
    }
    this.positions.check();
  }

  /**
   * Resolves true once every named projection (all by default) has processed `position`, false after
   * `timeoutMs`. Works in every role: without local runners it follows the checkpoints in the store.
   */
  async waitForPosition(position: string, timeoutMs: number, projectionNames?: string[]): Promise<boolean> {
    if (!DECIMAL.test(position)) throw new Error(`Invalid position ${JSON.stringify(position)}`);
    await this.initialize();
    return this.positions.wait(this.slotsOf(projectionNames), position, timeoutMs);
  }

  /** The position the named projection's active generation has processed (null: nothing yet, or unknown name). */
  positionOf(name: string): string | null {
    const slot = this.slots.get(name);
    return slot ? this.positions.localPosition(slot) : null;
  }

  /** The lowest position of the named projections (all by default), fresh from the store when not running here. */
  async currentPosition(projectionNames?: string[]): Promise<string | null> {
    await this.initialize();
    const slots = this.slotsOf(projectionNames);
    await this.positions.refreshStored(slots);
    let min: string | null | undefined;
    for (const slot of slots) {
      const p = this.positions.localPosition(slot);
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

  // ---- generations: rebuilds, registry watch, swaps, drops -------------------------------------------------

  /**
   * Rebuilds the named projections (or all) from the beginning of the feed into a new generation each, beside
   * the live ones (still served meanwhile), and swaps each in once caught up. A service running elsewhere on
   * the same store notices the swap within registryPollMs.
   */
  async rebuild(which: string[] | 'all', options: RebuildOptions = {}): Promise<RebuildResult[]> {
    await this.initialize();
    return this.rebuilds.rebuild(which === 'all' ? [...this.slots.values()] : this.slotsOf(which), options);
  }

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
        await this.activate(slot, registry);
      } else {
        slot.registry = registry;
      }
      // Dead letters cleared (or parked) by another process show in /health within a poll.
      if (slot.live)
        slot.live.deadLetters = (await this.store.listDeadLetters(slot.live.checkpointKey)).length;
    }
  }

  /** Makes `registry.generation` the slot's live generation here: route readers, move the loop over. */
  private async activate(slot: Slot, registry: RegistryDoc): Promise<void> {
    // A fresh runner even after our own build: it runs live with the live document cache.
    const next = this.newRunner(slot.projection, registry.generation);
    await next.init();
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
    this.positions.check();
  }

  /** Drops generations older than the active one, a while after the swap (readers elsewhere move over first). */
  private scheduleDropOlder(slot: Slot): void {
    const timer = setTimeout(() => {
      this.dropTimers.delete(timer);
      dropOlderGenerations(this.store, slot.projection).then(
        (dropped) => {
          if (dropped.length)
            this.logger.log(`${slot.projection.name}: dropped generation(s) ${dropped.join(', ')}`);
        },
        (e: unknown) =>
          this.logger.warn(`dropping old generations of ${slot.projection.name} failed: ${errorMessage(e)}`),
      );
    }, this.options.dropGraceMs);
    timer.unref();
    this.dropTimers.add(timer);
  }

  // ---- status and health ------------------------------------------------------------------------------------

  async status(): Promise<ProjectionStatus[]> {
    await this.initialize();
    const head = await this.events.headPosition();
    const slots = [...this.slots.values()];
    await this.positions.refreshStored(slots);
    const t = performance.now();
    return slots.map((slot) => {
      const runner = slot.live!;
      const position = this.positions.localPosition(slot);
      const local = slot.loop !== null;
      let lagMs = 0;
      if (comparePositions(position, head) < 0) {
        const waiting = local
          ? (slot.pagingSince ?? this.feed?.arrivalAfter(runner.observed) ?? null)
          : (slot.stored?.movedAt ?? null);
        lagMs = waiting === null ? 0 : Math.round(t - waiting);
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
      return {
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
      };
    });
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
