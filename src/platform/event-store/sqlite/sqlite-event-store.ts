// The embedded event store: one SQLite file `<dataDir>/events.db`, one table whose INTEGER PRIMARY KEY is the
// global position. Several processes may share the file (api + worker): writes serialize on SQLite's write
// lock (BEGIN IMMEDIATE + busy_timeout), subscriptions see other processes' appends by polling.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  StoredEvent,
  SubscribeOptions,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { CatchUpSubscription, LiveNotifier } from '../catch-up-subscription';
import {
  assertAppendable,
  assertMaxCount,
  DuplicateEventIdError,
  positionToNumber,
  revisionMatches,
} from '../store-support';
import { defaultUpcasters, UpcasterRegistry } from '../upcasting';
import { WalCheckpointer } from './wal-checkpointer';

export interface SqliteEventStoreOptions {
  /** Directory of the database file `events.db` (created if missing). */
  dataDir: string;
  /** Source of recordedAt; wall-clock time by default (tests and the manual clock inject their own). */
  now?: () => Date;
  /** How often a caught-up subscription looks for appends made by other processes. Default 50 ms. */
  pollIntervalMs?: number;
  /** How long a write waits for another connection's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Events per read while a subscription catches up. Default 500. */
  pageSize?: number;
  /** Defaults to the process-wide registry. */
  upcasters?: UpcasterRegistry;
  /**
   * 'background' (default): WAL checkpoints run in a worker thread (see wal-checkpointer.ts), started once
   * this store has appended `CHECKPOINTER_START_AFTER` events. 'inline': SQLite's automatic checkpoint.
   */
  checkpoint?: 'background' | 'inline';
  /** Background checkpoint period. Default 100 ms. */
  checkpointIntervalMs?: number;
  /** WAL size (pages) past which the writer rewinds the WAL. Default 16384 (~64 MB). */
  walRestartFrames?: number;
  /**
   * Read through a memory map of this many bytes (0: off, the default). A rebuild reads the whole file: no
   * read() per page, no copy into the page cache. Off for the service: mapped pages would count in its RSS.
   */
  mmapBytes?: number;
  /** Page cache, MB (default 32). */
  cacheMb?: number;
}

export const EVENTS_DB_FILE = 'events.db';
const SCHEMA_VERSION = 1;
/** Below this a WAL stays small enough without checkpoints; short-lived stores (tests) never start a thread. */
export const CHECKPOINTER_START_AFTER = 256;
/** SQLite's default automatic checkpoint threshold (pages), used in 'inline' mode and as the fallback. */
const INLINE_CHECKPOINT_PAGES = 1000;

// Rows come back as arrays (raw mode): cheaper than objects on the read path.
type EventRow = [
  position: number,
  stream: string,
  revision: number,
  id: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
];
const COLUMNS = 'position, stream, revision, id, type, data, metadata, recorded_at';

interface SerializedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

interface PendingAppend {
  streamName: string;
  /** Serialized before queueing: a value JSON cannot hold fails its own append, not the whole batch. */
  events: SerializedEvent[];
  expected: ExpectedRevision;
  recordedAt: string;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

export class SqliteEventStore implements EventStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly upcasters: UpcasterRegistry;
  private readonly notifier = new LiveNotifier();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closed = false;
  private readonly checkpointIntervalMs: number;
  private readonly walRestartFrames: number;
  /** Counts appended events until the background checkpointer starts; -1 once started or not wanted. */
  private eventsBeforeCheckpointer: number;
  private checkpointer: WalCheckpointer | null = null;

  // Prepared once: append + readStream is the command path's hot loop.
  private readonly lastRevisionStmt: Database.Statement<[string], number>;
  private readonly insertStmt: Database.Statement<[string, number, string, string, string, string, string]>;
  private readonly readStreamStmt: Database.Statement<[string], EventRow>;
  /** Feed reads, one statement per combination of options (prefix, no metadata, event types), prepared when first used. */
  private readonly feedStmts = new Map<string, Database.Statement<unknown[], EventRow>>();
  private readonly headStmt: Database.Statement<[], number | null>;
  /** One append in its own IMMEDIATE transaction. */
  private readonly appendOneTx: (pending: PendingAppend) => AppendResult;
  /** Several appends in one IMMEDIATE transaction; a conflicting one is refused alone. */
  private readonly appendBatchTx: (batch: PendingAppend[]) => (AppendResult | WrongExpectedRevisionError)[];
  /** Appends waiting for the next group commit (see append). */
  private pending: PendingAppend[] = [];

