// Rebuilds: a new generation beside the live one (still served meanwhile), the feed replayed into it in batches
// (each committed with its checkpoint, as live), then a swap: the registry switch commits guarded by the new
// generation's checkpoint, so readers move from one complete read model to the other. The same happens inside the
// service when a projection's version changes. Parallel rebuilds are separate commands (separate processes).
import { Logger } from '@nestjs/common';
import { comparePositions, type EventStore, type StoredEvent } from '../event-store/event-store.port';
import { CheckpointConflictError, type DocumentWriter, type ReadStore } from '../read-store/read-store.port';
import { AbortedError, sleep } from './dead-letters';
import {
  errorMessage,
  maxPosition,
  type ProjectionEngineOptions,
  type Slot,
  yieldToIo,
} from './engine-options';
import { dropGeneration, REGISTRY_COLLECTION, type RegistryDoc } from './generations';
import type { ProjectionRunner } from './projection-runner';

export interface RebuildProgress {
  projections: string[];
  /** Events read from the feed so far. */
  processed: number;
  position: string | null;
  headPosition: string | null;
  /** position / head, when both are known. */
  fraction: number | null;
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
}

/** What a rebuild needs of the engine. */
export interface RebuildHost {
  readonly events: EventStore;
  readonly store: ReadStore;
  readonly options: ProjectionEngineOptions;
  now(): Date;
  newRunner(slot: Slot, generation: number): ProjectionRunner;
  /** Makes the registry's generation the slot's live one here. */
  activate(slot: Slot, registry: RegistryDoc): Promise<void>;
}

class SwapAbandonedError extends Error {
  constructor(name: string) {
    super(`rebuild of ${name} was superseded by another one`);
    this.name = 'SwapAbandonedError';
  }
}

const logger = new Logger('ProjectionEngine');

export class Rebuilds {
  constructor(private readonly host: RebuildHost) {}

