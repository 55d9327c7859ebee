// The embedded event store: one SQLite file `<dataDir>/events.db`, one table whose INTEGER PRIMARY KEY is the
// global position. Several processes may share the file (api + worker): writes serialize on SQLite's write
// lock (BEGIN IMMEDIATE + busy_timeout), subscriptions see other processes' appends by polling.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { EmbeddedEventStore, EmbeddedStoreOptions, EventRow } from '../embedded-event-store';
import { assertAppendable, DuplicateEventIdError } from '../store-support';
import { WalCheckpointer } from './wal-checkpointer';

export interface SqliteEventStoreOptions extends EmbeddedStoreOptions {
  /** Directory of the database file `events.db` (created if missing). */
  dataDir: string;
  /** How often a caught-up subscription looks for other processes' appends. Default 50 ms. */
  pollIntervalMs?: number;
  /** How long a write waits for another connection's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Background WAL checkpoints (wal-checkpointer.ts): every 100 ms; the WAL rewound past 16384 pages. */
  checkpointIntervalMs?: number;
  walRestartFrames?: number;
  /** Page cache, MB (default 32). */
  cacheMb?: number;
}

export const EVENTS_DB_FILE = 'events.db';
const SCHEMA_VERSION = 1;
const COLUMNS = 'position, stream, revision, id, type, data, metadata, recorded_at';

interface PendingAppend {
  streamName: string;
  /** Serialized before queueing: a value JSON cannot hold fails its own append, not the whole batch. */
  events: { id: string; type: string; data: string; metadata: string }[];
  expected: ExpectedRevision;
  recordedAt: string;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

export class SqliteEventStore extends EmbeddedEventStore implements EventStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly checkpointer: WalCheckpointer;
  // Prepared once: append + readStream is the command path's hot loop, the feed the projections'.
  private readonly lastRevisionStmt: Database.Statement<[string], number>;
  private readonly insertStmt: Database.Statement<[string, number, string, string, string, string, string]>;
  private readonly readStreamStmt: Database.Statement<[string], EventRow>;
  private readonly feedStmt: Database.Statement<[number, number], EventRow>;
  private readonly feedByPrefixStmt: Database.Statement<[number, string, string, number], EventRow>;
  private readonly headStmt: Database.Statement<[], number | null>;
  private readonly appendOneTx: (pending: PendingAppend) => AppendResult;
  /** A conflicting append is refused alone; the others in the transaction go on. */
  private readonly appendBatchTx: (batch: PendingAppend[]) => (AppendResult | WrongExpectedRevisionError)[];
  /** Appends waiting for the next group commit (see append). */
  private pending: PendingAppend[] = [];

