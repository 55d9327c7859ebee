// What the MongoDB adapters do without a server: the translation of the port's filters and sorts into MongoDB's
// query language, and the fail-fast connect. Against a real MongoDB: test/containers/mongo-stores.spec.ts.
import { createServer } from 'node:net';
import type { Connection } from 'mongoose';
import type { AddressInfo } from 'node:net';
import { StoreUnavailableError } from '../../cluster/store-availability';
import { MongoLeaseStore } from '../../cluster/mongo-lease-store';
import { MongoIdempotencyStore } from '../../idempotency/mongo-idempotency-store';
import { compileMongoFilter, compileMongoSort, MongoReadStore } from './mongo-read-store';

describe('MongoDB query translation', () => {
  it('passes the port operators through, a bare scalar as $eq, several operators on one field merged', () => {
    expect(
      compileMongoFilter({
        status: 'open',
        'nested.level': { $gte: 1, $lt: 5 },
        role: { $in: ['buyer', null] },
        flag: { $ne: true },
        gone: null,
      }),
    ).toEqual({
      status: { $eq: 'open' },
      'nested.level': { $gte: 1, $lt: 5 },
      role: { $in: ['buyer', null] },
      flag: { $ne: true },
      gone: { $eq: null },
    });
  });

  it('refuses what the port refuses (operators, paths, range on null or booleans)', () => {
    expect(() => compileMongoFilter({ a: { $regex: 'x' } as never })).toThrow(/Unsupported operator/);
    expect(() => compileMongoFilter({ 'a.$where': 1 })).toThrow(/Invalid field path/);
    expect(() => compileMongoFilter({ a: { $gt: null } })).toThrow();
    expect(() => compileMongoFilter({ a: { $lt: true } })).toThrow();
  });

  it('sorts in the given key order, ties broken by _id ascending', () => {
    expect(compileMongoSort({ sort: { '1': -1, sortKey: -1, name: 1 } })).toEqual([
      ['1', -1],
      ['sortKey', -1],
      ['name', 1],
      ['_id', 1],
    ]);
    expect(compileMongoSort(undefined)).toEqual([['_id', 1]]);
  });

  it("keeps the caller's _id direction (no ascending tie-break after it, which would override it)", () => {
    expect(compileMongoSort({ sort: { _id: -1 } })).toEqual([['_id', -1]]);
    expect(compileMongoSort({ sort: { name: 1, _id: -1 } })).toEqual([
      ['name', 1],
      ['_id', -1],
    ]);
    expect(() => compileMongoFilter({ _id: 'x' })).toThrow(/not a document field/);
  });
});

/**
 * A recording stand-in for a mongoose Connection: it checks how the adapters call the driver (options they pass),
 * not what a server would do with them; that is test/containers/mongo-stores.spec.ts's job.
 */
function recordingConnection() {
  const calls: { op: string; collection?: string; args: unknown[] }[] = [];
  const collectionOptions = new Map<string, unknown>();
  const collection = (name: string, options?: unknown) => {
    if (options !== undefined) collectionOptions.set(name, options);
    const record =
      (op: string, result: unknown = undefined) =>
      async (...args: unknown[]) => {
        calls.push({ op, collection: name, args });
        return result;
      };
    return {
      createIndexes: record('createIndexes'),
      createIndex: record('createIndex'),
      indexes: record('indexes', []),
      findOne: record('findOne', null),
      bulkWrite: record('bulkWrite'),
      replaceOne: record('replaceOne'),
      updateOne: record('updateOne', { upsertedCount: 1, modifiedCount: 0 }),
    };
  };
  const db = {
    databaseName: 'rc',
    admin: () => ({ command: async () => ({ setName: 'rs0' }) }),
    createCollection: async () => undefined,
    collection,
    command: async () => ({ ok: 1 }),
  };
  const session = {
    withTransaction: async (work: () => Promise<unknown>, options: unknown) => {
      calls.push({ op: 'withTransaction', args: [options] });
      await work();
    },
    endSession: async () => undefined,
  };
  const connection = {
    host: 'fake',
    port: 1,
    name: 'rc',
    db,
    asPromise: async () => connection,
    getClient: () => ({ startSession: () => session }),
  };
  return { connection: connection as unknown as Connection, calls, collectionOptions };
}

