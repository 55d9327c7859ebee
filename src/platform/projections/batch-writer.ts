// A projection's view of one batch: logical collection names, its own changes kept here and handed to the
// store's writer once per document when the batch commits (a projection puts the same document several times
// per batch), reads served from the batch, then the runner's document cache, then the store.
import { assertDocument, type Changes, changesOf, handOverChanges } from '../read-store/buffered-writer';
import type { DocumentWriter, Filter, FindOptions } from '../read-store/read-store.port';
import type { CollectionMap } from './generations';

/**
 * The documents a runner committed (or read) recently, parsed: the next batches of a projection mostly touch
 * the same orders, and a cached document saves a store read and a JSON parse. Valid because the runner is its
 * generation's only writer: a checkpoint conflict (another worker) clears it, and writes to a projection's
 * collections made outside projections invalidate their documents (RoutedReadStore -> engine). Documents are
 * shared, read-only (as inside a batch).
 *
 * Two generations instead of an exact LRU (a hit costs lookups, not a Map delete + insert): entries go to the
 * young generation; when it holds half the capacity it becomes the old one and the previous old one is dropped;
 * a hit in the old generation moves the entry back to the young one.
 */
export class DocumentCache {
  private young = new Map<string, Map<string, object | null>>();
  private old = new Map<string, Map<string, object | null>>();
  private youngSize = 0;
  private readonly half: number;
  constructor(private readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  /** Whether it is cached, without counting as a use. */
  has(collection: string, id: string): boolean {
    return (this.young.get(collection)?.has(id) ?? false) || (this.old.get(collection)?.has(id) ?? false);
  }

  get(collection: string, id: string): object | null | undefined {
    const hit = this.young.get(collection)?.get(id);
    if (hit !== undefined) return hit;
    const old = this.old.get(collection);
    const value = old?.get(id);
    if (value !== undefined) {
      old!.delete(id);
      this.set(collection, id, value);
    }
    return value;
  }

  set(collection: string, id: string, value: object | null): void {
    if (this.capacity <= 0) return;
    let docs = this.young.get(collection);
    if (!docs) {
      docs = new Map();
      this.young.set(collection, docs);
    }
    const size = docs.size;
    docs.set(id, value);
    if (docs.size === size) return; // replaced
    this.old.get(collection)?.delete(id);
    if (++this.youngSize >= this.half) {
      this.old = this.young;
      this.young = new Map();
      this.youngSize = 0;
    }
  }

  delete(collection: string, id: string): void {
    if (this.young.get(collection)?.delete(id)) this.youngSize--;
    this.old.get(collection)?.delete(id);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngSize = 0;
  }

  get size(): number {
    let n = 0;
    for (const docs of this.young.values()) n += docs.size;
    for (const docs of this.old.values()) n += docs.size;
    return n;
  }
}

export class BatchWriter implements DocumentWriter {
  /** Everything this batch changed, for the store and, once committed, the cache. */
  readonly touched: Changes = new Map();

  constructor(
    /** The store's writer for this batch (its reads see what was handed over). */
    private readonly target: DocumentWriter,
    private readonly map: CollectionMap,
    private readonly cache: DocumentCache,
  ) {}

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    const physical = this.map(collection);
    const own = this.touched.get(physical)?.get(id);
    if (own !== undefined) return own as T | null;
    const cached = this.cache.get(physical, id);
    if (cached !== undefined) return cached as T | null;
    const committed = await this.target.get<T>(physical, id);
    this.cache.set(physical, id, committed);
    return committed;
  }
  async find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    // The store answers over the batch's changes: hand them over first.
    await this.handOver(false);
    return this.target.find<T>(this.map(collection), filter, options);
  }
  async count(collection: string, filter: Filter): Promise<number> {
    await this.handOver(false);
    return this.target.count(this.map(collection), filter);
  }
  async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    // Checked now, not at the hand-over: a bad document is the failing event's, to retry and park.
    assertDocument(collection, id, doc);
    changesOf(this.touched, this.map(collection)).set(id, doc);
  }
  async delete(collection: string, id: string): Promise<void> {
    changesOf(this.touched, this.map(collection)).set(id, null);
  }

  /** Hands the batch's changes to the store's writer, once per document (again after a find: harmless). */
  handOver(final: boolean): Promise<void> {
    return handOverChanges(this.target, this.touched, final);
  }
}
