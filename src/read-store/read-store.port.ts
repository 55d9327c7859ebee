// The read-store port: a small document store (collections of JSON documents with indexed fields), enough for
// every read model, shaped so MongoDB maps onto it directly. Adapters: sqlite/ (embedded default), in-memory/,
// mongo/. Projections write only through a DocumentWriter handed to them inside a batch, so a batch's changes
// and its checkpoint commit together.
import type { StoredEvent } from '../event-store/event-store.port';

export const READ_STORE = Symbol('READ_STORE');

export type Scalar = string | number | boolean | null;
/** A subset of MongoDB's query operators; a bare scalar means equality. Field names may be dotted paths. */
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

/**
 * A projection: folds events of the global feed into read-model documents. `apply` must be deterministic
 * given the event and the documents it reads (no clock, no randomness), so replays and rebuilds agree.
 */
export interface Projection {
  /** Stable name: the checkpoint key. */
  readonly name: string;
  /** Bump when the read model's shape changes: the runner rebuilds it side by side. */
  readonly version: number;
  /** Collections this projection owns, with the index field lists each needs. */
  readonly collections: Record<string, string[][]>;
  apply(event: StoredEvent, writer: DocumentWriter): Promise<void>;
}
