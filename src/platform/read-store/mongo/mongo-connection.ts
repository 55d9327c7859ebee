// One mongoose connection per MONGODB_URI and process, shared (reference-counted) by the MongoDB adapters, which
// use the driver's native collections (read models are schemaless). Connecting fails fast: within 5 s, one
// StoreUnavailableError line naming MONGODB_URI (redacted), not the driver's 30 s wait.
import mongoose, { Connection, mongo } from 'mongoose';
import {
  firstLine,
  redactConnectionString,
  StoreUnavailableError,
  withTimeout,
} from '../../cluster/store-availability';

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

const DEFAULT_MONGO_TIMEOUT_MS = 5000;

/** The connection's database once connected within `waitMs`; else `onFailure` runs and StoreUnavailableError. */
function connected(
  connection: Connection,
  waitMs: number,
  where: string,
  onFailure?: () => Promise<void>,
): Promise<mongo.Db> {
  const ready = withTimeout(connection.asPromise(), waitMs, () => new Error(`no answer within ${waitMs} ms`))
    .then((c) => {
      if (!c.db) throw new Error('connected without a database');
      return c.db;
    })
    .catch(async (error: unknown) => {
      await onFailure?.();
      throw new StoreUnavailableError('mongodb', `MongoDB unreachable at ${where}: ${firstLine(error)}`, {
        cause: error,
      });
    });
  // Observed by whoever calls db(); this only keeps an unobserved failure from being "unhandled".
  ready.catch(() => undefined);
  return ready;
}

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
    refs: 0,
    failed: false,
    // The driver's own timeout answers first (a better message); ours is the backstop.
    ready: connected(connection, timeoutMs + 1000, `${target} (MONGODB_URI)`, async () => {
      // The next db() call opens a new connection (the driver only retries connections that once succeeded).
      entry.failed = true;
      if (shared.get(uri) === entry) shared.delete(uri);
      await connection.close(true).catch(() => undefined);
    }),
  };
  shared.set(uri, entry);
  return entry;
}

/** The process's shared connection to a URI (connecting now), or a connection someone else owns (kept open). */
export function mongoHandle(source: string | Connection, options: { timeoutMs?: number } = {}): MongoHandle {
  const timeoutMs = options.timeoutMs ?? DEFAULT_MONGO_TIMEOUT_MS;
  if (typeof source !== 'string') {
    const target = source.host ? `${source.host}:${source.port}/${source.name}` : 'MongoDB';
    const ready = connected(source, timeoutMs, target);
    return { connection: source, target, db: () => ready, release: async () => undefined };
  }
  const uri = source;
  const target = redactConnectionString(uri);
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

export const isMongoError = (error: unknown, code: number): boolean =>
  error instanceof mongo.MongoServerError && error.code === code;

export const isDuplicateKey = (error: unknown): boolean => isMongoError(error, 11000);
