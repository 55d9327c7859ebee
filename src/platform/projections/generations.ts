// Read models live in generations: a projection's collections are stored as `<collection>__g<n>` and its
// checkpoint as `<name>@g<n>`. A rebuild (or a new projection version) fills generation n+1 beside the live
// one; the registry document naming the active generation is switched in the same transaction as the new
// generation's last batch, so readers move from one complete read model to the other.
import {
  CheckpointConflictError,
  type DocumentWriter,
  type Filter,
  type FindOptions,
  type Projection,
  type ReadStore,
} from '../read-store/read-store.port';

/** The engine's own collection: one document per projection (not generational). */
export const REGISTRY_COLLECTION = '_projections';

export interface BuildInfo {
  generation: number;
  version: number;
  /** ISO-8601 */
  startedAt: string;
  /** Who builds it: `engine` (a version change, in the service) or `cli` (npm run projections -- rebuild). */
  by: string;
}

export interface RegistryDoc {
  name: string;
  /** The generation readers use. */
  generation: number;
  /** The projection version that generation was built with. */
  version: number;
  building: BuildInfo | null;
  /** ISO-8601, when `generation` last changed. */
  activatedAt: string;
}

export const physicalName = (collection: string, generation: number): string =>
  `${collection}__g${generation}`;
export const checkpointKeyOf = (projection: string, generation: number): string =>
  `${projection}@g${generation}`;
/** A checkpoint that only guards the creation of a projection's registry entry (no generation: never dropped). */
export const registryGuardKey = (projection: string): string => `${projection}@registry`;

const GENERATIONAL = /^(.+)__g(\d+)$/;
/** `order_pages__g3` -> { collection: 'order_pages', generation: 3 }; null for other names. */
export function parsePhysicalName(name: string): { collection: string; generation: number } | null {
  const m = GENERATIONAL.exec(name);
  return m ? { collection: m[1], generation: Number(m[2]) } : null;
}

/** Logical collection name -> physical name, for whichever generation a reader or writer works on. */
export type CollectionMap = (collection: string) => string;

/** A batch writer that renames collections on the way through: a projection writes its logical names. */
export class MappedWriter implements DocumentWriter {
  constructor(
    private readonly target: DocumentWriter,
    private readonly map: CollectionMap,
  ) {}
  get<T extends object>(collection: string, id: string): Promise<T | null> {
    return this.target.get<T>(this.map(collection), id);
  }
  find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return this.target.find<T>(this.map(collection), filter, options);
  }
  count(collection: string, filter: Filter): Promise<number> {
    return this.target.count(this.map(collection), filter);
  }
  put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    return this.target.put(this.map(collection), id, doc);
  }
  delete(collection: string, id: string): Promise<void> {
    return this.target.delete(this.map(collection), id);
  }
}

/**
 * The projection's registry entry, created (generation 1) when missing. Created under a guard like a batch: a
 * service and a rebuild job starting together on a fresh store both find no entry, and a plain put could wipe
 * the `building` mark the job wrote meanwhile.
 */
export async function loadOrCreateRegistry(
  store: ReadStore,
  projection: Projection,
  now: () => Date,
): Promise<RegistryDoc> {
  const existing = await store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name);
  if (existing) return existing;
  const created: RegistryDoc = {
    name: projection.name,
    generation: 1,
    version: projection.version,
    building: null,
    activatedAt: now().toISOString(),
  };
  try {
    await store.commitBatch(registryGuardKey(projection.name), null, '0', (w) =>
      w.put(REGISTRY_COLLECTION, projection.name, created),
    );
    return created;
  } catch (error) {
    if (!(error instanceof CheckpointConflictError)) throw error;
  }
  // Another process created it first: use theirs (removed by hand since: write it again).
  const theirs = await store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name);
  if (theirs) return theirs;
  await store.write((w) => w.put(REGISTRY_COLLECTION, projection.name, created));
  return created;
}

async function forgetGeneration(store: ReadStore, name: string, generation: number): Promise<void> {
  const key = checkpointKeyOf(name, generation);
  await store.deleteCheckpoint(key);
  await store.deleteDeadLetters(key);
}

/** Removes one generation: its collections, checkpoint and dead letters. */
export async function dropGeneration(
  store: ReadStore,
  projection: Projection,
  generation: number,
): Promise<void> {
  for (const c of Object.keys(projection.collections))
    await store.dropCollection(physicalName(c, generation));
  await forgetGeneration(store, projection.name, generation);
}

/** Removes the generations older than the active one; returns their numbers. */
export async function dropOlderGenerations(store: ReadStore, projection: Projection): Promise<number[]> {
  const registry = await store.get<RegistryDoc>(REGISTRY_COLLECTION, projection.name);
  if (!registry) return [];
  const owned = new Set(Object.keys(projection.collections));
  const dropped = new Set<number>();
  for (const name of await store.listCollections()) {
    const parsed = parsePhysicalName(name);
    if (!parsed || !owned.has(parsed.collection) || parsed.generation >= registry.generation) continue;
    await store.dropCollection(name);
    dropped.add(parsed.generation);
  }
  for (const key of Object.keys(await store.listCheckpoints())) {
    const m = /^(.+)@g(\d+)$/.exec(key); // generation checkpoints only (not the registry's guard)
    if (m && m[1] === projection.name && Number(m[2]) < registry.generation) dropped.add(Number(m[2]));
  }
  for (const generation of dropped) await forgetGeneration(store, projection.name, generation);
  return [...dropped];
}
