// The read store in a process's memory, for tests: the port's semantics (filter.ts) over Maps. Callers get copies,
// as from a real store.
import {
  assertCheckpoint,
  BufferedReadStore,
  CheckpointDoc,
  CheckpointMove,
  CHECKPOINTS,
  CollectionChanges,
} from '../buffered-writer';
import { query } from '../filter';
import { assertCollectionName, Entry, Filter, FindOptions, ReadStore } from '../read-store.port';

export class InMemoryReadStore extends BufferedReadStore implements ReadStore {
  private readonly collections = new Map<string, Map<string, object>>();

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    this.assertOpen();
    const doc = this.collections.get(collection)?.get(id);
    return doc ? (structuredClone(doc) as T) : null;
  }

  async findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]> {
    this.assertOpen();
    const entries = [...(this.collections.get(collection) ?? [])].map(([id, doc]) => ({ id, doc }));
    return query(entries, filter, options).map(({ id, doc }) => ({ id, doc: structuredClone(doc) as T }));
  }

  async count(collection: string, filter: Filter): Promise<number> {
    return (await this.findEntries(collection, filter)).length;
  }

  /** Indexes are ignored: a scan is fast enough for tests. */
  async ensureCollection(collection: string, _indexes: string[][]): Promise<void> {
    this.assertOpen();
    assertCollectionName(collection);
    if (!this.collections.has(collection)) this.collections.set(collection, new Map());
  }

  async dropCollection(collection: string): Promise<void> {
    this.assertOpen();
    this.collections.delete(collection);
  }

  async listCollections(): Promise<string[]> {
    this.assertOpen();
    return [...this.collections.keys()].sort();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Synchronous: nothing can slip in between the checkpoint check and the writes. */
  protected commit(changes: CollectionChanges[], move?: CheckpointMove): void {
    this.assertOpen();
    if (move)
      assertCheckpoint(move, this.collections.get(CHECKPOINTS)?.get(move.key) as CheckpointDoc | undefined);
    for (const { collection, ids, docs: jsons } of changes) {
      const docs = this.collections.get(collection) ?? new Map<string, object>();
      this.collections.set(collection, docs);
      for (let i = 0; i < ids.length; i++) {
        const json = jsons[i];
        if (json === null) docs.delete(ids[i]);
        else docs.set(ids[i], JSON.parse(json) as object);
      }
    }
  }
}
