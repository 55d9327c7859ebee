// READ_STORE: logical collection names (`order_pages`) sent to the active generation (`order_pages__g2`), so
// readers follow a swap as soon as the engine notices it.
import { type CollectionMap, MappedWriter, physicalName } from '../projections/generations';
import type { DocumentWriter, Entry, Filter, FindOptions, ReadModels, ReadStore } from './read-store.port';

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

export class RoutedReadStore implements ReadModels {
  constructor(
    /** The adapter (sqlite, in-memory, mongo). */
    private readonly raw: ReadStore,
    private readonly router: CollectionRouter,
    /** Told of every document written through this facade to a collection a projection owns. */
    private readonly onWrite?: (physicalCollection: string, id: string) => void,
  ) {}

  private readonly map: CollectionMap = (collection) => this.router.resolve(collection);

  get = <T extends object>(collection: string, id: string): Promise<T | null> =>
    this.raw.get<T>(this.map(collection), id);
  find = <T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> =>
    this.raw.find<T>(this.map(collection), filter, options);
  findEntries = <T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]> => this.raw.findEntries<T>(this.map(collection), filter, options);
  count = (collection: string, filter: Filter): Promise<number> =>
    this.raw.count(this.map(collection), filter);
  ensureCollection = (collection: string, indexes: string[][]): Promise<void> =>
    this.raw.ensureCollection(this.map(collection), indexes);

  /** Writes to a projection's collections are reported (onWrite): the engine's document cache forgets them. */
  write: ReadStore['write'] = (fn) =>
    this.raw.write((w) => fn(new ReportingWriter(w, this.map, this.report)));

  private readonly report = (collection: string, id: string): void => {
    if (this.onWrite && this.router.owner(collection)) this.onWrite(this.router.resolve(collection), id);
  };
}

class ReportingWriter extends MappedWriter {
  constructor(
    target: DocumentWriter,
    map: CollectionMap,
    private readonly report: (collection: string, id: string) => void,
  ) {
    super(target, map);
  }
  override async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    await super.put(collection, id, doc);
    this.report(collection, id);
  }
  override async delete(collection: string, id: string): Promise<void> {
    await super.delete(collection, id);
    this.report(collection, id);
  }
}
