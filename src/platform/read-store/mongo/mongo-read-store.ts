// The production read store: one MongoDB collection per read-model collection, the id as `_id`, the port's filters
// passed through once validated. A batch is ONE transaction (a replica set or mongos, checked at start-up), so a
// crash mid-batch never mixes two positions. Unlike the embedded adapters (unused by our read models): equality on
// an array field matches its elements, and booleans sort after strings.
import { createHash } from 'node:crypto';
import { type Connection, mongo } from 'mongoose';
import { StoreUnavailableError } from '../../cluster/store-availability';
import {
  assertCheckpoint,
  BufferedReadStore,
  CheckpointDoc,
  CheckpointMove,
  CHECKPOINTS,
  CollectionChanges,
} from '../buffered-writer';
import { assertLimit, parseFilter, parseSort } from '../filter';
import {
  assertCollectionName,
  assertFieldPath,
  Entry,
  Filter,
  FindOptions,
  ID_FIELD,
  ReadStore,
} from '../read-store.port';
import { isMongoError, MongoHandle, mongoHandle } from './mongo-connection';

/** The idempotency and lease adapters' collections, not the port's: hidden from listCollections. */
const OTHER_ADAPTERS = new Set(['_idempotency', '_leases']);
const NAMESPACE_EXISTS = 48;

type StoredDoc = { _id: string } & Record<string, unknown>;

/** Internal collections are read from the primary (a stale checkpoint would make every batch a conflict). */
const PRIMARY = { readPreference: 'primary' } as const;
const readPreferenceOf = (collection: string) => (collection.startsWith('_') ? PRIMARY : undefined);

export function compileMongoFilter(filter: Filter): mongo.Filter<StoredDoc> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const clause of parseFilter(filter)) (out[clause.path] ??= {})[clause.op] = clause.value;
  return out as mongo.Filter<StoredDoc>;
}

/** As pairs (an object would move digit-only names first); the `_id` tie-break unless the caller sorts on it. */
export function compileMongoSort(options: FindOptions | undefined): [string, 1 | -1][] {
  const sort = parseSort(options);
  return sort.some(([field]) => field === ID_FIELD) ? sort : [...sort, [ID_FIELD, 1]];
}

const indexName = (fields: string[]): string =>
  `ix_${createHash('sha1').update(fields.join(',')).digest('hex').slice(0, 12)}`;

function toEntry<T extends object>(doc: StoredDoc): Entry<T> {
  const { _id, ...rest } = doc;
  return { id: _id, doc: rest as T };
}

export class MongoReadStore extends BufferedReadStore implements ReadStore {
  private readonly handle: MongoHandle;
  private ready: Promise<mongo.Db> | null = null;
  /** Collections known to exist: a batch creates missing ones before its transaction starts. */
  private readonly known = new Set<string>();

  /** `source`: a MONGODB_URI (the process-wide shared connection) or a connection someone else owns. */
  constructor(source: string | Connection, options: { timeoutMs?: number } = {}) {
    super();
    this.handle = mongoHandle(source, options);
  }

  /** Connects and checks that transactions are available. Memoised. */
  connect(): Promise<mongo.Db> {
    this.ready ??= this.init().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  /** Nest calls it on providers: an unreachable or standalone MongoDB stops the start-up with one line. */
  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  // ---- reads ----

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    const c = await this.collection(collection);
    const doc = await c.findOne({ _id: id });
    return doc ? toEntry<T>(doc).doc : null;
  }

