// What the MongoDB adapters do without a server: the translation of the port's filters and sorts into MongoDB's
// query language, and the fail-fast connect. Against a real MongoDB: test/containers/mongo-stores.spec.ts.
import { createServer } from 'node:net';
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
    const started = Date.now();
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
    expect(Date.now() - started).toBeLessThan(3000);
  });

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