  constructor(options: SqliteEventStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.file = join(options.dataDir, EVENTS_DB_FILE);
    this.now = options.now ?? (() => new Date());
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.pageSize = options.pageSize ?? 500;
    this.upcasters = options.upcasters ?? defaultUpcasters;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 100;
    this.walRestartFrames = options.walRestartFrames ?? 16384;
    const background = (options.checkpoint ?? 'background') === 'background';
    this.eventsBeforeCheckpointer = background ? CHECKPOINTER_START_AFTER : -1;

    this.db = new Database(this.file);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // WAL: readers (queries, subscriptions, other processes) never block the writer, nor it them.
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode fsyncs at checkpoints, not at every commit: the database can never be corrupted, but
    // the last commits before a power loss or OS crash (not a process crash) may be lost. An fsync per append
    // would cap commands at the disk's fsync rate and dominate p99 latency; that trade is the one made here.
    this.db.pragma('synchronous = NORMAL');
    // Keep the WAL file from staying large after a burst.
    this.db.pragma('journal_size_limit = 67108864');
    // Up to 32 MB of pages (SQLite's default 2 MB): stream reads hit random pages; filled only as the data grows.
    this.db.pragma(`cache_size = ${-Math.round((options.cacheMb ?? 32) * 1024)}`);
    if (options.mmapBytes) this.db.pragma(`mmap_size = ${Math.floor(options.mmapBytes)}`);
    this.db.pragma(`wal_autocheckpoint = ${background ? 0 : INLINE_CHECKPOINT_PAGES}`);
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
    this.headStmt = this.db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck();

    // IMMEDIATE takes the write lock before the revision is read, so no other connection (or process) can
    // slip an append between the check and the insert.
    this.appendOneTx = this.db.transaction((pending: PendingAppend) => this.write(pending)).immediate;
    this.appendBatchTx = this.db.transaction((batch: PendingAppend[]) =>
      batch.map((pending) => {
        try {
          return this.write(pending);
        } catch (error) {
          // Refused before it wrote anything: the others in the batch go on.
          if (error instanceof WrongExpectedRevisionError) return error;
          throw error;
        }
      }),
    ).immediate;
  }

