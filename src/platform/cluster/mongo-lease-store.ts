// Leases in MongoDB (collection `_leases`). Expiry is computed with the server's clock ($$NOW in update
// pipelines), so API and worker replicas on different hosts need no synchronised clocks.
// tryAcquire is one findOneAndUpdate with upsert: it matches the lease when it is ours or expired and rewrites
// it; when someone else holds a live lease nothing matches, the upsert tries to insert the same _id and the
// unique index refuses it (E11000): we did not get it. Atomic without a transaction.
import type { Connection } from 'mongoose';
import { mongo } from 'mongoose';
import {
  DEFAULT_MONGO_TIMEOUT_MS,
  isDuplicateKey,
  MongoHandle,
  mongoHandle,
  pingMongo,
} from '../read-store/mongo/mongo-connection';
import type { StoreHealth } from './store-availability';
import type { Clock } from '../clock/clock.port';
import { assertLeaseArgs, LeaseHolder, LeaseStore } from './lease-store.port';

export const LEASES_COLLECTION = '_leases';

interface LeaseDoc {
  _id: string;
  owner: string | null;
  expiresAt: Date;
  generation: number;
}

export class MongoLeaseStore implements LeaseStore, StoreHealth {
  private readonly handle: MongoHandle;
  private readonly timeoutMs: number;
  private readonly clock: Clock | undefined;
  private closed = false;

  /**
   * `clock`: tests only (a ManualClock, the same one for every connection of the test). Without it, expiry is
   * MongoDB's own clock ($$NOW), so replicas on different hosts need no synchronised clocks.
   */
  constructor(source: string | Connection, options: { timeoutMs?: number; clock?: Clock } = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MONGO_TIMEOUT_MS;
    this.clock = options.clock;
    this.handle = mongoHandle(source, { timeoutMs: this.timeoutMs });
  }

  async onModuleInit(): Promise<void> {
    await this.handle.db();
  }

  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertLeaseArgs(name, owner, ttlMs);
    const c = await this.collection();
    const now = this.now();
    try {
      const doc = await c.findOneAndUpdate(
        {
          _id: name,
          $expr: {
            $or: [{ $eq: ['$owner', owner] }, { $eq: ['$owner', null] }, { $lte: ['$expiresAt', now] }],
          },
        },
        [
          {
            $set: {
              // Every field of one $set stage sees the document as it was: the generation moves on only
              // when the lease changes hands.
              generation: {
                $cond: [
                  { $eq: ['$owner', owner] },
                  { $ifNull: ['$generation', 1] },
                  { $add: [{ $ifNull: ['$generation', 0] }, 1] },
                ],
              },
              owner,
              expiresAt: { $add: [now, ttlMs] },
            },
          },
        ],
        { upsert: true, returnDocument: 'after' },
      );
      return doc?.owner === owner;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertLeaseArgs(name, owner, ttlMs);
    const c = await this.collection();
    const result = await c.updateOne({ _id: name, owner }, [
      { $set: { expiresAt: { $add: [this.now(), ttlMs] } } },
    ]);
    return result.matchedCount === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    assertLeaseArgs(name, owner);
    const c = await this.collection();
    await c.updateOne({ _id: name, owner }, [{ $set: { owner: null, expiresAt: this.now() } }]);
  }

  async holder(name: string): Promise<LeaseHolder | null> {
    const c = await this.collection();
    const doc = await c.findOne({ _id: name });
    if (!doc || doc.owner === null) return null;
    return { owner: doc.owner, expiresAt: doc.expiresAt.toISOString(), generation: doc.generation };
  }

  async checkHealth(timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    return pingMongo(this.handle, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.release();
  }

  /** The server's clock, or the injected one (a date literal in the pipeline). */
  private now(): Date | '$$NOW' {
    return this.clock ? this.clock.now() : '$$NOW';
  }

  private async collection(): Promise<mongo.Collection<LeaseDoc>> {
    if (this.closed) throw new Error('The lease store is closed');
    return (await this.handle.db()).collection<LeaseDoc>(LEASES_COLLECTION);
  }
}
