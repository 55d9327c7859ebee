// Leases in MongoDB (`_leases`). Expiry is computed with the server's clock ($$NOW in update pipelines), so
// replicas on different hosts need no synchronised clocks. tryAcquire is one findOneAndUpdate with upsert: it
// rewrites the lease when it is ours, released or expired; when another holds a live one nothing matches, the
// upsert tries to insert the same _id and the unique index refuses it (E11000). Atomic without a transaction.
import type { Connection } from 'mongoose';
import { mongo } from 'mongoose';
import type { Clock } from '../clock/clock.port';
import { isDuplicateKey, MongoHandle, mongoHandle } from '../read-store/mongo/mongo-connection';
import type { LeaseHolder, LeaseStore } from './lease-store.port';

const LEASES_COLLECTION = '_leases';

interface LeaseDoc {
  _id: string;
  owner: string | null;
  expiresAt: Date;
  generation: number;
}

export class MongoLeaseStore implements LeaseStore {
  private readonly handle: MongoHandle;

  /** `clock`: tests only (one ManualClock for every connection of the test); otherwise the server's $$NOW. */
  constructor(
    source: string | Connection,
    private readonly options: { timeoutMs?: number; clock?: Clock } = {},
  ) {
    this.handle = mongoHandle(source, options);
  }

  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const c = await this.collection();
    const now = this.now();
    const mine = { $eq: ['$owner', owner] };
    try {
      const doc = await c.findOneAndUpdate(
        { _id: name, $expr: { $or: [mine, { $eq: ['$owner', null] }, { $lte: ['$expiresAt', now] }] } },
        [
          {
            $set: {
              // One $set stage sees the document as it was: the generation moves on when the lease changes hands.
              generation: {
                $cond: [
                  mine,
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
    const c = await this.collection();
    const set = { $set: { expiresAt: { $add: [this.now(), ttlMs] } } };
    return (await c.updateOne({ _id: name, owner }, [set])).matchedCount === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    const c = await this.collection();
    await c.updateOne({ _id: name, owner }, [{ $set: { owner: null, expiresAt: this.now() } }]);
  }

  async holder(name: string): Promise<LeaseHolder | null> {
    const doc = await (await this.collection()).findOne({ _id: name });
    if (!doc?.owner) return null;
    return { owner: doc.owner, expiresAt: doc.expiresAt.toISOString(), generation: doc.generation };
  }

  async close(): Promise<void> {
    await this.handle.release();
  }

  /** The server's clock, or the injected one (a date literal in the pipeline). */
  private now(): Date | '$$NOW' {
    return this.options.clock?.now() ?? '$$NOW';
  }

  private async collection(): Promise<mongo.Collection<LeaseDoc>> {
    return (await this.handle.db()).collection<LeaseDoc>(LEASES_COLLECTION);
  }
}
