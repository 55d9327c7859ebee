// A batch's writes, held in memory until it commits (reads inside it see them, readers outside do not): a repeated
// get/put costs a Map lookup and each document is serialized once. `put` takes ownership; reads are read-only.
import { comparePositions } from '../event-store/event-store.port';
import { assertLimit, compareEntries, matches, parseFilter, parseSort } from './filter';
import {
  assertCollectionName,
  CheckpointConflictError,
  CommitOptions,
  DeadLetter,
  DocumentWriter,
  Entry,
  Filter,
  FindOptions,
  ID_FIELD,
  isWellFormedText,
  malformedTextPath,
  NotWellFormedTextError,
  ReadStore,
} from './read-store.port';

/** What the batch reads through to: the committed state. */
type BaseReader = Pick<ReadStore, 'get' | 'findEntries'>;

/** A collection's changes, serialized: ids and, at the same index, the JSON document or null for a delete. */
export interface CollectionChanges {
  collection: string;
  ids: string[];
  docs: (string | null)[];
}

export class BufferedWriter implements DocumentWriter {
  /** collection -> id -> the document as of the batch, or null for a delete. */
  private readonly overlay = new Map<string, Map<string, object | null>>();
  constructor(private readonly base: BaseReader) {}

  /** What the adapter stores, per collection, each document serialized here once: call it once per commit. */
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
    return (await this.findEntries(collection, filter)).length; // no projection counts inside a batch yet
  }

  async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    assertValidName(collection);
    assertDocument(collection, id, doc);
    this.changesOf(collection).set(id, doc);
  }

  async delete(collection: string, id: string): Promise<void> {
    assertValidName(collection);
    this.changesOf(collection).set(id, null);
  }

  private changesOf(collection: string): Map<string, object | null> {
    let changes = this.overlay.get(collection);
    if (!changes) this.overlay.set(collection, (changes = new Map()));
    return changes;
  }
}

/** A put's document: a non-empty id and a JSON object (checked when put, so a bad one fails its own event). */
function assertDocument(collection: string, id: string, doc: object): void {
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

/** Collection names already checked: a batch writes a handful of collections, thousands of times each. */
const validNames = new Set<string>();
function assertValidName(collection: string): void {
  if (validNames.has(collection)) return;
  assertCollectionName(collection);
  if (validNames.size < 10_000) validNames.add(collection);
}

function serializeDocument(collection: string, id: string, doc: object): string {
  const json = JSON.stringify(doc);
  if (json === undefined || json[0] !== '{')
    throw new Error(`Document ${collection}/${id} is not a JSON object`);
  return json;
}

/** The checkpoint a commit moves, and where it must find it (ReadStore.commitBatch). */
export interface CheckpointMove {
  key: string;
  expected: string | null;
}

/** Checkpoints are documents of this collection, each moved by its batch's own changes. */
export const CHECKPOINTS = '_checkpoints';
export interface CheckpointDoc {
  position: string;
  /** ISO-8601 */
  updatedAt: string;
}

/** Throws CheckpointConflictError unless `stored` (the checkpoint's document, if any) is where `move` expects. */
export function assertCheckpoint(move: CheckpointMove, stored: CheckpointDoc | null | undefined): void {
  const actual = stored?.position ?? null;
  if (actual !== move.expected) throw new CheckpointConflictError(move.key, move.expected, actual);
}

/** Dead letters are documents of this collection, written with their batch's changes. */
export const DEAD_LETTERS = '_dead_letters';
interface DeadLetterDoc {
  checkpointKey: string;
  parkedAt: string;
  /** The whole DeadLetter as JSON: event data may hold keys MongoDB treats specially. */
  body: string;
}
const byCheckpoint = (checkpointKey?: string): Filter =>
  checkpointKey === undefined ? {} : { checkpointKey };

/** Every adapter's batch: a BufferedWriter over the committed state, then `commit` stores it all atomically. */
export abstract class BufferedReadStore {
  protected closed = false;

  abstract get<T extends object>(collection: string, id: string): Promise<T | null>;
  abstract findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]>;
  abstract count(collection: string, filter: Filter): Promise<number>;
  /** Stores the changes all or nothing; with `move`, only if assertCheckpoint holds inside the same unit. */
  protected abstract commit(changes: CollectionChanges[], move?: CheckpointMove): void | Promise<void>;

  async find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return (await this.findEntries<T>(collection, filter, options)).map((e) => e.doc);
  }

  async getCheckpoint(checkpointKey: string): Promise<string | null> {
    return (await this.get<CheckpointDoc>(CHECKPOINTS, checkpointKey))?.position ?? null;
  }

  async listCheckpoints(): Promise<Record<string, string>> {
    const entries = await this.findEntries<CheckpointDoc>(CHECKPOINTS, {});
    return Object.fromEntries(entries.map((e) => [e.id, e.doc.position]));
  }

  async deleteCheckpoint(checkpointKey: string): Promise<void> {
    await this.write((w) => w.delete(CHECKPOINTS, checkpointKey));
  }

  async commitBatch<T>(
    checkpointKey: string,
    expected: string | null,
    next: string,
    fn: (writer: DocumentWriter) => Promise<T>,
    options: CommitOptions = {},
  ): Promise<T> {
    if (comparePositions(next, expected) < 0) throw new Error(`Checkpoint ${checkpointKey} cannot move back`);
    const move = { key: checkpointKey, expected }; // checked by the commit only: a moved checkpoint is rare
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    const changes = writer.changes();
    const letters = options.deadLetters ?? [];
    if (letters.length) {
      const docs = letters.map((d) =>
        JSON.stringify({ checkpointKey: d.checkpointKey, parkedAt: d.parkedAt, body: JSON.stringify(d) }),
      );
      changes.push({ collection: DEAD_LETTERS, ids: letters.map((d) => d.id), docs });
    }
    const checkpoint: CheckpointDoc = { position: next, updatedAt: new Date().toISOString() };
    changes.push({ collection: CHECKPOINTS, ids: [checkpointKey], docs: [JSON.stringify(checkpoint)] });
    await this.commit(changes, move);
    return result;
  }

  async write<T>(fn: (writer: DocumentWriter) => Promise<T>): Promise<T> {
    this.assertOpen();
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    await this.commit(writer.changes());
    return result;
  }

  async listDeadLetters(checkpointKey?: string): Promise<DeadLetter[]> {
    const entries = await this.findEntries<DeadLetterDoc>(DEAD_LETTERS, byCheckpoint(checkpointKey));
    return entries
      .map((e) => JSON.parse(e.doc.body) as DeadLetter)
      .sort((a, b) => a.parkedAt.localeCompare(b.parkedAt) || comparePositions(a.position, b.position));
  }

  async deleteDeadLetters(checkpointKey?: string): Promise<number> {
    const entries = await this.findEntries(DEAD_LETTERS, byCheckpoint(checkpointKey));
    await this.write(async (w) => {
      for (const { id } of entries) await w.delete(DEAD_LETTERS, id);
    });
    return entries.length;
  }

  protected assertOpen(): void {
    if (this.closed) throw new Error('The read store is closed');
  }
}