  /**
   * Group commit: appends made in the same turn of the event loop (typically the commands of every request
   * that arrived together) are written in one transaction at the end of that turn. A commit costs the same
   * whether it holds one append or twenty, so under load this multiplies write throughput; each append still
   * gets its own revision check and its own outcome, in call order.
   */
  append(streamName: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    let serialized: SerializedEvent[];
    let recordedAt: string;
    try {
      this.assertOpen();
      assertAppendable(streamName, events);
      serialized = events.map((event) => ({
        id: event.id,
        type: event.type,
        data: JSON.stringify(event.data),
        metadata: JSON.stringify(event.metadata),
      }));
      recordedAt = this.now().toISOString();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const pending: PendingAppend = {
        streamName,
        events: serialized,
        expected,
        recordedAt,
        resolve,
        reject,
      };
      if (this.pending.push(pending) === 1) setImmediate(this.flushPending);
    });
  }

  private readonly flushPending = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let eventCount = 0;
    if (batch.length === 1) {
      eventCount = this.settleAlone(batch[0]);
    } else {
      let outcomes: (AppendResult | WrongExpectedRevisionError)[] | null = null;
      try {
        outcomes = this.appendBatchTx(batch);
      } catch (error) {
        // The batch was rolled back. A constraint (a duplicate event id) is one append's fault: redo each alone
        // so only that one fails. Anything else (SQLITE_BUSY after busy_timeout, I/O) fails them all at once
        // rather than waiting for the lock once per append.
        if (isConstraintError(error)) {
          for (const pending of batch) eventCount += this.settleAlone(pending);
        } else {
          for (const pending of batch) pending.reject(error);
        }
      }
      if (outcomes) {
        for (let i = 0; i < batch.length; i++) {
          const outcome = outcomes[i];
          if (outcome instanceof WrongExpectedRevisionError) batch[i].reject(outcome);
          else {
            eventCount += batch[i].events.length;
            batch[i].resolve(outcome);
          }
        }
      }
    }
    if (eventCount > 0) this.afterCommit(eventCount);
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
    const actual = last === undefined ? 'no_stream' : last;
    if (!revisionMatches(expected, actual)) {
      throw new WrongExpectedRevisionError(streamName, expected, actual);
    }
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

  private afterCommit(eventCount: number): void {
    if (this.checkpointer?.takeRestartRequest()) this.checkpointTail();
    else if (this.eventsBeforeCheckpointer >= 0) {
      this.eventsBeforeCheckpointer -= eventCount;
      if (this.eventsBeforeCheckpointer < 0) this.startCheckpointer();
    }
    this.notifier.notify();
  }

  async readStream(streamName: string): Promise<StoredEvent[]> {
    this.assertOpen();
    const rows = this.readStreamStmt.all(streamName);
    const events = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = this.upcasters.upcast(toStoredEvent(rows[i]));
    return events;
  }

  async readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    this.assertOpen();
    return this.readFeed(options);
  }

  subscribeToAll(
    options: SubscribeOptions,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription {
    this.assertOpen();
    positionToNumber(options.after); // refuse a malformed position now, not inside the loop
    const subscription = new CatchUpSubscription(
      (after, maxCount, streamPrefix) => this.readFeed({ after, maxCount, streamPrefix }),
      this.notifier,
      { ...options, pageSize: this.pageSize, pollIntervalMs: this.pollIntervalMs },
      handler,
      onError,
    );
    this.subscriptions.add(subscription);
    return {
      stop: async () => {
        await subscription.stop();
        this.subscriptions.delete(subscription);
      },
    };
  }

  async headPosition(): Promise<string | null> {
    this.assertOpen();
    const head = this.headStmt.get();
    return head === null || head === undefined ? null : String(head);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flushPending(); // appends accepted before close() still get their outcome
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.subscriptions.clear();
    await this.checkpointer?.close();
    this.checkpointer = null;
    this.db.close();
  }

  private startCheckpointer(): void {
    this.eventsBeforeCheckpointer = -1;
    try {
      this.checkpointer = new WalCheckpointer({
        file: this.file,
        intervalMs: this.checkpointIntervalMs,
        restartFrames: this.walRestartFrames,
        onFailure: (error) => this.checkpointInline(error),
      });
    } catch (error) {
      this.checkpointInline(error);
    }
  }

  /** The rest of a checkpoint the worker mostly did, on this connection, so the next append rewinds the WAL. */
  private checkpointTail(): void {
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy (another checkpoint runs): the worker asks again after its next pass.
    }
  }

  private checkpointInline(error: unknown): void {
    this.checkpointer = null;
    console.warn('Background WAL checkpointer failed; checkpointing inline from now on', error);
    if (!this.closed) this.db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
  }

  /** A page of the feed, one prepared statement per shape (with or without a stream prefix). */
  private readFeed(options: ReadAllOptions): StoredEvent[] {
    assertMaxCount(options.maxCount);
    const prefix = options.streamPrefix;
    const params: unknown[] = [positionToNumber(options.after)];
    if (prefix) params.push(prefix, prefix);
    params.push(options.maxCount);
    const rows = this.feedStatement(Boolean(prefix)).all(...params);
    const events = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = this.upcasters.upcast(toStoredEvent(rows[i]));
    return events;
  }

  private feedStatement(prefix: boolean): Database.Statement<unknown[], EventRow> {
    const key = String(prefix);
    let statement = this.feedStmts.get(key);
    if (!statement) {
      const where = ['position > ?', ...(prefix ? ['substr(stream, 1, length(?)) = ?'] : [])];
      statement = this.db
        .prepare<unknown[], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`,
        )
        .raw();
      this.feedStmts.set(key, statement);
    }
    return statement;
  }

  /** Never lets a raw SQLite constraint error out: a lost race is a WrongExpectedRevisionError like any other. */
  private translateAppendError(error: unknown, { streamName, events, expected }: PendingAppend): unknown {
    if (!isConstraintError(error)) return error;
    if (error.message.includes('events.id')) {
      const stored = this.db
        .prepare<string[], string>(`SELECT id FROM events WHERE id IN (${events.map(() => '?').join(',')})`)
        .pluck()
        .all(...events.map((event) => event.id));
      // Not stored yet: the same id twice within this append.
      return new DuplicateEventIdError(stored[0] ?? findRepeatedId(events));
    }
    if (error.message.includes('events.stream')) {
      const last = this.lastRevisionStmt.get(streamName);
      return new WrongExpectedRevisionError(streamName, expected, last === undefined ? 'no_stream' : last);
    }
    return error;
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`${this.file} has schema version ${version}; this build knows up to ${SCHEMA_VERSION}`);
    }
    if (version === SCHEMA_VERSION) return;
    // IMMEDIATE so two processes starting on a new file do not both create it.
    this.db
      .transaction(() => {
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
        `);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The event store is closed');
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row[3],
    streamName: row[1],
    revision: row[2],
    position: String(row[0]),
    type: row[4],
    data: JSON.parse(row[5]) as Record<string, unknown>,
    metadata: JSON.parse(row[6]) as StoredEvent['metadata'],
    recordedAt: row[7],
  };
}

// By code, not `instanceof Database.SqliteError`: the native addon keeps the error class of the first module
// instance that loaded it, so under Jest (a fresh module registry per test file) instanceof fails.
function isConstraintError(error: unknown): error is { code: string; message: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT') && typeof message === 'string';
}

function findRepeatedId(events: SerializedEvent[]): string {
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) return event.id;
    seen.add(event.id);
  }
  return events[0].id;
}
