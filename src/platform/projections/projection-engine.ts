// Runs each projection from its checkpoint (projection-runner.ts), woken by one live feed (live-feed.ts); answers
// "has the read side reached P?"; rebuilds generations beside the live one and swaps them (rebuild.ts).
import { Logger } from '@nestjs/common';
import { comparePositions, type EventStore, PermanentStoreError } from '../event-store/event-store.port';
import type { Projection, ReadStore } from '../read-store/read-store.port';
import { CollectionRouter } from '../read-store/routed-read-store';
import { dropOlderGenerations, loadOrCreateRegistry, readRegistry, type RegistryDoc } from './generations';
import { LiveFeed } from './live-feed';
import {
  errorMessage,
  maxPosition,
  minPosition,
  pause,
  ProjectionRunner,
  replay,
  yieldToIo,
} from './projection-runner';
import { rebuildSlots, type RebuildOptions, type RebuildResult, startVersionBuild } from './rebuild';

export type { RebuildOptions, RebuildProgress, RebuildResult } from './rebuild';

export const DEFAULT_ENGINE_OPTIONS = {
  batchSize: 500, // most events per live batch
  rebuildBatchSize: 20_000, // a page and a commit while rebuilding: a document is written once a batch
  maxAttempts: 4, // per failing event before it is parked; the retries wait the base delay, ×4 each
  retryBaseDelayMs: 100,
  maxBackoffMs: 5000, // cap of the backoff when a batch fails outside any event (store unavailable)
  idlePollMs: 1000, // a caught-up runner looks for new events this often even without a wake-up
  registryPollMs: 1000, // to notice a swap made elsewhere (the rebuild command, another worker)
  dropGraceMs: 5000, // a replaced generation is dropped this long after the swap (readers elsewhere move over)
};

/** The tuning above, and the stream prefix feeding the projections (the product passes its own; unset: all). */
export type ProjectionEngineOptions = typeof DEFAULT_ENGINE_OPTIONS & { streamPrefix?: string };

/** Pending work older than this makes /health say degraded. */
const DEGRADED_AFTER_MS = 10_000;

type Task = { abort: AbortController; done: Promise<void> };

/** One registered projection and what this process does with it. */
export class Slot {
  registry: RegistryDoc | null = null;
  live: ProjectionRunner | null = null; // the active generation's runner
  loop: Task | null = null;
  build: Task | null = null; // a version-change build in this process
  behindSince: number | null = null; // performance clock: since behind the feed, or (elsewhere) since it moved
  readAt = 0; // not running here: when the checkpoint was last read from the store
  loading: Promise<void> | null = null;
  constructor(readonly projection: Projection) {}

  /** What the active generation has processed, as known here. */
  get position(): string | null {
    return this.live?.observed ?? null;
  }
}

