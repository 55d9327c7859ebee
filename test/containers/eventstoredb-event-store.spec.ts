// The event-store contract (the same suite as SQLite and in-memory) against a real EventStoreDB, plus what only a
// real server can show: resubscription after the server restarts, and the fail-fast start-up.
import { randomUUID } from 'node:crypto';
import { EventStoreDbEventStore } from '../../src/platform/event-store/eventstoredb/eventstoredb-event-store';
import type { StoredEvent } from '../../src/platform/event-store/event-store.port';
import { Delivered, describeEventStoreContract, testEvent } from '../contract/event-store.contract';
import { CONTAINER_START_TIMEOUT_MS, describeWithContainers } from './runtime';
import { startEventStoreDb, StartedEventStoreDb, waitUntilWritable } from './servers';

jest.setTimeout(30_000);

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

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
    async () => {
      let store = new EventStoreDbEventStore(server.connectionString, { logger: quiet });
      await store.connect();
      return {
        store,
        restart: async () => {
          await store.close();
          store = new EventStoreDbEventStore(server.connectionString, { logger: quiet });
          await store.connect();
          return store;
        },
        cleanup: () => store.close(),
      };
    },
    { deliveryTimeoutMs: 10_000, readsByStream: false },
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
        logger: quiet,
        resubscribeMinDelayMs: 200,
        resubscribeMaxDelayMs: 1000,
      });
      await store.connect();
      const prefix = `rs${randomUUID().slice(0, 8)}-`;
      const delivered = new Delivered(60_000);
      const subscription = store.subscribeToAll(
        { after: await store.headPosition(), streamPrefix: prefix },
        delivered.handler,
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
