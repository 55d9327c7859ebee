// One mongoose connection per MONGODB_URI and process, shared by the MongoDB adapters (read store, idempotency
// keys, cluster leases): each adapter acquires it and releases it on close; the last release closes it. The
// adapters use the driver's native collections through it (mongoose.mongo), not mongoose models: read models
// are schemaless documents, and the transactions and conditional updates they need are the driver's.
//
// Connecting fails fast: server selection and the connect attempt are bounded (default 5 s) and the failure is
// one StoreUnavailableError line naming MONGODB_URI (credentials redacted), instead of the driver's default
// 30 s wait or @nestjs/mongoose's nine retries with stack traces.
import mongoose, { Connection, mongo } from 'mongoose';
import {
  firstLine,
  redactConnectionString,
  StoreUnavailableError,
  withTimeout,
} from '../../cluster/store-availability';

export interface MongoConnectOptions {
  /** Server selection and connect timeout. Default 5000 ms. */
  timeoutMs?: number;
}

export interface MongoHandle {
  readonly connection: Connection;
  /** The connected database (the one named in the URI); rejects with StoreUnavailableError. */
  db(): Promise<mongo.Db>;
  /** Redacted URI, for messages. */
  readonly target: string;
  release(): Promise<void>;
}

interface Shared {
  connection: Connection;
  ready: Promise<mongo.Db>;
  refs: number;
  failed: boolean;
}

const shared = new Map<string, Shared>();

export const DEFAULT_MONGO_TIMEOUT_MS = 5000;

function open(uri: string, target: string, timeoutMs: number): Shared {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    appName: 'resolution-center',
    // No mongoose models, so nothing to auto-create; without buffering a call made while disconnected fails
    // instead of hanging.
    autoIndex: false,
    autoCreate: false,
    bufferCommands: false,
  });
  const entry: Shared = {
    connection,
    ready: Promise.resolve(null as unknown as mongo.Db),
    refs: 0,
    failed: false,
  };
  entry.ready = withTimeout(
    connection.asPromise(),
    timeoutMs + 1000,
    () => new Error(`no answer within ${timeoutMs} ms`),
  )
    .then((c) => {
      if (!c.db) throw new Error('connected without a database');
      return c.db;
    })
    .catch(async (error: unknown) => {
      // The next db() call opens a new connection (the driver only retries connections that once succeeded).
      entry.failed = true;
      if (shared.get(uri) === entry) shared.delete(uri);
      await connection.close(true).catch(() => undefined);
      throw new StoreUnavailableError(
        'mongodb',
        `MongoDB unreachable at ${target} (MONGODB_URI): ${firstLine(error)}`,
        {
          cause: error,
        },
      );
    });
  // Observed by whoever calls db(); this only keeps an unobserved failure from being "unhandled".
  entry.ready.catch(() => undefined);
  shared.set(uri, entry);
  return entry;
}

/** Opens (or joins) the process's connection to `uri`. Connecting starts now; `db()` waits for it. */
export function acquireMongo(uri: string, options: MongoConnectOptions = {}): MongoHandle {
  const target = redactConnectionString(uri);
  const timeoutMs = options.timeoutMs ?? DEFAULT_MONGO_TIMEOUT_MS;
  const join = (): Shared => {
    const entry = shared.get(uri) ?? open(uri, target, timeoutMs);
    entry.refs++;
    return entry;
  };
  let current = join();
  let released = false;
  return {
    get connection() {
      return current.connection;
    },
    target,
    db: () => {
      if (current.failed && !released) {
        current.refs--;
        current = join();
      }
      return current.ready;
    },
    release: async () => {
      if (released) return;
      released = true;
      current.refs--;
      if (current.refs > 0 || current.failed) return;
      if (shared.get(uri) === current) shared.delete(uri);
      await current.connection.close().catch(() => undefined);
    },
  };
}

/** Wraps a connection someone else owns (e.g. injected with @InjectConnection()): release() leaves it open. */
export function borrowMongo(connection: Connection, options: MongoConnectOptions = {}): MongoHandle {
  const timeoutMs = options.timeoutMs ?? DEFAULT_MONGO_TIMEOUT_MS;
  const target = connection.host ? `${connection.host}:${connection.port}/${connection.name}` : 'MongoDB';
  const ready = withTimeout(
    connection.asPromise(),
    timeoutMs,
    () => new Error(`no answer within ${timeoutMs} ms`),
  )
    .then((c) => {
      if (!c.db) throw new Error('connected without a database');
      return c.db;
    })
    .catch((error: unknown) => {
      throw new StoreUnavailableError('mongodb', `MongoDB unreachable at ${target}: ${firstLine(error)}`, {
        cause: error,
      });
    });
  ready.catch(() => undefined);
  return { connection, target, db: () => ready, release: async () => undefined };
}

/** A handle from either a URI (shared, owned) or a connection (borrowed). */
export function mongoHandle(source: string | Connection, options: MongoConnectOptions = {}): MongoHandle {
  return typeof source === 'string' ? acquireMongo(source, options) : borrowMongo(source, options);
}

/** `{ ping: 1 }` within `timeoutMs`: the health check of every MongoDB adapter. */
export async function pingMongo(handle: MongoHandle, timeoutMs: number): Promise<Record<string, unknown>> {
  const db = await handle.db();
  await withTimeout(db.command({ ping: 1 }), timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`));
  return { kind: 'mongodb', target: handle.target, database: db.databaseName };
}

export const isDuplicateKey = (error: unknown): boolean =>
  error instanceof mongo.MongoServerError && error.code === 11000;

export const isNamespaceExists = (error: unknown): boolean =>
  error instanceof mongo.MongoServerError && error.code === 48;

export const isNamespaceNotFound = (error: unknown): boolean =>
  error instanceof mongo.MongoServerError && error.code === 26;