  /** Rebuilds the slots' projections into a new generation each, from one read of the feed, and swaps each. */
  async rebuild(slots: Slot[], options: RebuildOptions = {}): Promise<RebuildResult[]> {
    const { store } = this.host;
    const builders: { slot: Slot; runner: ProjectionRunner; previous: number }[] = [];
    for (const slot of slots) {
      const { projection } = slot;
      // Our own version-change build would be replaced anyway: stop it first.
      if (slot.build) {
        slot.build.abort.abort();
        await slot.build.done;
        slot.build = null;
      }
      const registry = (await store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name)) ?? slot.registry!;
      // A build left behind (crashed, or superseded now): its generation goes.
      if (registry.building) await dropGeneration(store, projection, registry.building.generation);
      const generation = Math.max(registry.generation, registry.building?.generation ?? 0) + 1;
      const updated: RegistryDoc = {
        ...registry,
        building: {
          generation,
          version: projection.version,
          startedAt: this.host.now().toISOString(),
          by: options.by ?? 'cli',
        },
      };
      await store.write((w) => w.put(REGISTRY_COLLECTION, projection.name, updated));
      slot.registry = updated;
      const runner = await this.builder(slot, generation);
      builders.push({ slot, runner, previous: registry.generation });
    }
    const started = performance.now();
    const processed = await this.replay(
      builders.map((b) => b.runner),
      options,
    );
    const elapsedMs = Math.round(performance.now() - started);
    const results: RebuildResult[] = [];
    for (const b of builders) {
      await this.swap(b.slot, b.runner);
      results.push({
        name: b.slot.projection.name,
        generation: b.runner.generation,
        previousGeneration: b.previous,
        eventsProcessed: processed,
        position: b.runner.checkpoint,
        elapsedMs,
        eventsPerSec: Math.round(processed / Math.max(elapsedMs / 1000, 0.001)),
      });
    }
    return results;
  }

  /** This process found the live generation built by another version: build the current one beside it. */
  startVersionBuild(slot: Slot): void {
    const abort = new AbortController();
    const done = (async () => {
      let backoff = this.host.options.retryBaseDelayMs;
      while (!abort.signal.aborted) {
        try {
          if (await this.versionBuild(slot, abort.signal)) return;
        } catch (error) {
          if (abort.signal.aborted || error instanceof AbortedError) return;
          if (error instanceof SwapAbandonedError) {
            await sleep(this.host.options.registryPollMs, abort.signal).catch(() => undefined);
            continue;
          }
          logger.error(`${slot.projection.name}: version build failed, retrying: ${errorMessage(error)}`);
          await sleep(backoff, abort.signal).catch(() => undefined);
          backoff = Math.min(backoff * 2, this.host.options.maxBackoffMs);
        }
      }
    })();
    slot.build = { abort, done };
  }

  /** One attempt; false: a CLI rebuild of this version is under way, look again later. */
  private async versionBuild(slot: Slot, signal: AbortSignal): Promise<boolean> {
    const { store } = this.host;
    const { projection } = slot;
    const registry = (await store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name))!;
    if (registry.version === projection.version) {
      await this.host.activate(slot, registry); // someone else finished it
      return true;
    }
    const b = registry.building;
    let generation: number;
    if (b && b.version === projection.version && b.by === 'engine') {
      generation = b.generation; // resume where a previous run stopped: from its checkpoint
    } else if (b && b.version === projection.version) {
      await sleep(this.host.options.registryPollMs, signal);
      return false;
    } else {
      if (b) await dropGeneration(store, projection, b.generation);
      generation = Math.max(registry.generation, b?.generation ?? 0) + 1;
      const building = {
        generation,
        version: projection.version,
        startedAt: this.host.now().toISOString(),
        by: 'engine',
      };
      await store.write((w) => w.put(REGISTRY_COLLECTION, projection.name, { ...registry, building }));
    }
    logger.log(
      `${projection.name}: version ${registry.version} -> ${projection.version}, building generation ${generation}`,
    );
    const runner = await this.builder(slot, generation);
    await this.replay([runner], { signal });
    slot.build = null;
    await this.swap(slot, runner);
    return true;
  }

  private async builder(slot: Slot, generation: number): Promise<ProjectionRunner> {
    const runner = this.host.newRunner(slot, generation);
    runner.sampleLag = false;
    await runner.init({ withIndexes: false });
    return runner;
  }

  /**
   * Replays the feed into the builders until a page comes back short (caught up with the head): one read per
   * page for all of them, each committing it as one batch (retries and dead letters as live). Returns the events
   * read.
   */
  private async replay(runners: ProjectionRunner[], options: RebuildOptions): Promise<number> {
    const { rebuildBatchSize, streamPrefix } = this.host.options;
    const names = runners.map((r) => r.projection.name);
    const started = performance.now();
    let processed = 0;
    let lastReport = 0;
    for (;;) {
      if (options.signal?.aborted) throw new AbortedError();
      const head = await this.host.events.headPosition();
      let from = runners[0]?.checkpoint ?? null;
      for (const r of runners) if (comparePositions(r.checkpoint, from) < 0) from = r.checkpoint;
      const page: StoredEvent[] = await this.host.events.readAll({
        after: from,
        maxCount: rebuildBatchSize,
        streamPrefix,
      });
      for (const r of runners)
        await this.retryCommit(
          `${r.checkpointKey}: commit`,
          () => r.process(page, options.signal),
          options.signal,
        );
      processed += page.length;
      const done = page.length < rebuildBatchSize;
      if (done) for (const r of runners) r.observed = maxPosition(r.observed, head);
      const t = performance.now();
      if (options.onProgress && (done || t - lastReport >= 200)) {
        lastReport = t;
        const position = done ? head : (page[page.length - 1]?.position ?? from);
        options.onProgress({
          projections: names,
          processed,
          position,
          headPosition: head,
          fraction: done
            ? 1
            : head && position
              ? Number((BigInt(position) * 10000n) / BigInt(head)) / 10000
              : null,
          eventsPerSec: Math.round(processed / Math.max((t - started) / 1000, 0.001)),
          elapsedMs: Math.round(t - started),
        });
      }
      if (done) return processed;
      await yieldToIo(); // a rebuild inside the service must not starve its requests
    }
  }

  /**
   * Runs a write, retrying what may pass (a busy store: another process holding SQLite's write lock past the busy
   * timeout) with backoff, 20 attempts; an abort, a swap abandoned or a checkpoint raced is final.
   */
  private async retryCommit(
    what: string,
    write: () => Promise<unknown>,
    signal?: AbortSignal,
  ): Promise<void> {
    const { retryBaseDelayMs, maxBackoffMs } = this.host.options;
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
        logger.warn(`${what} failed (attempt ${attempt}), retrying: ${errorMessage(error)}`);
        await sleep(Math.min(retryBaseDelayMs * 2 ** attempt, maxBackoffMs), signal);
      }
    }
  }

  /** Activates a builder's generation: the registry switch commits with its checkpoint, guarded by it. */
  private async swap(slot: Slot, runner: ProjectionRunner): Promise<void> {
    const { store } = this.host;
    const { projection } = slot;
    let activated: RegistryDoc | null = null;
    // The indexes were deferred while building.
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
            activatedAt: this.host.now().toISOString(),
          };
          await w.put(REGISTRY_COLLECTION, projection.name, activated);
        };
        const c = runner.checkpoint;
        if (c === null) await store.write((w) => apply(w));
        else await store.commitBatch(runner.checkpointKey, c, c, (w) => apply(w));
      }),
    );
    if (!activated) return;
    logger.log(`${projection.name}: generation ${runner.generation} is live`);
    await this.host.activate(slot, activated);
  }
}
