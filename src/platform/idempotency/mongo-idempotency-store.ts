// Idempotency-Key records in MongoDB (collection `_idempotency`, with READ_STORE=mongo), so every API replica
// sees the same keys. No transaction is needed: each step is one atomic single-document operation.
// - reserve: an upsert that only fills missing fields wins the key (the unique _id decides between concurrent
//   replicas: the loser sees the record or a duplicate key); otherwise the record is read and classified; a stale reservation is taken over with a conditional update on the old
//   token, so of two replicas taking over the same key only one succeeds (the other re-reads and sees in_flight).
// - complete / release only touch the reservation still holding `token` and not completed.
// - Expiry is the server's: every write stamps `touchedAt` with the server's clock ($$NOW / $currentDate) and a
//   TTL index removes records `retentionMs` after it. Replicas' clocks (skewed, or a manual test clock) never
//   decide when a record goes; `purge` (by the caller's time, on `reservedAt`) is left to tools and tests.
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { mongo } from 'mongoose';
import type { StoreHealth } from '../cluster/store-availability';
import {
  DEFAULT_MONGO_TIMEOUT_MS,
  isDuplicateKey,
  MongoHandle,
  mongoHandle,
  pingMongo,
} from '../read-store/mongo/mongo-connection';
import type { IdempotencyStore, RecordedResponse, ReserveOutcome } from './idempotency-store.port';

export const IDEMPOTENCY_COLLECTION = '_idempotency';

interface IdempotencyDoc {
  /** JSON [scope, key]: unambiguous whatever the characters of either. */
  _id: string;
  scope: string;
  key: string;
  fingerprint: string;
  token: string;
  reservedAt: number;
  status: number | null;
  /** The response body as JSON text (any JSON value, keys included, round-trips unchanged). */
  body: string | null;
  /** The server's time of the last write: the TTL index expires the record from there. */
  touchedAt: Date;
}

export interface MongoIdempotencyStoreOptions {
  timeoutMs?: number;
  collection?: string;
  /** How long a record is kept after its last write, by the server's clock (TTL index). Default 24 h. */
  retentionMs?: number;
}

export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
const TTL_INDEX = 'ttl_touched_at';

/** Bounded: each retry means another replica changed the record between our two operations. */
const MAX_ATTEMPTS = 5;

export class MongoIdempotencyStore implements IdempotencyStore, StoreHealth {
  private readonly handle: MongoHandle;
  private readonly timeoutMs: number;
  private readonly collectionName: string;
  private readonly retentionSeconds: number;
  /** The server expires records itself (TTL index): the application's periodic purge is not needed. */
  readonly expiresRecords = true;
  private ready: Promise<mongo.Collection<IdempotencyDoc>> | null = null;
  private closed = false;

  constructor(source: string | Connection, options: MongoIdempotencyStoreOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MONGO_TIMEOUT_MS;
    this.collectionName = options.collection ?? IDEMPOTENCY_COLLECTION;
    this.retentionSeconds = Math.max(
      1,
      Math.round((options.retentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS) / 1000),
    );
    this.handle = mongoHandle(source, { timeoutMs: this.timeoutMs });
  }

  async onModuleInit(): Promise<void> {
    await this.collection();
  }

  async reserve(
    scope: string,
    key: string,
    fingerprint: string,
    nowMs: number,
    staleAfterMs: number,
  ): Promise<ReserveOutcome> {
    const c = await this.collection();
    const _id = JSON.stringify([scope, key]);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const token = randomUUID();
      try {
        // Fills only what is missing: a new record gets every field (touchedAt from the server's clock), an
        // existing one is left exactly as it is.
        const fresh = { scope, key, fingerprint, token, reservedAt: nowMs, status: null, body: null };
        const written = await c.updateOne(
          { _id },
          [
            {
              $set: {
                ...Object.fromEntries(
                  Object.entries(fresh).map(([field, value]) => [
                    field,
                    { $ifNull: [`$${field}`, { $literal: value }] },
                  ]),
                ),
                touchedAt: { $ifNull: ['$touchedAt', '$$NOW'] },
              },
            },
          ],
          { upsert: true },
        );
        if (written.upsertedCount === 1) return { outcome: 'reserved', token, takenOver: false };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const row = await c.findOne({ _id });
      if (!row) continue; // released meanwhile: try to insert again
      if (row.fingerprint !== fingerprint) return { outcome: 'mismatch' };
      if (row.status !== null) {
        return {
          outcome: 'completed',
          response: { status: row.status, body: JSON.parse(row.body ?? 'null') },
        };
      }
      if (nowMs - row.reservedAt < staleAfterMs) return { outcome: 'in_flight' };
      const taken = await c.updateOne(
        { _id, token: row.token, status: null },
        { $set: { token, reservedAt: nowMs }, $currentDate: { touchedAt: true } },
      );
      if (taken.modifiedCount === 1) return { outcome: 'reserved', token, takenOver: true };
      // Another replica completed, released or took it over first: classify again.
    }
    return { outcome: 'in_flight' };
  }

  async complete(
    scope: string,
    key: string,
    token: string,
    response: RecordedResponse,
    nowMs: number,
  ): Promise<void> {
    const c = await this.collection();
    await c.updateOne(
      { _id: JSON.stringify([scope, key]), token, status: null },
      {
        $set: { status: response.status, body: JSON.stringify(response.body ?? null), reservedAt: nowMs },
        $currentDate: { touchedAt: true },
      },
    );
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    const c = await this.collection();
    await c.deleteOne({ _id: JSON.stringify([scope, key]), token, status: null });
  }

  async purge(beforeMs: number): Promise<number> {
    const c = await this.collection();
    return (await c.deleteMany({ reservedAt: { $lt: beforeMs } })).deletedCount;
  }

  async ping(): Promise<void> {
    await pingMongo(this.handle, this.timeoutMs);
  }

  async checkHealth(timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    return pingMongo(this.handle, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.release();
  }

  /** The TTL index, created or (another retention configured) changed in place with collMod. */
  private async ensureTtlIndex(db: mongo.Db, c: mongo.Collection<IdempotencyDoc>): Promise<void> {
    const existing = (await c.indexes()).find((index) => index.name === TTL_INDEX);
    if (!existing) {
      await c.createIndex({ touchedAt: 1 }, { name: TTL_INDEX, expireAfterSeconds: this.retentionSeconds });
    } else if (existing.expireAfterSeconds !== this.retentionSeconds) {
      await db.command({
        collMod: this.collectionName,
        index: { name: TTL_INDEX, expireAfterSeconds: this.retentionSeconds },
      });
    }
  }

  /** The TTL index's settings as the server has them (tests, operators). */
  async ttlIndex(): Promise<{ key: Record<string, unknown>; expireAfterSeconds?: number } | undefined> {
    const c = await this.collection();
    const index = (await c.indexes()).find((i) => i.name === TTL_INDEX);
    return index && { key: index.key, expireAfterSeconds: index.expireAfterSeconds };
  }

  private collection(): Promise<mongo.Collection<IdempotencyDoc>> {
    if (this.closed) return Promise.reject(new Error('The idempotency store is closed'));
    this.ready ??= (async () => {
      const db = await this.handle.db();
      // Primary: a record must be read where it was just written (the URI may prefer secondaries for queries).
      const c = db.collection<IdempotencyDoc>(this.collectionName, { readPreference: 'primary' });
      await c.createIndexes([{ key: { reservedAt: 1 }, name: 'by_reserved_at' }]);
      await this.ensureTtlIndex(db, c);
      return c;
    })().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }
}
