// A rebuild's first phase for a projection partitioned by stream (Projection.partitioning): the events up to the
// head arrive stream by stream (EventStore.readAllByStream), so one stream's documents are all the projection can
// read or change at a time. They stay here, in a small map, while the stream's events are applied, and only the
// documents standing at the stream's end go to the store: no document is written twice, none is read back, and
// nothing lives long enough on the heap to be promoted (the feed's order keeps a batch's documents alive across
// tens of thousands of events of other orders).
import type { StoredEvent } from '../event-store/event-store.port';
import { assertDocument, type Changes, changesOf, handOverChanges } from './buffered-writer';
import type { CollectionMap } from './generations';
import type { DocumentWriter, Filter, Projection, ReadStore } from '../read-store/read-store.port';

/** find/count inside a stream fold: the projection needs the feed's way (its documents are not per stream). */
export class StreamFoldUnsupportedError extends Error {
  constructor(what: string) {
    super(`${what} while folding stream by stream`);
    this.name = 'StreamFoldUnsupportedError';
  }
}

export interface StreamFoldTarget {
  projection: Projection;
  store: ReadStore;
  /** Logical collection -> the generation's physical one. */
  map: CollectionMap;
  checkpointKey: string;
  /** Runs a commit, retrying what may pass (a busy store). */
  retry: (what: string, write: () => Promise<unknown>) => Promise<void>;
}

export class StreamFold implements DocumentWriter {
  /** The open stream's documents (null: deleted). */
  private stream: Changes = new Map();
  /** The documents of finished streams, for the next commit. */
  private batch: Changes = new Map();
  private batchSize = 0;
  /** The previous commit, still running on the store's side while the next streams are folded. */
  private inflight: Promise<void> | null = null;
  /** Set once apply or a commit failed: this projection leaves the fold (the rebuild goes the feed's way). */
  failure: unknown = null;

  constructor(
    private readonly target: StreamFoldTarget,
    /** Documents per commit. */
    private readonly commitEvery: number,
  ) {}

  async apply(event: StoredEvent): Promise<void> {
    await this.target.projection.apply(event, this);
  }

  /** The stream ended: its standing documents join the batch; committed when the batch is full. */
  async endStream(): Promise<void> {
    for (const [collection, docs] of this.stream) {
      if (docs.size === 0) continue;
      let into: Map<string, object | null> | undefined;
      for (const [id, doc] of docs) {
        // Deleted before it was ever written (a deadline met within the stream): nothing to write.
        if (doc === null) continue;
        into ??= changesOf(this.batch, collection);
        into.set(id, doc);
        this.batchSize++;
      }
    }
    this.stream = new Map();
    if (this.batchSize >= this.commitEvery) await this.commit();
  }

  /**
   * Writes the rest and moves the checkpoint from nothing to `through`, atomically with the last documents; or,
   * without `through` (other processes fold the other streams), writes only.
   */
  async finish(through: string | null): Promise<void> {
    await this.endStream();
    await this.settle();
    const docs = this.take();
    const { store, checkpointKey } = this.target;
    await this.target.retry(`${checkpointKey}: commit`, () =>
      through === null
        ? store.write((w) => handOverChanges(w, docs, true))
        : store.commitBatch(checkpointKey, null, through, (w) => handOverChanges(w, docs, true)),
    );
  }

  /** Waits for the commit in flight; its failure is this fold's. */
  async settle(): Promise<void> {
    const inflight = this.inflight;
    this.inflight = null;
    if (inflight) await inflight;
  }

  // ---- DocumentWriter, for the projection ----

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    // Every document of this projection belongs to one stream, and the generation was empty: what this stream
    // did not write does not exist.
    return (this.stream.get(this.target.map(collection))?.get(id) ?? null) as T | null;
  }

  async find<T extends object>(_collection: string, _filter: Filter): Promise<T[]> {
    throw new StreamFoldUnsupportedError('find');
  }

  async count(_collection: string, _filter: Filter): Promise<number> {
    throw new StreamFoldUnsupportedError('count');
  }

  async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    assertDocument(collection, id, doc);
    changesOf(this.stream, this.target.map(collection)).set(id, doc);
  }

  async delete(collection: string, id: string): Promise<void> {
    changesOf(this.stream, this.target.map(collection)).set(id, null);
  }

  /** Hands the batch to the store; the next streams are folded meanwhile (one commit in flight at a time). */
  private async commit(): Promise<void> {
    await this.settle();
    const docs = this.take();
    this.inflight = this.target.retry(`${this.target.checkpointKey}: commit`, () =>
      this.target.store.write((w) => handOverChanges(w, docs, true)),
    );
    // Seen at the next settle(); not an unhandled rejection meanwhile.
    this.inflight.catch(() => undefined);
  }

  private take(): Changes {
    const docs = this.batch;
    this.batch = new Map();
    this.batchSize = 0;
    return docs;
  }
}
