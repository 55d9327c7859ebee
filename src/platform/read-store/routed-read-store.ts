// What READ_STORE gives everyone: the read store seen through the active generations. Code reads and writes
// logical collection names (`order_pages`, `deadlines`); this facade sends them to the generation the registry
// names active (`order_pages__g2`), and follows a swap as soon as the engine notices it.
import { MappedWriter, physicalName } from '../projections/generations';
import type {
  CommitOptions,
  DeadLetter,
  DocumentWriter,
  Entry,
  Filter,
  FindOptions,
  ReadStore,
} from './read-store.port';

/** Logical collection -> physical collection of the active generation; names no projection owns pass through. */
export class CollectionRouter {
  private readonly routes = new Map<string, string>();

  resolve(collection: string): string {
    return this.routes.get(collection) ?? collection;
  }

  /** Points every collection of a projection at `generation`. */
  route(collections: Iterable<string>, generation: number): void {
    for (const c of collections) this.routes.set(c, physicalName(c, generation));
  }

  owner(collection: string): boolean {
    return this.routes.has(collection);
  }
}

export class RoutedReadStore implements ReadStore {
  private readonly map: (collection: string) => string;

  constructor(
    /** The adapter (sqlite, in-memory, mongo). */
    readonly raw: ReadStore,
    private readonly router: CollectionRouter,
    /** Told of every document written through this facade to a collection a projection owns. */
    private readonly onWrite?: (physicalCollection: string, id: string) => void,
  ) {
    this.map = (c) => router.resolve(c);
  }

  /** The writer handed to `fn`: logical names mapped, writes to projection collections reported. */
  private writerFor(w: DocumentWriter): DocumentWriter {
    const mapped = new MappedWriter(w, this.map);
    return this.onWrite ? new ReportingWriter(mapped, this.router, this.onWrite) : mapped;
  }

  get<T extends object>(collection: string, id: string): Promise<T | null> {
    return this.raw.get<T>(this.map(collection), id);
  }
  find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return this.raw.find<T>(this.map(collection), filter, options);
  }
  findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]> {
    return this.raw.findEntries<T>(this.map(collection), filter, options);
  }
  count(collection: string, filter: Filter): Promise<number> {
    return this.raw.count(this.map(collection), filter);
  }
  ensureCollection(collection: string, indexes: string[][]): Promise<void> {
    return this.raw.ensureCollection(this.map(collection), indexes);
  }
  dropCollection(collection: string): Promise<void> {
    return this.raw.dropCollection(this.map(collection));
  }
  listCollections(): Promise<string[]> {
    return this.raw.listCollections();
  }
  getCheckpoint(checkpointKey: string): Promise<string | null> {
    return this.raw.getCheckpoint(checkpointKey);
  }
  listCheckpoints(): Promise<Record<string, string>> {
    return this.raw.listCheckpoints();
  }
  deleteCheckpoint(checkpointKey: string): Promise<void> {
    return this.raw.deleteCheckpoint(checkpointKey);
  }
  commitBatch<T>(
    checkpointKey: string,
    expected: string | null,
    next: string,
    fn: (writer: DocumentWriter) => Promise<T>,
    options?: CommitOptions,
  ): Promise<T> {
    return this.raw.commitBatch(
      checkpointKey,
      expected,
      next,
      (w) => fn(new MappedWriter(w, this.map)),
      options,
    );
  }
  write<T>(fn: (writer: DocumentWriter) => Promise<T>): Promise<T> {
    return this.raw.write((w) => fn(this.writerFor(w)));
  }
  listDeadLetters(checkpointKey?: string): Promise<DeadLetter[]> {
    return this.raw.listDeadLetters(checkpointKey);
  }
  deleteDeadLetters(checkpointKey?: string): Promise<number> {
    return this.raw.deleteDeadLetters(checkpointKey);
  }
  /** The engine's module owns the adapter's lifecycle. */
  async close(): Promise<void> {
    /* closed by ReadStoreModule on shutdown */
  }
}

class ReportingWriter implements DocumentWriter {
  constructor(
    private readonly inner: DocumentWriter,
    private readonly router: CollectionRouter,
    private readonly onWrite: (physicalCollection: string, id: string) => void,
  ) {}
  get<T extends object>(collection: string, id: string): Promise<T | null> {
    return this.inner.get<T>(collection, id);
  }
  find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return this.inner.find<T>(collection, filter, options);
  }
  count(collection: string, filter: Filter): Promise<number> {
    return this.inner.count(collection, filter);
  }
  async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    await this.inner.put(collection, id, doc);
    if (this.router.owner(collection)) this.onWrite(this.router.resolve(collection), id);
  }
  async delete(collection: string, id: string): Promise<void> {
    await this.inner.delete(collection, id);
    if (this.router.owner(collection)) this.onWrite(this.router.resolve(collection), id);
  }
}