export class ProjectionEngine {
  /** Logical -> physical collection names of the active generations (RoutedReadStore reads through it). */
  readonly router = new CollectionRouter();
  readonly options: ProjectionEngineOptions;
  private feed: LiveFeed | null = null;
  private readonly logger = new Logger('ProjectionEngine');
  private readonly slots = new Map<string, Slot>();
  private running = false;
  private disposed = false;
  private transition: Promise<void> = Promise.resolve();
  private registryTimer: NodeJS.Timeout | null = null;
  /** waitForPosition callers waiting for a commit. */
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly events: EventStore,
    /** The adapter itself (not the routed facade): the engine names generations explicitly. */
    readonly store: ReadStore,
    options: Partial<ProjectionEngineOptions> = {},
    readonly now: () => Date = () => new Date(),
  ) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
  }

  /** Adds a projection; call before start (from a module's onModuleInit). */
  register(projection: Projection): void {
    const { name } = projection;
    if (this.slots.has(name)) throw new Error(`Projection ${name} is already registered`);
    for (const other of this.slots.values())
      for (const c of Object.keys(projection.collections))
        if (c in other.projection.collections)
          throw new Error(`Collection ${c} of ${name} is already owned by ${other.projection.name}`);
    this.slots.set(name, new Slot(projection));
  }

  projection(name: string): Projection | undefined {
    return this.slots.get(name)?.projection;
  }

  /** The active runner of a projection (tests, diagnostics). */
  runnerOf(name: string): ProjectionRunner | null {
    return this.slots.get(name)?.live ?? null;
  }

  /** Loads each projection's registry entry and routes readers to its active generation (every role). */
  async initialize(): Promise<void> {
    for (const slot of this.slots.values()) {
      const load = async () =>
        this.activate(slot, await loadOrCreateRegistry(this.store, slot.projection, this.now));
      const retry = (error: unknown): never => {
        slot.loading = null; // the next initialize() tries again
        throw error;
      };
      await (slot.loading ??= load().catch(retry));
    }
    this.watchRegistry();
  }

  /** Runs the projections until stop(). Idempotent. */
  start(): Promise<void> {
    return this.chain(() => this.doStart());
  }

  /** Stops every runner after its in-flight batch. Idempotent; start() may be called again. */
  stop(): Promise<void> {
    return this.chain(() => this.doStop());
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** stop() and stop watching the registry: the module's shutdown. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
    if (this.registryTimer) clearTimeout(this.registryTimer);
    for (const wake of this.waiting) wake();
  }

  /** A failed transition must not block the next one (the supervisor retries start, later calls stop). */
  private chain(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.catch(() => undefined).then(step);
    return this.transition;
  }

  private async doStart(): Promise<void> {
    if (this.running || this.disposed) return;
    await this.initialize();
    this.running = true;
    this.feed = new LiveFeed(this.events, this.options.streamPrefix);
    await this.feed.start();
    for (const slot of this.slots.values()) this.startSlot(slot);
    this.logger.log(`started: ${[...this.slots.keys()].join(', ')}`);
  }

  private async doStop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const tasks = [...this.slots.values()].flatMap((s) => [s.loop, s.build]).filter((t) => t !== null);
    for (const slot of this.slots.values()) slot.loop = slot.build = null;
    for (const task of tasks) task.abort.abort();
    await Promise.all(tasks.map((t) => t.done));
    await this.feed?.stop();
    this.feed = null;
  }

  /** A runner of this engine, its collections created (`building`: a rebuild's, see ProjectionRunner). */
  async openRunner(projection: Projection, generation: number, building = false): Promise<ProjectionRunner> {
    const runner = new ProjectionRunner(projection, generation, this.store, this.options, this.now, building);
    await runner.init();
    return runner;
  }

  /** A write outside projections touched a projection's document: its runner must not trust its cached copy. */
  invalidateDocument(physicalCollection: string, id: string): void {
    for (const slot of this.slots.values()) slot.live?.cache.delete(physicalCollection, id);
  }

  private isStale(slot: Slot): boolean {
    return slot.registry !== null && slot.registry.version !== slot.projection.version;
  }

  private startSlot(slot: Slot): void {
    if (!this.running || !slot.live) return;
    this.scheduleDropOlder(slot);
    // Built by another version of this code: left frozen (still served) while the current version builds beside.
    if (this.isStale(slot)) slot.build ??= startVersionBuild(this, slot);
    else if (!slot.loop) {
      const abort = new AbortController();
      slot.loop = { abort, done: this.runLoop(slot, slot.live, abort.signal) };
    }
  }

  /** Batches from the feed while it covers the runner, pages from the store when behind; retried forever. */
  private async runLoop(slot: Slot, runner: ProjectionRunner, signal: AbortSignal): Promise<void> {
    const { batchSize, streamPrefix, retryBaseDelayMs } = this.options;
    let backoff = retryBaseDelayMs;
    while (!signal.aborted) {
      try {
        let read: number;
        // `observed` >= checkpoint, with no event of the feed between them: the buffer serves from there.
        if (this.feed?.covers(runner.observed)) {
          slot.behindSince = null;
          const batch = this.feed.after(runner.observed, batchSize);
          read = batch.length;
          await runner.process(batch, signal);
          this.progressed();
        } else {
          slot.behindSince ??= performance.now();
          const onPage = (): void => this.progressed();
          read = await replay(this.events, [runner], { pageSize: batchSize, streamPrefix, signal, onPage });
          slot.behindSince = null;
        }
        backoff = retryBaseDelayMs;
        if (read === 0) await pause(this.options.idlePollMs, signal, this.feed?.idle);
        else if (read >= batchSize) await yieldToIo();
      } catch (error) {
        if (signal.aborted) break;
        // A refusal no retry can fix (a foreign checkpoint, access denied) stops it, said on /health.
        const stop = error instanceof PermanentStoreError;
        const message = `${stop ? 'stopped: ' : ''}${errorMessage(error)}`;
        const attempts = (runner.failure?.attempts ?? 0) + 1;
        runner.failure = { message, since: runner.failure?.since ?? this.now().toISOString(), attempts };
        if (stop || attempts === 1 || attempts % 10 === 0)
          this.logger.error(`${runner.checkpointKey}: batch failed (attempt ${attempts}): ${message}`);
        if (stop) break;
        await pause(backoff, signal);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
  }

  /** After any commit or swap: free the feed buffer, let waiters look. */
  private progressed(): void {
    const looping = [...this.slots.values()].filter((s) => s.loop);
    this.feed?.trim(minPosition(looping.map((s) => s.position)));
    for (const wake of this.waiting) wake();
  }

  /** Processes everything up to the store's current head (including builds in progress here), then resolves. */
  async catchUp(): Promise<void> {
    await this.initialize();
    const head = await this.events.headPosition();
    if (head === null) return;
    const slots = [...this.slots.values()];
    if (this.running) {
      // A version build in progress here is part of "everything": its generation becomes the live one.
      await Promise.all(slots.map((s) => s.build?.done));
      await this.waitForPosition(head, Number.POSITIVE_INFINITY);
      return;
    }
    const runners = slots.filter((s) => s.live && !this.isStale(s)).map((s) => s.live!);
    const { batchSize: pageSize, streamPrefix } = this.options;
    if (runners.length > 0) await replay(this.events, runners, { pageSize, streamPrefix });
    this.progressed();
  }

  /** True once the named projections (default all) processed `position`, false after `timeoutMs`; any role. */
  async waitForPosition(position: string, timeoutMs: number, projectionNames?: string[]): Promise<boolean> {
    if (!/^\d+$/.test(position)) throw new Error(`Invalid position ${JSON.stringify(position)}`);
    await this.initialize();
    const slots = this.slotsOf(projectionNames);
    if (await this.reached(slots, position, true)) return true;
    const until = performance.now() + timeoutMs;
    for (let lookedAt = performance.now(); ;) {
      const left = until - performance.now();
      if (left <= 0 || this.disposed) return false;
      // Woken by a commit here; every 25 ms it asks the store too (checkpoints of others, positions outside the feed).
      await pause(Math.min(25, left), undefined, this.waiting);
      const look = performance.now() - lookedAt >= 25;
      if (look) lookedAt = performance.now();
      if (await this.reached(slots, position, look).catch(() => false)) return true;
    }
  }

  /** The lowest position of the named projections (all by default), fresh from the store when not running here. */
  async currentPosition(projectionNames?: string[]): Promise<string | null> {
    await this.initialize();
    const slots = this.slotsOf(projectionNames);
    await this.refreshStored(slots);
    return minPosition(slots.map((s) => s.position));
  }

  private slotsOf(names: string[] | undefined): Slot[] {
    if (!names) return [...this.slots.values()];
    return names.map((n) => {
      const slot = this.slots.get(n);
      if (!slot) throw new Error(`Unknown projection ${n}`);
      return slot;
    });
  }

  /** Slots not running here: their checkpoints from the store, read at most every 20 ms. */
  private async refreshStored(slots: Slot[]): Promise<void> {
    const t = performance.now();
    for (const slot of slots) {
      if (slot.loop || !slot.live || t - slot.readAt < 20) continue;
      slot.readAt = t;
      const before = slot.live.checkpoint;
      await slot.live.reload();
      if (slot.live.checkpoint !== before || slot.behindSince === null) slot.behindSince = t;
    }
  }

  /** Processed `position`, or nothing of the feed lies between (`look`: ask the store, not only the runners). */
  private async reached(slots: Slot[], position: string, look: boolean): Promise<boolean> {
    const lagging = slots.filter((s) => comparePositions(s.position, position) < 0);
    if (lagging.length === 0 || !look) return lagging.length === 0;
    await this.refreshStored(lagging);
    for (const slot of lagging) {
      const from = slot.position;
      if (comparePositions(from, position) >= 0) continue;
      if (comparePositions(await this.events.headPosition(), position) < 0) return false;
      const { streamPrefix } = this.options;
      const [next] = await this.events.readAll({ after: from, maxCount: 1, streamPrefix });
      if (next && comparePositions(next.position, position) <= 0) return false;
      if (slot.live && slot.position === from) slot.live.observed = maxPosition(from, position);
    }
    return true;
  }

  /** Rebuilds the named projections (or all) beside the live ones, then swaps (others follow within a poll). */
  async rebuild(which: string[] | 'all', options: RebuildOptions = {}): Promise<RebuildResult[]> {
    await this.initialize();
    return rebuildSlots(this, which === 'all' ? [...this.slots.values()] : this.slotsOf(which), options);
  }

  private watchRegistry(): void {
    if (this.registryTimer || this.disposed) return;
    // One timer, re-armed after each poll (a cleared one stays off): polls never overlap.
    const poll = (): void => {
      void this.pollRegistry()
        .catch((error: unknown) => this.logger.warn(`registry poll failed: ${errorMessage(error)}`))
        .finally(() => this.registryTimer?.refresh());
    };
    this.registryTimer = setTimeout(poll, this.options.registryPollMs).unref();
  }

  /** Notices a swap made by another process (the rebuild CLI, another worker) and follows it. */
  async pollRegistry(): Promise<void> {
    for (const slot of this.slots.values()) {
      const { name } = slot.projection;
      const registry = slot.registry && (await readRegistry(this.store, name));
      if (!slot.registry || !registry) continue;
      if (registry.generation !== slot.registry.generation) {
        this.logger.log(
          `${name}: generation ${slot.registry.generation} -> ${registry.generation} (swapped elsewhere)`,
        );
        await this.activate(slot, registry);
      } else slot.registry = registry;
      // Dead letters cleared (or parked) by another process show in /health within a poll.
      slot.live!.deadLetters = (await this.store.listDeadLetters(slot.live!.checkpointKey)).length;
    }
  }

  /** Makes `registry.generation` the slot's live generation here: route readers, move the loop over. */
  async activate(slot: Slot, registry: RegistryDoc): Promise<void> {
    // A fresh runner even after our own build: it runs live with the document cache.
    const next = await this.openRunner(slot.projection, registry.generation);
    slot.loop?.abort.abort();
    await slot.loop?.done;
    slot.loop = null;
    slot.registry = registry;
    slot.live = next;
    slot.behindSince = null;
    this.router.route(Object.keys(slot.projection.collections), registry.generation);
    this.startSlot(slot);
    this.progressed();
  }

  /** Drops generations older than the active one, a while after the swap (readers elsewhere move over first). */
  private scheduleDropOlder(slot: Slot): void {
    const { name } = slot.projection;
    const drop = async (): Promise<void> => {
      if (this.disposed) return;
      const dropped = await dropOlderGenerations(this.store, slot.projection);
      if (dropped.length) this.logger.log(`${name}: dropped generation(s) ${dropped.join(', ')}`);
    };
    const warn = (e: unknown) =>
      this.logger.warn(`dropping old generations of ${name} failed: ${errorMessage(e)}`);
    setTimeout(() => void drop().catch(warn), this.options.dropGraceMs).unref();
  }

  async status() {
    await this.initialize();
    const head = await this.events.headPosition();
    const slots = [...this.slots.values()];
    await this.refreshStored(slots);
    const t = performance.now();
    return slots.map((slot) => {
      const runner = slot.live!;
      const { position, projection, registry } = slot;
      const running = slot.loop !== null;
      const stale = this.isStale(slot);
      let lagMs = 0;
      if (comparePositions(position, head) < 0) {
        const since = slot.behindSince ?? (running ? this.feed?.arrivalAfter(position) : null) ?? null;
        lagMs = since === null ? 0 : Math.round(t - since);
      }
      const { deadLetters, failure, lastAppliedRecordedAt, lagMs: window } = runner;
      const problems: string[] = [];
      if (lagMs > DEGRADED_AFTER_MS) problems.push(`${lagMs} ms behind the event store`);
      if (deadLetters > 0) problems.push(`${deadLetters} dead letter(s)`);
      if (failure) problems.push(`failing since ${failure.since}: ${failure.message}`);
      if (this.running && !running && !stale) problems.push('not running');
      if (stale)
        problems.push(`serving version ${registry!.version} while version ${projection.version} builds`);
      return {
        name: projection.name,
        version: registry?.version ?? projection.version,
        generation: runner.generation,
        stale,
        running,
        position,
        headPosition: head,
        positionsBehind: head === null ? null : (BigInt(head) - BigInt(position ?? '0')).toString(),
        lagMs, // how long the oldest event not yet applied has been waiting
        sinceLastAppliedMs: lastAppliedRecordedAt ? Date.now() - Date.parse(lastAppliedRecordedAt) : null,
        lastAppliedRecordedAt,
        appendToVisibleMs: { p50: window.percentile(50), p99: window.percentile(99), samples: window.size },
        deadLetters,
        failure: failure && { message: failure.message, since: failure.since },
        building: registry?.building ?? null,
        problems, // why this projection makes /health degraded (empty: healthy)
      };
    });
  }

  /** For the HealthRegistry: degraded (with the projection's name and lag) when any projection has a problem. */
  async health(): Promise<{ status: 'ok' | 'degraded'; details: Record<string, unknown> }> {
    const statuses = await this.status();
    const degraded = statuses.filter((s) => s.problems.length > 0);
    const details: Record<string, unknown> = { running: this.running };
    for (const s of statuses) details[s.name] = { status: s.problems.length ? 'degraded' : 'ok', ...s };
    if (degraded.length)
      details.degraded = degraded.map((s) => `${s.name}: ${s.problems.join('; ')} (lag ${s.lagMs} ms)`);
    return { status: degraded.length ? 'degraded' : 'ok', details };
  }
}
