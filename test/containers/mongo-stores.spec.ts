// The MongoDB adapters against a real MongoDB (single-node replica set): the read-store, idempotency and lease
// contracts (the same suites as the embedded adapters), and the start-up refusals only a real server shows.
import { GenericContainer, Wait } from 'testcontainers';
import { ManualClock } from '../../src/platform/clock/clock.port';
import { MongoLeaseStore } from '../../src/platform/cluster/mongo-lease-store';
import { describeLeaseStoreContract } from '../contract/lease-store.contract';
import { StoreUnavailableError } from '../../src/platform/cluster/store-availability';
import { MongoIdempotencyStore } from '../../src/platform/idempotency/mongo-idempotency-store';
import { mongoHandle } from '../../src/platform/read-store/mongo/mongo-connection';
import { MongoReadStore } from '../../src/platform/read-store/mongo/mongo-read-store';
import { describeIdempotencyStoreContract } from '../contract/idempotency-store.contract';
import { describeReadStoreContract } from '../contract/read-store.contract';
import { CONTAINER_START_TIMEOUT_MS, describeWithContainers } from './runtime';
import { MONGO_IMAGE, StartedMongo, startMongoReplicaSet } from './servers';

jest.setTimeout(30_000);

/** The idempotency records' TTL index as the server has it, read through a connection of its own. */
async function idempotencyTtlIndex(uri: string) {
  const handle = mongoHandle(uri);
  try {
    const indexes = await (await handle.db()).collection('_idempotency').indexes();
    const index = indexes.find((i) => i.name === 'ttl_touched_at');
    return index && { key: index.key, expireAfterSeconds: index.expireAfterSeconds };
  } finally {
    await handle.release();
  }
}

/** Drops the test's database through a connection of its own. */
async function dropDatabase(uri: string): Promise<void> {
  const handle = mongoHandle(uri);
  try {
    await (await handle.db()).dropDatabase();
  } finally {
    await handle.release();
  }
}

describeWithContainers('MongoDB adapters', () => {
  let server: StartedMongo;
  beforeAll(async () => {
    server = await startMongoReplicaSet();
  }, CONTAINER_START_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  describeReadStoreContract('MongoDB', async () => {
    const uri = server.uri();
    let current = new MongoReadStore(uri);
    await current.connect();
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = new MongoReadStore(uri);
        await current.connect();
        return current;
      },
      dispose: async () => {
        await current.close();
        await dropDatabase(uri);
      },
    };
  });

  describeIdempotencyStoreContract('MongoDB (two connections: two API replicas)', async () => {
    const uri = server.uri();
    // The second store joins the same shared connection per URI; a different URI spelling gives a second one.
    const store = new MongoIdempotencyStore(uri);
    const other = new MongoIdempotencyStore(`${uri}&appName=replica-2`);
    return {
      store,
      other,
      cleanup: async () => {
        await store.close();
        await other.close();
        await dropDatabase(uri);
      },
    };
  });

  describeLeaseStoreContract('MongoDB (two connections)', async () => {
    const uri = server.uri();
    // Expiry by the test's clock (a date literal in the pipelines) instead of the server's $$NOW.
    const clock = new ManualClock();
    const store = new MongoLeaseStore(uri, { clock });
    const other = new MongoLeaseStore(`${uri}&appName=replica-2`, { clock });
    return {
      store,
      other,
      clock,
      cleanup: async () => {
        await store.close();
        await other.close();
        await dropDatabase(uri);
      },
    };
  });

  it('expires idempotency records by a TTL index on the server time, retention changed in place', async () => {
    const uri = server.uri();
    const store = new MongoIdempotencyStore(uri, { retentionMs: 3_600_000 });
    try {
      await store.reserve('u', 'k', 'fp', 0, 30_000); // a replica clock at 1970: the server's time still rules
      expect(await idempotencyTtlIndex(uri)).toEqual({ key: { touchedAt: 1 }, expireAfterSeconds: 3600 });
    } finally {
      await store.close();
    }
    const longer = new MongoIdempotencyStore(`${uri}&appName=longer`, { retentionMs: 7_200_000 });
    try {
      await longer.ping(); // its first operation sets the indexes up
      expect(await idempotencyTtlIndex(uri)).toEqual({ key: { touchedAt: 1 }, expireAfterSeconds: 7200 });
    } finally {
      await longer.close();
      await dropDatabase(uri);
    }
  });

  it('commits batches when the URI prefers secondaries (transactions are pinned to the primary)', async () => {
    const uri = `${server.uri()}&readPreference=secondaryPreferred`;
    const store = new MongoReadStore(uri);
    try {
      await store.commitBatch('p@g1', null, '1', (w) => w.put('things', 'a', { name: 'a' }));
      await store.write((w) => w.put('things', 'b', { name: 'b' }));
      expect(await store.getCheckpoint('p@g1')).toBe('1');
      expect(await store.count('things', {})).toBe(2);
    } finally {
      await store.close();
      await dropDatabase(uri);
    }
  });

  it('uses the database the URI names', async () => {
    const store = new MongoReadStore(server.uri('rc_health'));
    try {
      expect((await store.connect()).databaseName).toBe('rc_health');
    } finally {
      await store.close();
    }
  });
});

describeWithContainers('MongoDB read store on a standalone server', () => {
  it(
    'refuses to start: batches need transactions, so a replica set',
    async () => {
      const container = await new GenericContainer(MONGO_IMAGE)
        .withExposedPorts(27017)
        .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
        .start();
      const store = new MongoReadStore(
        `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/rc`,
      );
      try {
        const error = await store.connect().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as Error).message).toMatch(/standalone server.*replica set/);
      } finally {
        await store.close();
        await container.stop();
      }
    },
    CONTAINER_START_TIMEOUT_MS,
  );
});
