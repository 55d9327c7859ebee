// Idempotency-Key records in MongoDB, seen by every API replica. Expiry is the server's: every write stamps `touchedAt`
// and a TTL index removes records `retentionMs` later, so replicas' clocks never decide it (`purge` is for tests).
import { type Connection, mongo } from 'mongoose';
import { isDuplicateKey, MongoHandle, mongoHandle } from '../read-store/mongo/mongo-connection';
import { IDEMPOTENCY_RETENTION_MS, IdempotencyStore } from './idempotency-store.port';
import type { IdempotencyRecord, RecordId } from './idempotency-store.port';

const IDEMPOTENCY_COLLECTION = '_idempotency';
const TTL_INDEX = 'ttl_touched_at';

/** Also stored: `scope`, `key`, `touchedAt` (the server's time of the last write: the TTL index counts from it). */
type IdempotencyDoc = IdempotencyRecord & { _id: string };

export class MongoIdempotencyStore extends IdempotencyStore {
  private readonly handle: MongoHandle;
  private ready: Promise<mongo.Collection<IdempotencyDoc>> | null = null;

  constructor(
    source: string | Connection,
    private readonly options: { timeoutMs?: number; retentionMs?: number } = {},
  ) {
    super();
    this.handle = mongoHandle(source, options);
  }

  protected async insert(id: RecordId, record: IdempotencyRecord): Promise<boolean> {
    // Fills only what is missing: a new record gets every field (touchedAt from the server's clock), an existing
    // one is left exactly as it is. Of concurrent inserts, the unique _id lets one win.
    const fields = { ...id, ...record };
    const fill = Object.entries(fields).map(([f, v]) => [f, { $ifNull: [`$${f}`, { $literal: v }] }]);
    const set = { ...Object.fromEntries(fill), touchedAt: { $ifNull: ['$touchedAt', '$$NOW'] } };
    const c = await this.collection();
    try {
      return (await c.updateOne({ _id: idOf(id) }, [{ $set: set }], { upsert: true })).upsertedCount === 1;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  protected async find(id: RecordId): Promise<IdempotencyRecord | null> {
    return (await this.collection()).findOne({ _id: idOf(id) });
  }

  protected async update(id: RecordId, token: string, set: Partial<IdempotencyRecord>): Promise<boolean> {
    const c = await this.collection();
    const filter = { _id: idOf(id), token, status: null };
    return (await c.updateOne(filter, { $set: set, $currentDate: { touchedAt: true } })).modifiedCount === 1;
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    await (await this.collection()).deleteOne({ _id: idOf({ scope, key }), token, status: null });
  }

  async purge(beforeMs: number): Promise<number> {
    return (await (await this.collection()).deleteMany({ reservedAt: { $lt: beforeMs } })).deletedCount;
  }

  async close(): Promise<void> {
    await this.handle.release();
  }

  private collection(): Promise<mongo.Collection<IdempotencyDoc>> {
    this.ready ??= (async () => {
      const db = await this.handle.db();
      // Primary: a record must be read where it was just written (the URI may prefer secondaries for queries).
      const c = db.collection<IdempotencyDoc>(IDEMPOTENCY_COLLECTION, { readPreference: 'primary' });
      await c.createIndexes([{ key: { reservedAt: 1 }, name: 'by_reserved_at' }]);
      // The TTL index, created or (another retention configured) changed in place with collMod.
      const ttl = (await c.indexes()).find((index) => index.name === TTL_INDEX);
      const retentionMs = this.options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
      const expireAfterSeconds = Math.max(1, Math.round(retentionMs / 1000));
      if (!ttl) await c.createIndex({ touchedAt: 1 }, { name: TTL_INDEX, expireAfterSeconds });
      else if (ttl.expireAfterSeconds !== expireAfterSeconds) {
        await db.command({ collMod: IDEMPOTENCY_COLLECTION, index: { name: TTL_INDEX, expireAfterSeconds } });
      }
      return c;
    })().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }
}

/** JSON [scope, key]: unambiguous whatever the characters of either. */
const idOf = ({ scope, key }: RecordId): string => JSON.stringify([scope, key]);
