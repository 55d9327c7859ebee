// A batch's writes, held in memory until the batch commits: reads inside the batch see them (merged over the
// committed documents), readers outside see nothing until the adapter applies `changes()` in one transaction.
// Buffering also makes a projection's repeated get/put of the same document within a batch cost a Map lookup
// (no JSON round trip: a document is serialized once, at the commit), and lets the SQLite adapter commit
// synchronously (no other work can slip into its transaction).
//
// Inside a batch documents are shared, not copied: `put` takes ownership of the object it is given, and what
// `get`/`find` return must be treated as read-only (build a new object and put it to change a document).
import { assertLimit, compareEntries, matches, parseFilter, parseSort } from './filter';
import {
  assertCollectionName,
  DocumentWriter,
  Entry,
  Filter,
  FindOptions,
  ID_FIELD,
  isWellFormedText,
  malformedTextPath,
  NotWellFormedTextError,
} from './read-store.port';

/** What the batch reads through to: the committed state. */
export interface BaseReader {
  get<T extends object>(collection: string, id: string): Promise<T | null>;
  findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]>;
  count(collection: string, filter: Filter): Promise<number>;
}

/** A collection's changes, serialized: ids and, at the same index, the JSON document or null for a delete. */
export interface CollectionChanges {
  collection: string;
  ids: string[];
  docs: (string | null)[];
}

export class BufferedWriter implements DocumentWriter {
  /** id -> the document as of this batch, or null for a delete. */
  private readonly overlay = new Map<string, Map<string, object | null>>();
  constructor(private readonly base: BaseReader) {}

  /**
   * What the adapter stores, per collection. Each document is serialized here, once, whatever the number of
   * puts the batch made to it; call it once per commit.
   */
  changes(): CollectionChanges[] {
    const out: CollectionChanges[] = [];
    for (const [collection, changes] of this.overlay) {
      const ids: string[] = [];
      const docs: (string | null)[] = [];
      for (const [id, doc] of changes) {
        ids.push(id);
        docs.push(doc === null ? null : serializeDocument(collection, id, doc));
      }
      out.push({ collection, ids, docs });
    }
    return out;
  }

  /**
   * Takes a whole collection's changes at once (id -> document, or null for a delete), ownership included: a
   * projection runner that kept its batch's changes itself hands them over without a put per document.
   * Returns false (taking nothing) when this batch already has changes or indexes for the collection; the
   * caller then puts them one by one. Ids and documents must already be valid (put's checks).
   */
  adopt(collection: string, changes: Map<string, object | null>): boolean {
    assertValidName(collection);
    if (this.overlay.has(collection)) return false;
    this.overlay.set(collection, changes);
    return true;
  }

  get size(): number {
    let n = 0;
    for (const c of this.overlay.values()) n += c.size;
    return n;
  }

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    const changes = this.overlay.get(collection);
    if (changes?.has(id)) return (changes.get(id) ?? null) as T | null;
    return this.base.get<T>(collection, id);
  }

  async find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return (await this.findEntries<T>(collection, filter, options)).map((e) => e.doc);
  }

  async findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]> {
    const changes = this.overlay.get(collection);
    if (!changes || changes.size === 0) return this.base.findEntries<T>(collection, filter, options);
    const clauses = parseFilter(filter);
    const sort = parseSort(options);
    assertLimit(options?.limit);
    // Committed matches the batch changed may drop out: ask for enough to still fill the limit.
    const limit = options?.limit === undefined ? undefined : options.limit + changes.size;
    const committed = await this.base.findEntries<T>(collection, filter, { sort: options?.sort, limit });
    const merged: Entry<T>[] = committed.filter((e) => !changes.has(e.id));
    for (const [id, doc] of changes) if (doc && matches(doc, clauses)) merged.push({ id, doc: doc as T });
    merged.sort(compareEntries(sort));
    return options?.limit === undefined ? merged : merged.slice(0, options.limit);
  }

  async count(collection: string, filter: Filter): Promise<number> {
    const changes = this.overlay.get(collection);
    if (!changes || changes.size === 0) return this.base.count(collection, filter);
    return (await this.findEntries(collection, filter)).length;
  }

  async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    assertValidName(collection);
    assertDocument(collection, id, doc);
    changesOf(this.overlay, collection).set(id, doc);
  }

  async delete(collection: string, id: string): Promise<void> {
    assertValidName(collection);
    changesOf(this.overlay, collection).set(id, null);
  }
}

/** A batch's changes: collection -> id -> the document as of the batch, or null for a delete. */
export type Changes = Map<string, Map<string, object | null>>;

/** The changes of one collection, created when first needed. */
export function changesOf(all: Changes, collection: string): Map<string, object | null> {
  let docs = all.get(collection);
  if (!docs) {
    docs = new Map();
    all.set(collection, docs);
  }
  return docs;
}

/** A put's document: a non-empty id and a JSON object (checked when put, so a bad one fails its own event). */
export function assertDocument(collection: string, id: string, doc: object): void {
  if (typeof id !== 'string' || id.length === 0) throw new Error('Document id must be a non-empty string');
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`Document ${collection}/${id} is not a JSON object`);
  if (ID_FIELD in doc)
    throw new Error(`Document ${collection}/${id} has an ${ID_FIELD} field: ids live beside documents`);
  const malformed = malformedTextPath(doc);
  if (malformed !== null)
    throw new NotWellFormedTextError(`Document ${collection}/${id}, field ${malformed},`);
  if (!isWellFormedText(id)) throw new NotWellFormedTextError(`Document id in ${collection}`);
}

/**
 * Hands changes kept by a projection's batch to a store's writer, once per document. With `whole`, the SQLite
 * store's batch buffer takes each collection's map as it is (nothing changes it any more).
 */
export async function handOverChanges(
  writer: DocumentWriter,
  changes: Changes,
  whole: boolean,
): Promise<void> {
  for (const [collection, docs] of changes) {
    if (whole && writer instanceof BufferedWriter && writer.adopt(collection, docs)) continue;
    for (const [id, doc] of docs)
      if (doc === null) await writer.delete(collection, id);
      else await writer.put(collection, id, doc);
  }
}

/** Collection names already checked: a batch writes a handful of collections, thousands of times each. */
const validNames = new Set<string>();
function assertValidName(collection: string): void {
  if (validNames.has(collection)) return;
  assertCollectionName(collection);
  if (validNames.size < 10_000) validNames.add(collection);
}

/** Serializes a batch document for storage; refuses what JSON cannot keep as an object. */
export function serializeDocument(collection: string, id: string, doc: object): string {
  const json = JSON.stringify(doc);
  if (json === undefined || json[0] !== '{')
    throw new Error(`Document ${collection}/${id} is not a JSON object`);
  return json;
}
