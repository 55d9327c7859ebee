// A rebuild: a new generation beside the live one (served meanwhile), the feed replayed into it in batches, a swap
// guarded by its checkpoint. Also how the service meets a new projection version. Parallel rebuilds: two commands.
import { Logger } from '@nestjs/common';
import { CheckpointConflictError, type DocumentWriter } from '../read-store/read-store.port';
import { dropGenerations, readRegistry, REGISTRY_COLLECTION, type RegistryDoc } from './generations';
import type { ProjectionEngine, Slot } from './projection-engine';
import { errorMessage, pause, type ProjectionRunner, replay } from './projection-runner';

export interface RebuildProgress {
  processed: number; // events read from the feed so far
  position: string | null;
  headPosition: string | null;
  fraction: number;
  eventsPerSec: number;
  elapsedMs: number;
}

export interface RebuildOptions {
  onProgress?: (progress: RebuildProgress) => void;
  signal?: AbortSignal;
}

export type RebuildResult = Awaited<ReturnType<typeof build>>[number];

type Build = { slot: Slot; runner: ProjectionRunner; previous: number };

const logger = new Logger('ProjectionEngine');
const perSec = (events: number, ms: number): number => Math.round(events / Math.max(ms / 1000, 0.001));

/** Rebuilds the slots' projections into a new generation each, from one read of the feed, and swaps each. */
export async function rebuildSlots(
  engine: ProjectionEngine,
  slots: Slot[],
  options: RebuildOptions,
): Promise<RebuildResult[]> {
  const builds: Build[] = [];
  for (const slot of slots) {
    // Our own version-change build would be replaced anyway: stop it first.
    slot.build?.abort.abort();
    await slot.build?.done;
    slot.build = null;
    const registry = (await readRegistry(engine.store, slot.projection.name)) ?? slot.registry!;
    const runner = await startBuild(engine, slot, registry, 'cli');
    builds.push({ slot, runner, previous: registry.generation });
  }
  return build(engine, builds, options);
}

/** This process found the live generation built by another version: builds the current one beside it. */
export function startVersionBuild(engine: ProjectionEngine, slot: Slot): NonNullable<Slot['build']> {
  const abort = new AbortController();
  const build = () => versionBuild(engine, slot, abort.signal);
  const done = retrying(engine, `${slot.projection.name}: version build`, build, abort.signal, Infinity);
  return { abort, done: done.catch(() => undefined) };
}

async function versionBuild(engine: ProjectionEngine, slot: Slot, signal: AbortSignal): Promise<void> {
  const { projection } = slot;
  const registry = (await readRegistry(engine.store, projection.name))!;
  if (registry.version === projection.version) return engine.activate(slot, registry); // someone else built it
  const b = registry.building;
  let runner: ProjectionRunner;
  if (b?.version !== projection.version) runner = await startBuild(engine, slot, registry, 'engine');
  else if (b.by === 'engine')
    runner = await engine.openRunner(projection, b.generation, true); // resume it
  else throw new Error(`version ${b.version} is being built by ${b.by} (look again later)`);
  logger.log(`${projection.name}: building generation ${runner.generation} (version ${projection.version})`);
  await build(engine, [{ slot, runner, previous: registry.generation }], { signal });
}

/** Marks a new generation as building (a build left behind, crashed or superseded now, goes) and opens it. */
async function startBuild(engine: ProjectionEngine, slot: Slot, registry: RegistryDoc, by: 'engine' | 'cli') {
  const { projection } = slot;
  const left = registry.building?.generation;
  if (left) await dropGenerations(engine.store, projection, [left]);
  const generation = Math.max(registry.generation, left ?? 0) + 1;
  const startedAt = engine.now().toISOString();
  const updated = { ...registry, building: { generation, version: projection.version, startedAt, by } };
  await engine.store.write((w) => w.put(REGISTRY_COLLECTION, projection.name, updated));
  if (slot.registry?.generation === registry.generation) slot.registry = updated;
  return engine.openRunner(projection, generation, true);
}

/** The feed replayed into the builders (one read per page for all, each commit retried), then each swapped in. */
async function build(engine: ProjectionEngine, builds: Build[], options: RebuildOptions) {
  const { onProgress, signal } = options;
  const { rebuildBatchSize: pageSize, streamPrefix } = engine.options;
  const runners = builds.map((b) => b.runner);
  const started = performance.now();
  let processed = 0;
  await replay(engine.events, runners, {
    pageSize,
    streamPrefix,
    signal,
    commit: (r, page) =>
      retrying(engine, `${r.checkpointKey}: commit`, () => r.process(page, signal), signal),
    onPage: (page, head, done) => {
      processed += page.length;
      if (!onProgress) return;
      const elapsedMs = Math.round(performance.now() - started);
      const position = done ? head : page[page.length - 1].position;
      const fraction = done ? 1 : Number((BigInt(position ?? 0) * 10000n) / BigInt(head ?? 1)) / 10000;
      const eventsPerSec = perSec(processed, elapsedMs);
      onProgress({ processed, position, headPosition: head, fraction, eventsPerSec, elapsedMs });
    },
  });
  const elapsedMs = Math.round(performance.now() - started);
  for (const { slot, runner } of builds) await swap(engine, slot, runner);
  return builds.map(({ slot, runner, previous }) => ({
    name: slot.projection.name,
    generation: runner.generation,
    previousGeneration: previous,
    eventsProcessed: processed,
    position: runner.checkpoint,
    elapsedMs,
    eventsPerSec: perSec(processed, elapsedMs),
  }));
}

/** Retries what may pass later (another process holds SQLite's write lock); an abort or a conflict is final. */
async function retrying<T>(
  engine: ProjectionEngine,
  what: string,
  write: () => Promise<T>,
  signal?: AbortSignal,
  attempts = 20,
): Promise<T> {
  const { retryBaseDelayMs, maxBackoffMs } = engine.options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (signal?.aborted || error instanceof CheckpointConflictError || attempt >= attempts) throw error;
      logger.warn(`${what} failed (attempt ${attempt}), retrying: ${errorMessage(error)}`);
      await pause(Math.min(retryBaseDelayMs * 2 ** attempt, maxBackoffMs), signal);
    }
  }
}

/** Activates a builder's generation (deferred indexes first): the registry switch commits at its checkpoint. */
async function swap(engine: ProjectionEngine, slot: Slot, runner: ProjectionRunner): Promise<void> {
  const { name } = slot.projection;
  const activated = await retrying(engine, `${runner.checkpointKey}: swap`, async () => {
    await runner.ensureCollections();
    const apply = async (w: DocumentWriter): Promise<RegistryDoc | null> => {
      const current = await readRegistry(w, name);
      if (current?.building?.generation !== runner.generation) return null; // another build superseded ours
      const { generation } = runner;
      const activatedAt = engine.now().toISOString();
      const doc = { name, generation, version: current.building.version, building: null, activatedAt };
      await w.put(REGISTRY_COLLECTION, name, doc);
      return doc;
    };
    const c = runner.checkpoint;
    return c === null
      ? engine.store.write(apply)
      : engine.store.commitBatch(runner.checkpointKey, c, c, apply);
  });
  if (!activated) throw new Error(`rebuild of ${name} was superseded by another one`);
  logger.log(`${name}: generation ${runner.generation} is live`);
  await engine.activate(slot, activated);
}
