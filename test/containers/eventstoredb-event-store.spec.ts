// The event-store contract (the same suite as SQLite and in-memory) against a real EventStoreDB, plus what only a
// real server can show: resubscription after the server restarts, and the fail-fast start-up.
import { randomUUID } from 'node:crypto';
import { EventStoreDbEventStore } from '../../src/platform/event-store/eventstoredb/eventstoredb-event-store';
import type { StoredEvent } from '../../src/platform/event-store/event-store.port';
import { Delivered, describeEventStoreContract, testEvent } from '../contract/event-store.contract';
import { CONTAINER_START_TIMEOUT_MS, describeWithContainers } from './runtime';
import { startEventStoreDb, StartedEventStoreDb, waitUntilWritable } from './servers';

jest.setTimeout(30_000);

/**
 * Not quiet: a subscription's warnings and errors go to the test output, so a failure shows its cause instead
 * of only "timed out waiting for N events".
 */
const logger = {
  log: () => undefined,
  warn: (message: string) => process.stderr.write(`[esdb warn] ${message}\n`),
  error: (message: string) => process.stderr.write(`[esdb error] ${message}\n`),
};

describeWithContainers('EventStoreDB event-store contract', () => {
  let server: StartedEventStoreDb;
  beforeAll(async () => {
    server = await startEventStoreDb();
  }, CONTAINER_START_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  describeEventStoreContract(
    'EventStoreDB',
    async (options = {}) => {
      let store = new EventStoreDbEventStore(server.connectionString, { logger, ...options });
      await store.connect();
      return {
        store,
        restart: async () => {
          await store.close();
          store = new EventStoreDbEventStore(server.connectionString, { logger, ...options });
          await store.connect();
          return store;
        },
        cleanup: () => store.close(),
      };
    },
    { deliveryTimeoutMs: 10_000 },
  );
});

describeWithContainers('EventStoreDB subscription across a server restart', () => {
  let server: StartedEventStoreDb;
  beforeAll(async () => {
    server = await startEventStoreDb({ durable: true });
  }, CONTAINER_START_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  it(
    'resubscribes from the last delivered position: every event once, in order',
    async () => {
      const store = new EventStoreDbEventStore(server.connectionString, {
        logger,
        resubscribeMinDelayMs: 200,
        resubscribeMaxDelayMs: 1000,
      });
      await store.connect();
      const prefix = `rs${randomUUID().slice(0, 8)}-`;
      const delivered = new Delivered(60_000);
      const subscription = store.subscribeToAll(
        { after: await store.headPosition(), streamPrefix: prefix },
        delivered.handler,
        delivered.onError,
      );
      try {
        const before = [testEvent('A'), testEvent('B'), testEvent('C')];
        await store.append(`${prefix}s`, before, 'no_stream');
        await delivered.waitFor(3);

        await server.container.restart();
        await waitUntilWritable(server.connectionString);

        const after = [testEvent('D'), testEvent('E')];
        // The store's client reconnects by itself; retry while the node finishes its election.
        for (let attempt = 0; ; attempt++) {
          try {
            await store.append(`${prefix}s`, after, 2);
            break;
          } catch (error) {
            if (attempt > 40) throw error;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
        await delivered.waitFor(5);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(delivered.events.map((e: StoredEvent) => e.type)).toEqual(['A', 'B', 'C', 'D', 'E']);
        expect(new Set(delivered.ids()).size).toBe(5);
      } finally {
        await subscription.stop();
        await store.close();
      }
    },
    CONTAINER_START_TIMEOUT_MS,
  );
});

describeWithContainers('EventStoreDB reads left early (one client, hundreds of calls)', () => {
  let server: StartedEventStoreDb;
  beforeAll(async () => {
    server = await startEventStoreDb();
  }, CONTAINER_START_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  it('hundreds of headPosition and readAll({ maxCount: 1 }) calls leave no server stream open: appends still go through', async () => {
    const store = new EventStoreDbEventStore(server.connectionString, { logger });
    await store.connect();
    try {
      const prefix = `leak${randomUUID().slice(0, 8)}-`;
      // More events than a page, so every read below is left before its page's end.
      for (let i = 0; i < 6; i++) {
        await store.append(
          `${prefix}${i}`,
          Array.from({ length: 200 }, () => testEvent('Filler')),
          'no_stream',
        );
      }
      for (let i = 0; i < 300; i++) {
        await store.headPosition();
        await store.readAll({ after: null, maxCount: 1 });
      }
      // Before the fix, ~100 abandoned reads exhausted the connection's HTTP/2 streams: this hung.
      const appended = await Promise.race([
        store.append(`${prefix}after`, [testEvent('After')], 'no_stream'),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('append hung after the reads')), 10_000),
        ),
      ]);
      expect(await store.headPosition()).toBe(appended.position);
      const [read] = await store.readAll({ after: null, maxCount: 1, streamPrefix: `${prefix}after` });
      expect(read.type).toBe('After');
    } finally {
      await store.close();
    }
  }, 120_000);
});
