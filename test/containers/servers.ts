// Real servers for the container suites: EventStoreDB/KurrentDB (single node, insecure, in memory) and MongoDB
// (a single-node replica set, so transactions work). Images can be pinned from the environment.
import { randomUUID } from 'node:crypto';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { freePort } from '../support/ports';

export const ESDB_IMAGE = process.env.ESDB_IMAGE ?? 'eventstore/eventstore:24.10';
export const MONGO_IMAGE = process.env.MONGO_IMAGE ?? 'mongo:7.0';

export interface StartedEventStoreDb {
  container: StartedTestContainer;
  connectionString: string;
  stop(): Promise<void>;
}

export interface StartedMongo {
  container: StartedTestContainer;
  /** A URI for a database of its own (every test may take a fresh one). */
  uri(database?: string): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `durable`: data on the container's disk (not in memory) and a fixed host port, so `container.restart()` keeps
 * the events and the address (a client reconnects to the same connection string).
 */
export async function startEventStoreDb(options: { durable?: boolean } = {}): Promise<StartedEventStoreDb> {
  // KurrentDB reads KURRENTDB_* options, EventStoreDB EVENTSTORE_* (and refuses options it does not know).
  const p = /kurrent/i.test(ESDB_IMAGE) ? 'KURRENTDB_' : 'EVENTSTORE_';
  const port = options.durable ? { container: 2113, host: await freePort() } : 2113;
  const container = await new GenericContainer(ESDB_IMAGE)
    .withEnvironment({
      [`${p}CLUSTER_SIZE`]: '1',
      [`${p}INSECURE`]: 'true',
      [`${p}MEM_DB`]: options.durable ? 'false' : 'true',
      [`${p}RUN_PROJECTIONS`]: 'None',
      [`${p}START_STANDARD_PROJECTIONS`]: 'false',
    })
    .withExposedPorts(port)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
    .withStartupTimeout(180_000)
    .start();
  const connectionString = `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
  await waitUntilWritable(connectionString);
  return { container, connectionString, stop: async () => void (await container.stop()) };
}

/** /health/live answers before the node is leader: wait until an append goes through. */
export async function waitUntilWritable(connectionString: string): Promise<void> {
  // Imported here: only the container suites load the client.
  const { EventStoreDBClient, jsonEvent } = await import('@eventstore/db-client');
  const client = EventStoreDBClient.connectionString(connectionString);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        await client.appendToStream(`warmup-${randomUUID()}`, jsonEvent({ type: 'Warmup', data: {} }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(250);
      }
    }
  } finally {
    await client.dispose();
  }
}

export async function startMongoReplicaSet(): Promise<StartedMongo> {
  const container = await new GenericContainer(MONGO_IMAGE)
    .withCommand(['--replSet', 'rs0', '--bind_ip_all'])
    .withExposedPorts(27017)
    .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
    .withStartupTimeout(180_000)
    .start();
  // The member's address as the server sees itself; clients connect directly (directConnection=true), so the
  // address need not resolve from the host.
  const init = await container.exec([
    'mongosh',
    '--quiet',
    '--eval',
    "try { rs.status().ok } catch (e) { rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'localhost:27017' }] }).ok }",
  ]);
  if (init.exitCode !== 0) throw new Error(`rs.initiate failed: ${init.output}`);
  const primary = await container.exec([
    'mongosh',
    '--quiet',
    '--eval',
    'for (let i = 0; i < 600 && !db.hello().isWritablePrimary; i++) sleep(100); db.hello().isWritablePrimary',
  ]);
  if (!primary.output.includes('true')) throw new Error(`no primary: ${primary.output}`);
  const host = container.getHost();
  const port = container.getMappedPort(27017);
  return {
    container,
    uri: (database = `rc_${randomUUID().replace(/-/g, '').slice(0, 12)}`) =>
      `mongodb://${host}:${port}/${database}?directConnection=true`,
    stop: async () => void (await container.stop()),
  };
}