  constructor(options: SqliteEventStoreOptions) {
    super(options, options.pollIntervalMs ?? 50);
    mkdirSync(options.dataDir, { recursive: true });
    this.file = join(options.dataDir, EVENTS_DB_FILE);
    this.db = new Database(this.file);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // WAL: readers (queries, subscriptions, other processes) never block the writer, nor it them.
    this.db.pragma('journal_mode = WAL');
    // Fsyncs at checkpoints only: never corrupt, but a power loss or OS crash (not a process crash) may lose the
    // last commits; an fsync per commit would cap commands at the disk's fsync rate.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('journal_size_limit = 67108864'); // the WAL file does not stay large after a burst
    // Stream reads hit random pages: a bigger cache than SQLite's 2 MB, filled only as the data grows.
    this.db.pragma(`cache_size = ${-Math.round((options.cacheMb ?? 32) * 1024)}`);
    this.checkpointer = new WalCheckpointer(this.db, options.checkpointIntervalMs, options.walRestartFrames);
    this.migrate();

    this.lastRevisionStmt = this.db
      .prepare<[string], number>(
        'SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      )
      .pluck();
    this.insertStmt = this.db.prepare(
      'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.readStreamStmt = this.db
      .prepare<[string], EventRow>(`SELECT ${COLUMNS} FROM events WHERE stream = ? ORDER BY revision`)
      .raw();
    this.feedStmt = this.db
      .prepare<[number, number], EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw();
    this.feedByPrefixStmt = this.db
      .prepare<[number, string, string, number], EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE position > ? AND substr(stream, 1, length(?)) = ? ORDER BY position LIMIT ?`,
      )
      .raw();
    this.headStmt = this.db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck();

    // IMMEDIATE takes the write lock before the revision is read, so no other connection (or process) can
    // slip an append between the check and the insert.
    this.appendOneTx = this.db.transaction((pending: PendingAppend) => this.write(pending)).immediate;
    this.appendBatchTx = this.db.transaction((batch: PendingAppend[]) =>
      batch.map((pending) => {
        try {
          return this.write(pending);
        } catch (error) {
          if (error instanceof WrongExpectedRevisionError) return error;
          throw error;
        }
      }),
    ).immediate;
  }

  // Group commit: the appends of one event-loop turn share a transaction at its end (a commit costs the same for
  // one append or twenty), each with its own revision check and outcome, in call order.
  append(streamName: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    // A throw in here (closed, no events, data JSON cannot hold) rejects this append alone.
    return new Promise((resolve, reject) => {
      this.assertOpen();
      assertAppendable(streamName, events);
      const serialized = events.map((event) => ({
        id: event.id,
        type: event.type,
        data: JSON.stringify(event.data),
        metadata: JSON.stringify(event.metadata),
      }));
      const recordedAt = this.now().toISOString();
      const pending = { streamName, events: serialized, expected, recordedAt, resolve, reject };
      if (this.pending.push(pending) === 1) setImmediate(this.flushPending);
    });
  }

  private readonly flushPending = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let written = 0;
    try {
      const outcomes = this.appendBatchTx(batch);
      for (let i = 0; i < batch.length; i++) {
        const outcome = outcomes[i];
        if (outcome instanceof WrongExpectedRevisionError) batch[i].reject(outcome);
        else {
          written += batch[i].events.length;
          batch[i].resolve(outcome);
        }
      }
    } catch (error) {
      // Rolled back. A constraint (a duplicate event id) is one append's fault: each is redone alone so only that
      // one fails. Anything else (SQLITE_BUSY after busy_timeout, I/O) fails them all rather than once per append.
      if (isConstraintError(error)) for (const pending of batch) written += this.settleAlone(pending);
      else for (const pending of batch) pending.reject(error);
    }
    if (written > 0) {
      this.checkpointer.committed(written);
      this.appended();
    }
  };

  /** Returns how many events it wrote. */
  private settleAlone(pending: PendingAppend): number {
    try {
      pending.resolve(this.appendOneTx(pending));
      return pending.events.length;
    } catch (error) {
      pending.reject(this.translateAppendError(error, pending));
      return 0;
    }
  }

  /** The revision check and the inserts of one append; runs inside an IMMEDIATE transaction. */
  private write({ streamName, events, expected, recordedAt }: PendingAppend): AppendResult {
    const last = this.lastRevisionStmt.get(streamName);
    this.checkRevision(streamName, expected, last);
    let revision = last ?? -1;
    let position: number | bigint = 0;
    for (const event of events) {
      revision++;
      position = this.insertStmt.run(
        streamName,
        revision,
        event.id,
        event.type,
        event.data,
        event.metadata,
        recordedAt,
      ).lastInsertRowid;
    }
    return { nextRevision: revision, position: String(position) };
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.flushPending(); // appends accepted before close() still get their outcome
    await super.close();
    await this.checkpointer.close();
    this.db.close();
  }

  protected streamRows(streamName: string): EventRow[] {
    return this.readStreamStmt.all(streamName);
  }

  protected feedRows(after: number, maxCount: number, streamPrefix: string | undefined): EventRow[] {
    if (!streamPrefix) return this.feedStmt.all(after, maxCount);
    return this.feedByPrefixStmt.all(after, streamPrefix, streamPrefix, maxCount);
  }

  protected lastPosition(): number | null {
    return this.headStmt.get() ?? null;
  }

  /** Never lets a raw SQLite constraint error out: a lost race is a WrongExpectedRevisionError like any other. */
  private translateAppendError(error: unknown, { streamName, events, expected }: PendingAppend): unknown {
    if (!isConstraintError(error)) return error;
    if (error.message.includes('events.id')) {
      const ids = events.map((event) => event.id);
      const stored = this.db
        .prepare<string[], string>(`SELECT id FROM events WHERE id IN (${ids.map(() => '?').join(',')})`)
        .pluck()
        .all(...ids);
      // Not stored yet: the same id twice within this append.
      return new DuplicateEventIdError(stored[0] ?? ids.find((id, i) => ids.indexOf(id) !== i) ?? ids[0]);
    }
    if (error.message.includes('events.stream')) {
      const last = this.lastRevisionStmt.get(streamName);
      return new WrongExpectedRevisionError(streamName, expected, last ?? 'no_stream');
    }
    return error;
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`${this.file} has schema version ${version}; this build knows up to ${SCHEMA_VERSION}`);
    }
    if (version === SCHEMA_VERSION) return;
    // Idempotent: two processes starting on a new file may both run it.
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position    INTEGER PRIMARY KEY AUTOINCREMENT,
        stream      TEXT    NOT NULL,
        revision    INTEGER NOT NULL,
        id          TEXT    NOT NULL UNIQUE,
        type        TEXT    NOT NULL,
        data        TEXT    NOT NULL, -- JSON
        metadata    TEXT    NOT NULL, -- JSON
        recorded_at TEXT    NOT NULL,
        UNIQUE (stream, revision)
      );
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  }
}

// By code, not `instanceof Database.SqliteError`: the native addon keeps the error class of the first module
// instance that loaded it, so under Jest (a fresh module registry per test file) instanceof fails.
function isConstraintError(error: unknown): error is { code: string; message: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT') && typeof message === 'string';
}
