// The read-store port: collections of JSON documents with indexed fields, shaped so MongoDB maps onto it directly.
// Semantics every adapter follows (test/contract/read-store.contract.ts checks them):
// - The id is kept beside the document (Mongo: `_id`), never inside it: a document holding `_id` is refused,
//   a filter on `_id` too (read by id with get), and a sort on `_id` orders by the id.
// - Filters compare scalars only. `null` matches a missing field too; `$ne` matches a missing field; range
//   operators compare numbers with numbers and strings with strings only (MongoDB's type bracketing).
// - Sort: null/missing first when ascending, then numbers, then strings; ties broken by id ascending.
// - Field names (filter and sort) are dotted paths of [A-Za-z0-9_] segments.
// - A document holding a lone UTF-16 surrogate is refused (NotWellFormedTextError): MongoDB would silently
//   store U+FFFD where SQLite keeps it, and refusing is the one behaviour every adapter can keep.
import type { StoredEvent } from '../event-store/event-store.port';

export const READ_STORE = Symbol('READ_STORE');

export type Scalar = string | number | boolean | null;
/** A subset of MongoDB's query operators; a bare scalar means equality. */
export type Condition =
  | Scalar
  | { $eq?: Scalar; $ne?: Scalar; $in?: Scalar[]; $lt?: Scalar; $lte?: Scalar; $gt?: Scalar; $gte?: Scalar };
export type Filter = Record<string, Condition>;

export interface FindOptions {
  /** Field -> 1 (ascending) | -1 (descending), applied in key order. */
  sort?: Record<string, 1 | -1>;
  limit?: number;
}

export interface DocumentReader {
  get<T extends object>(collection: string, id: string): Promise<T | null>;
  find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]>;
  count(collection: string, filter: Filter): Promise<number>;
}

export interface DocumentWriter extends DocumentReader {
  /** Insert or replace the whole document. */
  put<T extends object>(collection: string, id: string, doc: T): Promise<void>;
  delete(collection: string, id: string): Promise<void>;
}

// Folds feed events into read-model documents. `apply` is deterministic (no clock, no randomness) so replays and
// rebuilds agree; documents the writer returns are shared with the batch: read-only, put a new object to change.
export interface Projection {
  /** Stable name: the checkpoint key. */
  readonly name: string;
  /** Bump when the read model's shape changes: the runner rebuilds it side by side. */
  readonly version: number;
  /** Collections this projection owns, with the index field lists each needs (a rebuild adds them at the end). */
  readonly collections: Record<string, string[][]>;
  apply(event: StoredEvent, writer: DocumentWriter): Promise<void>;
}

/** A document with its id, as `findEntries` returns it. */
export interface Entry<T extends object = Record<string, unknown>> {
  id: string;
  doc: T;
}

/** An event a projection kept failing on, parked so the projection moves on. */
export interface DeadLetter {
  /** `<checkpointKey>:<position>`: parking the same event twice keeps one entry. */
  id: string;
  /** Of the failing projection generation (e.g. `order-pages@g1`). */
  checkpointKey: string;
  projection: string;
  position: string;
  eventId: string;
  eventType: string;
  streamName: string;
  /** The last error's message (and stack head). */
  error: string;
  attempts: number;
  parkedAt: string; // ISO-8601
  event: StoredEvent;
}

export interface CommitOptions {
  /** Parked in the same transaction as the documents and the checkpoint. */
  deadLetters?: DeadLetter[];
}

/** commitBatch found the checkpoint somewhere else than expected: another worker moved it. Nothing was written. */
export class CheckpointConflictError extends Error {
  constructor(
    readonly checkpointKey: string,
    readonly expected: string | null,
    readonly actual: string | null,
  ) {
    super(`Checkpoint ${checkpointKey}: expected ${String(expected)}, found ${String(actual)}`);
    this.name = 'CheckpointConflictError';
  }
}

export interface ReadStore extends DocumentReader {
  findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]>;
  /** Creates the collection and its indexes (lists of dotted field paths) if missing. Idempotent. */
  ensureCollection(collection: string, indexes: string[][]): Promise<void>;
  /** No-op when missing. */
  dropCollection(collection: string): Promise<void>;
  listCollections(): Promise<string[]>;

  /** null: never committed (start from the beginning). */
  getCheckpoint(checkpointKey: string): Promise<string | null>;
  listCheckpoints(): Promise<Record<string, string>>;
  deleteCheckpoint(checkpointKey: string): Promise<void>;
  // `fn`'s changes, the dead letters and the checkpoint moving from `expected` to `next` commit all or nothing
  // (CheckpointConflictError when it is not at `expected`); reads inside `fn` see the batch, outside only after.
  commitBatch<T>(
    checkpointKey: string,
    expected: string | null,
    next: string,
    fn: (writer: DocumentWriter) => Promise<T>,
    options?: CommitOptions,
  ): Promise<T>;
  /** Writes outside projections (no checkpoint), atomic like commitBatch. */
  write<T>(fn: (writer: DocumentWriter) => Promise<T>): Promise<T>;

  /** Oldest first; all projections when `checkpointKey` is absent. */
  listDeadLetters(checkpointKey?: string): Promise<DeadLetter[]>;
  /** Returns how many were removed; all when `checkpointKey` is absent. */
  deleteDeadLetters(checkpointKey?: string): Promise<number>;

  close(): Promise<void>;
}

/** What READ_STORE gives the product: its read models, by logical collection name. */
export type ReadModels = Pick<
  ReadStore,
  'get' | 'find' | 'findEntries' | 'count' | 'ensureCollection' | 'write'
>;

/** The sort key that orders by the document's id. */
export const ID_FIELD = '_id';

export function isIdPath(path: string): boolean {
  return path === ID_FIELD || path.startsWith(`${ID_FIELD}.`);
}

export class NotWellFormedTextError extends Error {
  constructor(readonly where: string) {
    super(`${where} holds text that is not well-formed Unicode (a lone UTF-16 surrogate)`);
    this.name = 'NotWellFormedTextError';
  }
}

export function isWellFormedText(text: string): boolean {
  return text.isWellFormed(); // false only for a lone surrogate
}

/** The dotted path of the first string (value or field name) that is not well-formed, or null. Iterative. */
export function malformedTextPath(value: unknown): string | null {
  // Paths are built only once something is wrong: the common case is a walk without allocations.
  if (!hasMalformedText(value)) return null;
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (!isWellFormedText(current)) return path || '(value)';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    for (const [key, child] of Object.entries(current)) {
      const childPath = path ? `${path}.${key}` : key;
      if (!isWellFormedText(key)) return childPath;
      stack.push([child, childPath]);
    }
  }
  return null;
}

function hasMalformedText(value: unknown): boolean {
  const stack = [value];
  while (stack.length) {
    const current = stack.pop();
    if (typeof current === 'string') {
      if (!isWellFormedText(current)) return true;
    } else if (current !== null && typeof current === 'object') {
      for (const key of Object.keys(current)) {
        if (!isWellFormedText(key)) return true;
        stack.push((current as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

/** Field paths and collection names end up in SQL and Mongo paths: a strict alphabet. */
const FIELD_PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const COLLECTION_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/;

export function assertFieldPath(path: string): void {
  if (!FIELD_PATH.test(path)) throw new Error(`Invalid field path ${JSON.stringify(path)}`);
}

export function assertCollectionName(name: string): void {
  if (!COLLECTION_NAME.test(name)) throw new Error(`Invalid collection name ${JSON.stringify(name)}`);
}