  async findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]> {
    const c = await this.collection(collection);
    const query = compileMongoFilter(filter);
    const sort = compileMongoSort(options);
    assertLimit(options?.limit);
    if (options?.limit === 0) return []; // MongoDB reads limit 0 as "no limit"
    let cursor = c.find(query).sort(sort);
    if (options?.limit !== undefined) cursor = cursor.limit(options.limit);
    return (await cursor.toArray()).map((doc) => toEntry<T>(doc));
  }

  async count(collection: string, filter: Filter): Promise<number> {
    const c = await this.collection(collection);
    return c.countDocuments(compileMongoFilter(filter));
  }

  // ---- collections ----

  async ensureCollection(collection: string, indexes: string[][]): Promise<void> {
    assertCollectionName(collection);
    const db = await this.db();
    await this.createIfMissing(db, collection);
    const specs = indexes
      .filter((fields) => fields.length > 0)
      .map((fields) => {
        fields.forEach(assertFieldPath);
        return { key: Object.fromEntries(fields.map((f) => [f, 1 as const])), name: indexName(fields) };
      });
    if (specs.length) await db.collection(collection).createIndexes(specs);
  }

  /** No-op when missing: the driver answers false to a NamespaceNotFound. */
  async dropCollection(collection: string): Promise<void> {
    assertCollectionName(collection);
    const db = await this.db();
    this.known.delete(collection);
    await db.dropCollection(collection);
  }

  async listCollections(): Promise<string[]> {
    const db = await this.db();
    const infos = await db.listCollections({}, { nameOnly: true }).toArray();
    return infos
      .map((info) => info.name)
      .filter((name) => !OTHER_ADAPTERS.has(name) && !name.startsWith('system.'))
      .sort();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.release();
  }

  // ---- internals ----

  /** One transaction, retried by the driver; its collections are created before (inside one it is restricted). */
  protected async commit(changes: CollectionChanges[], move?: CheckpointMove): Promise<void> {
    if (!move && changes.every((c) => c.ids.length === 0)) return;
    const db = await this.db();
    for (const { collection } of changes) await this.createIfMissing(db, collection);
    const checkpoints = db.collection<CheckpointDoc & { _id: string }>(CHECKPOINTS, PRIMARY);
    const session = this.handle.connection.getClient().startSession();
    try {
      await session.withTransaction(
        async () => {
          if (move) {
            // Read inside the transaction: a concurrent commit either is visible here or makes our write below a
            // write conflict (then withTransaction retries and we see it).
            assertCheckpoint(move, await checkpoints.findOne({ _id: move.key }, { session }));
          }
          for (const { collection, ids, docs } of changes) {
            const operations = ids.map((id, i): mongo.AnyBulkWriteOperation<StoredDoc> => {
              const json = docs[i];
              if (json === null) return { deleteOne: { filter: { _id: id } } };
              const replacement = JSON.parse(json) as Record<string, unknown>;
              return { replaceOne: { filter: { _id: id }, replacement, upsert: true } };
            });
            if (operations.length)
              await db.collection<StoredDoc>(collection).bulkWrite(operations, { session, ordered: true });
          }
        },
        // readPreference pinned: a transaction inherits the URI's, and any other than primary fails every commit.
        { readPreference: 'primary', readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } },
      );
    } finally {
      await session.endSession();
    }
  }

  private async init(): Promise<mongo.Db> {
    const db = await this.handle.db();
    const hello = await db.admin().command({ hello: 1 });
    if (!hello.setName && hello.msg !== 'isdbgrid') {
      throw new StoreUnavailableError(
        'mongodb',
        `MongoDB at ${this.handle.target} (MONGODB_URI) is a standalone server: the read store commits each batch ` +
          'with its checkpoint in a transaction, which needs a replica set (a single node started with --replSet ' +
          'and rs.initiate() is enough) or mongos',
      );
    }
    return db;
  }

  private async db(): Promise<mongo.Db> {
    this.assertOpen();
    return this.connect();
  }

  private async collection(name: string): Promise<mongo.Collection<StoredDoc>> {
    assertCollectionName(name);
    return (await this.db()).collection<StoredDoc>(name, readPreferenceOf(name));
  }

  private async createIfMissing(db: mongo.Db, name: string): Promise<void> {
    if (this.known.has(name)) return;
    try {
      await db.createCollection(name);
    } catch (error) {
      if (!isMongoError(error, NAMESPACE_EXISTS)) throw error;
    }
    this.known.add(name);
  }
}