describe("MongoDB adapters' use of the driver", () => {
  it('pins transactions to the primary whatever the URI asks (a secondary preference fails every commit)', async () => {
    const { connection, calls, collectionOptions } = recordingConnection();
    const store = new MongoReadStore(connection);
    await store.commitBatch('p@g1', null, '1', (w) => w.put('things', 'a', { name: 'a' }));
    await store.write((w) => w.put('things', 'b', { name: 'b' }));
    const transactions = calls.filter((c) => c.op === 'withTransaction');
    expect(transactions).toHaveLength(2);
    for (const t of transactions) expect(t.args[0]).toMatchObject({ readPreference: 'primary' });
    // The checkpoints are read from the primary too (a stale one would make every batch a conflict).
    expect(collectionOptions.get('_checkpoints')).toEqual({ readPreference: 'primary' });
    await store.close();
  });

  it("idempotency: the server stamps each write (its clock, not the replica's) and a TTL index expires records", async () => {
    const { connection, calls, collectionOptions } = recordingConnection();
    const store = new MongoIdempotencyStore(connection, { retentionMs: 3_600_000 });
    const reserved = await store.reserve('u', 'k', 'fp', 1000, 30_000);
    expect(reserved).toMatchObject({ outcome: 'reserved', takenOver: false });
    if (reserved.outcome === 'reserved')
      await store.complete('u', 'k', reserved.token, { status: 201, body: 1 }, 2000);
    expect(calls.find((c) => c.op === 'createIndex')?.args).toEqual([
      { touchedAt: 1 },
      { name: 'ttl_touched_at', expireAfterSeconds: 3600 },
    ]);
    const [insert, complete] = calls.filter((c) => c.op === 'updateOne');
    expect(JSON.stringify(insert.args[1])).toContain('"touchedAt":{"$ifNull":["$touchedAt","$$NOW"]}');
    expect(insert.args[2]).toEqual({ upsert: true });
    expect(complete.args[1]).toMatchObject({ $currentDate: { touchedAt: true } });
    expect(collectionOptions.get('_idempotency')).toEqual({ readPreference: 'primary' });
    await store.close();
  });
});

describe('MongoDB adapters start-up', () => {
  async function closedPort(): Promise<number> {
    return new Promise((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }

  it('fails fast with one line naming MongoDB and MONGODB_URI, credentials redacted', async () => {
    const port = await closedPort();
    const uri = `mongodb://app:secret@127.0.0.1:${port}/rc`;
    const store = new MongoReadStore(uri, { timeoutMs: 500 });
    const error = await store.connect().then(
      () => null,
      (e: unknown) => e,
    );
    await store.close();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(`^MongoDB unreachable at mongodb://\\*\\*\\*@127\\.0\\.0\\.1:${port}/rc \\(MONGODB_URI\\)`),
    );
    expect(message).not.toContain('secret');
    expect(String((error as Error).stack)).not.toContain('\n');
    // It gave up on its own timeout (0.5 s): one retrying forever outlasts the test's timeout. No wall-clock bound
    // beyond that (a loaded machine is not a slow give-up).
  }, 30_000);

  it('the idempotency and lease stores fail the same way', async () => {
    const port = await closedPort();
    const uri = `mongodb://127.0.0.1:${port}/rc`;
    const idempotency = new MongoIdempotencyStore(uri, { timeoutMs: 500 });
    const leases = new MongoLeaseStore(uri, { timeoutMs: 500 });
    await expect(idempotency.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(leases.tryAcquire('worker', 'me', 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    await idempotency.close();
    await leases.close();
  });
});
