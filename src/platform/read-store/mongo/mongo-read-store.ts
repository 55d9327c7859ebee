// The production read store: MongoDB through the driver's native collections (mongoose.mongo).
// - One MongoDB collection per read-model collection, same name; the document id is `_id`, the document's own
//   fields sit at the top level (so operators can query and shard on them). The adapters' own collections:
//   `_checkpoints`, `_dead_letters`, and the idempotency and lease adapters' `_idempotency`, `_leases`.
// - ensureCollection creates one index per declared field list (deterministic names, so it is idempotent).
// - Filters are the port's subset of MongoDB's query language and pass through unchanged (validated by
//   parseFilter); ties in a sort are broken by `_id` ascending like every adapter.
// - commitBatch: the projection's writes are buffered (BufferedWriter: reads in the batch see them), then the
//   checkpoint compare-and-set, the documents and the dead letters commit in ONE multi-document transaction.
//   That needs a replica set (a single-node one is enough) or mongos, and is checked at start-up.
//   Why a transaction and not position-guarded idempotent writes (each document carrying the position of the
//   last event applied, writes skipped when older): a projection reads documents other events wrote (seller
//   stats, notifications lists) and a batch may touch many documents; without atomicity a crash mid-batch
//   leaves read models that mix two positions, visible to queries, and a replay would need every projection to
//   be written as a per-document position-guarded upsert. The transaction keeps projections simple and keeps
//   the port's contract (all or nothing, checkpoint included) identical on SQLite and MongoDB. The transaction
//   is short: the projection's work runs before it, against the committed state plus the buffer.
// Known differences with the embedded adapters (none used by our read models): an equality on a field that
// holds an array matches its elements (MongoDB), and booleans sort after strings in MongoDB.
import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import { mongo } from 'mongoose';
import { comparePositions } from '../../event-store/event-store.port';
import { StoreHealth, StoreUnavailableError } from '../../cluster/store-availability';
import { BufferedWriter, type CollectionChanges } from '../buffered-writer';
import { assertLimit, parseFilter, parseSort } from '../filter';
import {
  assertCollectionName,
  assertFieldPath,
  CheckpointConflictError,
  CommitOptions,
  DeadLetter,
  DocumentWriter,
  Entry,
  Filter,
  FindOptions,
  ID_FIELD,
  ReadStore,
} from '../read-store.port';
import {
  DEFAULT_MONGO_TIMEOUT_MS,
  isNamespaceExists,
  isNamespaceNotFound,
  MongoHandle,
  mongoHandle,
  pingMongo,
} from './mongo-connection';

export interface MongoReadStoreOptions {
  /** Connect / server selection timeout, and the health check's. Default 5000 ms. */
  timeoutMs?: number;
}

const CHECKPOINTS = '_checkpoints';
const DEAD_LETTERS = '_dead_letters';
/**
 * The adapters' own bookkeeping, not collections of the port (like the SQLite adapter's non-`c_` tables): hidden
 * from listCollections. The engine's registry (`_projections`) is a port collection and is listed.
 */
const ADAPTER_COLLECTIONS = new Set([CHECKPOINTS, DEAD_LETTERS, '_idempotency', '_leases']);

interface CheckpointDoc {
  _id: string;
  position: string;
  updatedAt: string;
}

interface DeadLetterDoc {
  _id: string;
  checkpointKey: string;
  parkedAt: string;
  /** The position zero-padded, so the string order is the numeric order (like the SQLite adapter's CAST). */
  positionKey: string;
  /** The whole DeadLetter as JSON: event data may hold keys MongoDB treats specially. */
  body: string;
}

type StoredDoc = { _id: string } & Record<string, unknown>;

/** The adapter's own bookkeeping is read from the primary whatever the URI asks (a stale checkpoint read would
 * make every batch a conflict). Queries of read models keep the URI's read preference. */
const PRIMARY = { readPreference: 'primary' } as const;

const POSITION_DIGITS = 40; // EventStoreDB positions (commit * 2^64 + prepare) stay below 10^39

export function compileMongoFilter(filter: Filter): mongo.Filter<StoredDoc> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const clause of parseFilter(filter)) (out[clause.path] ??= {})[clause.op] = clause.value;
  return out as mongo.Filter<StoredDoc>;
}

