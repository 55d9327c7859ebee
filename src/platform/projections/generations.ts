// Read models live in generations: a projection's collections are stored as `<collection>__g<n>`, its checkpoint
// as `<name>@g<n>`; the registry names the active one (switched by a commit guarded by the new one's checkpoint).
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

export interface RegistryDoc {
  name: string;
  generation: number; // the one readers use, and the projection version it was built with
  version: number;
  building: { generation: number; version: number; startedAt: string; by: 'engine' | 'cli' } | null;
  activatedAt: string;
}

export const readRegistry = (store: Pick<DocumentWriter, 'get'>, name: string): Promise<RegistryDoc | null> =>
  store.get<RegistryDoc>(REGISTRY_COLLECTION, name);

export const physicalName = (collection: string, generation: number) => `${collection}__g${generation}`;
export const checkpointKeyOf = (projection: string, generation: number) => `${projection}@g${generation}`;

/** Logical collection name -> physical name, for whichever generation a reader or writer works on. */
export type CollectionMap = (collection: string) => string;

/** A writer that renames collections on the way through: callers write logical names. */
export class MappedWriter implements DocumentWriter {
  constructor(
    protected readonly target: DocumentWriter,
    protected readonly map: CollectionMap,
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

/** The registry entry, created under a guard: a job starting meanwhile may have written its `building` mark. */
export async function loadOrCreateRegistry(store: ReadStore, projection: Projection, now: () => Date) {
  const { name, version } = projection;
  const existing = await readRegistry(store, name);
  if (existing) return existing;
  const created: RegistryDoc = {
    name,
    generation: 1,
    version,
    building: null,
    activatedAt: now().toISOString(),
  };
  try {
    await store.commitBatch(`${name}@registry`, null, '0', (w) => w.put(REGISTRY_COLLECTION, name, created));
    return created;
  } catch (error) {
    if (!(error instanceof CheckpointConflictError)) throw error;
    return (await readRegistry(store, name)) ?? created; // theirs came first
  }
}

/** Removes generations of a projection: their collections, checkpoints and dead letters. */
export async function dropGenerations(store: ReadStore, projection: Projection, generations: number[]) {
  for (const generation of generations) {
    for (const c of Object.keys(projection.collections))
      await store.dropCollection(physicalName(c, generation));
    const key = checkpointKeyOf(projection.name, generation);
    await store.deleteCheckpoint(key);
    await store.deleteDeadLetters(key);
  }
}

/** Removes the generations older than the active one; returns their numbers. */
export async function dropOlderGenerations(store: ReadStore, projection: Projection): Promise<number[]> {
  const registry = await readRegistry(store, projection.name);
  if (!registry) return [];
  const owned = Object.keys(projection.collections);
  const older = new Set<number>();
  for (const name of await store.listCollections()) {
    const m = /^(.+)__g(\d+)$/.exec(name);
    if (m && owned.includes(m[1]) && Number(m[2]) < registry.generation) older.add(Number(m[2]));
  }
  await dropGenerations(store, projection, [...older]);
  return [...older];
}