/**
 * As [field, direction] pairs: an object would move digit-only field names ahead of the others. The tie-break on
 * `_id` ascending is added only when the caller did not sort on `_id` itself (a later `_id` pair would override
 * the caller's direction).
 */
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

export class MongoReadStore implements ReadStore, StoreHealth {
  private readonly handle: MongoHandle;
  private readonly timeoutMs: number;
  private ready: Promise<mongo.Db> | null = null;
  /** Collections known to exist: a batch creates missing ones before its transaction starts. */
  private readonly known = new Set<string>();
  private closed = false;

  /** `source`: a MONGODB_URI (the process-wide shared connection) or a connection someone else owns. */
  constructor(source: string | Connection, options: MongoReadStoreOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MONGO_TIMEOUT_MS;
    this.handle = mongoHandle(source, { timeoutMs: this.timeoutMs });
  }

  /** Connects, checks that transactions are available and creates the internal indexes. Memoised. */
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

  async checkHealth(timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    await this.connect();
    return pingMongo(this.handle, timeoutMs);
  }

  // ---- reads ----

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    const c = await this.collection(collection);
    const doc = await c.findOne({ _id: id });
    return doc ? toEntry<T>(doc).doc : null;
  }

  async find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return (await this.findEntries<T>(collection, filter, options)).map((e) => e.doc);
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

  async dropCollection(collection: string): Promise<void> {
    assertCollectionName(collection);
    const db = await this.db();
    this.known.delete(collection);
    try {
      await db.dropCollection(collection);
    } catch (error) {
      if (!isNamespaceNotFound(error)) throw error;
    }
  }

  async listCollections(): Promise<string[]> {
    const db = await this.db();
    const infos = await db.listCollections({}, { nameOnly: true }).toArray();
    return infos
      .map((info) => info.name)
      .filter((name) => !ADAPTER_COLLECTIONS.has(name) && !name.startsWith('system.'))
      .sort();
  }

  // ---- checkpoints, batches ----

  async getCheckpoint(checkpointKey: string): Promise<string | null> {
    const db = await this.db();
    const doc = await db.collection<CheckpointDoc>(CHECKPOINTS, PRIMARY).findOne({ _id: checkpointKey });
    return doc?.position ?? null;
  }

  async listCheckpoints(): Promise<Record<string, string>> {
    const db = await this.db();
    const docs = await db.collection<CheckpointDoc>(CHECKPOINTS, PRIMARY).find({}).sort({ _id: 1 }).toArray();
    return Object.fromEntries(docs.map((d) => [d._id, d.position]));
  }

  async deleteCheckpoint(checkpointKey: string): Promise<void> {
    const db = await this.db();
    await db.collection<CheckpointDoc>(CHECKPOINTS, PRIMARY).deleteOne({ _id: checkpointKey });
  }

  async commitBatch<T>(
    checkpointKey: string,
    expected: string | null,
    next: string,
    fn: (writer: DocumentWriter) => Promise<T>,
    options: CommitOptions = {},
  ): Promise<T> {
    if (comparePositions(next, expected) < 0) throw new Error(`Checkpoint ${checkpointKey} cannot move back`);
    // Fail fast, before doing the batch's work; the transaction checks again.
    const before = await this.getCheckpoint(checkpointKey);
    if (before !== expected) throw new CheckpointConflictError(checkpointKey, expected, before);
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    const changes = writer.changes(); // once: withTransaction may run the work again
    await this.transaction(async (db, session) => {
      const checkpoints = db.collection<CheckpointDoc>(CHECKPOINTS, PRIMARY);
      // Read inside the transaction: a concurrent commit of the same checkpoint either is visible here or
      // makes our write below a write conflict (then withTransaction retries and we see it).
      const current = await checkpoints.findOne({ _id: checkpointKey }, { session });
      const actual = current?.position ?? null;
      if (actual !== expected) throw new CheckpointConflictError(checkpointKey, expected, actual);
      await this.applyChanges(db, changes, session);
      const deadLetters = options.deadLetters ?? [];
      if (deadLetters.length) {
        await db.collection<DeadLetterDoc>(DEAD_LETTERS).bulkWrite(
          deadLetters.map((d) => ({
            replaceOne: { filter: { _id: d.id }, replacement: toDeadLetterDoc(d), upsert: true },
          })),
          { session, ordered: true },
        );
      }
      await checkpoints.replaceOne(
        { _id: checkpointKey },
        { position: next, updatedAt: new Date().toISOString() },
        { upsert: true, session },
      );
    }, changes);
    return result;
  }

  async write<T>(fn: (writer: DocumentWriter) => Promise<T>): Promise<T> {
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    if (writer.size > 0) {
      const changes = writer.changes();
      await this.transaction((db, session) => this.applyChanges(db, changes, session), changes);
    }
    return result;
  }

  // ---- dead letters ----

  async listDeadLetters(checkpointKey?: string): Promise<DeadLetter[]> {
    const db = await this.db();
    const docs = await db
      .collection<DeadLetterDoc>(DEAD_LETTERS)
      .find(checkpointKey === undefined ? {} : { checkpointKey })
      .sort({ parkedAt: 1, positionKey: 1, _id: 1 })
      .toArray();
    return docs.map((d) => JSON.parse(d.body) as DeadLetter);
  }

  async deleteDeadLetters(checkpointKey?: string): Promise<number> {
    const db = await this.db();
    const result = await db
      .collection<DeadLetterDoc>(DEAD_LETTERS)
      .deleteMany(checkpointKey === undefined ? {} : { checkpointKey });
    return result.deletedCount;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.release();
  }

  // ---- internals ----

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
    await this.createIfMissing(db, CHECKPOINTS);
    await this.createIfMissing(db, DEAD_LETTERS);
    await db
      .collection(DEAD_LETTERS)
      .createIndexes([{ key: { checkpointKey: 1, parkedAt: 1, positionKey: 1 }, name: 'by_checkpoint' }]);
    return db;
  }

  private async db(): Promise<mongo.Db> {
    if (this.closed) throw new Error('The read store is closed');
    return this.connect();
  }

  private async collection(name: string): Promise<mongo.Collection<StoredDoc>> {
    assertCollectionName(name);
    return (await this.db()).collection<StoredDoc>(name);
  }

  private async createIfMissing(db: mongo.Db, name: string): Promise<void> {
    if (this.known.has(name)) return;
    try {
      await db.createCollection(name);
    } catch (error) {
      if (!isNamespaceExists(error)) throw error;
    }
    this.known.add(name);
  }

  /**
   * Runs `work` in a transaction (retried by the driver on transient errors and unknown commit results). The
   * collections a batch writes to are created first: creating one inside a transaction has restrictions
   * (read concern, sharded clusters) we need not meet.
   */
  private async transaction(
    work: (db: mongo.Db, session: mongo.ClientSession) => Promise<unknown>,
    changes: CollectionChanges[],
  ): Promise<void> {
    const db = await this.db();
    for (const { collection } of changes) await this.createIfMissing(db, collection);
    const session = this.handle.connection.getClient().startSession();
    try {
      // readPreference pinned: a transaction inherits the URI's, and any other than primary fails every commit
      // (a URI may ask for secondaries to spread the queries; those keep it).
      await session.withTransaction(() => work(db, session), {
        readPreference: 'primary',
        readConcern: { level: 'snapshot' },
        writeConcern: { w: 'majority' },
      });
    } finally {
      await session.endSession();
    }
  }

  private async applyChanges(
    db: mongo.Db,
    changes: CollectionChanges[],
    session: mongo.ClientSession,
  ): Promise<void> {
    for (const { collection, ids, docs } of changes) {
      const operations: mongo.AnyBulkWriteOperation<StoredDoc>[] = [];
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        const json = docs[i];
        if (json === null) {
          operations.push({ deleteOne: { filter: { _id: id } } });
          continue;
        }
        const doc = JSON.parse(json) as Record<string, unknown>;
        if ('_id' in doc)
          throw new Error(`Document ${collection}/${id} has an _id field: ids live beside documents`);
        operations.push({ replaceOne: { filter: { _id: id }, replacement: doc, upsert: true } });
      }
      if (operations.length) {
        await db.collection<StoredDoc>(collection).bulkWrite(operations, { session, ordered: true });
      }
    }
  }
}

function toDeadLetterDoc(d: DeadLetter): Omit<DeadLetterDoc, '_id'> {
  return {
    checkpointKey: d.checkpointKey,
    parkedAt: d.parkedAt,
    positionKey: d.position.padStart(POSITION_DIGITS, '0'),
    body: JSON.stringify(d),
  };
}
