// The embedded read store: `<dataDir>/read.db`, one table per collection (`c_<name>`: id + document stored as
// SQLite JSONB, which json_extract reads without re-parsing text), the declared index fields as expression
// indexes on json_extract, so filters and sorts on them use the index.
// WAL: the service's queries never wait for a projection's commit (nor for a rebuild running in another process).
// A batch is buffered in memory and committed in one synchronous transaction: nothing else can interleave.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { comparePositions } from '../../event-store/event-store.port';
import { BufferedWriter } from '../../projections/buffered-writer';
import { applyWriteSet, CHECKPOINT_SQL, SqliteWriterThread, type WriteSet } from './sqlite-writer-thread';
import { assertLimit, Clause, parseFilter, parseSort } from '../filter';
import {
  assertCollectionName,
  assertFieldPath,
  CheckpointConflictError,
  CommitOptions,
  DeadLetter,
  DocumentWriter,
  Entry,
  Filter,
  FindOptions,
  ID_FIELD,
  ReadStore,
  Scalar,
} from '../read-store.port';

export interface SqliteReadStoreOptions {
  /** Directory of `read.db` (created if missing). */
  dataDir: string;
  /** File name inside dataDir; default `read.db`. */
  fileName?: string;
  /** How long a write waits for another connection's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * Commit batches on a worker thread with its own connection (the rebuild CLI): the SQLite work of one
   * projection's batch then overlaps with the next projection applying its events. Reads stay on this thread.
   */
  writerThread?: boolean;
  /** Read through a memory map of this many bytes (the rebuild CLI); off by default (it would count in RSS). */
  mmapBytes?: number;
}

export const READ_DB_FILE = 'read.db';
const TABLE_PREFIX = 'c_';
/** doc: JSONB (a BLOB); tables written by an earlier build hold JSON text, which every json_* function reads too. */
const COLUMNS = 'id TEXT PRIMARY KEY, doc BLOB NOT NULL';
/** The page cache of every connection (KiB, negative as the pragma takes it). */
const CACHE_KIB = -65536;
/** What queries want of a connection (an index build changes them for its duration). */
const QUERY_PRAGMAS = [`cache_size = ${CACHE_KIB}`, 'temp_store = MEMORY'];
/**
 * How an index is built over a filled collection (a rebuild's deferred indexes). SQLite's sorter keeps as many
 * pages in memory as the page cache holds, then writes the sorted run out and merges the runs at the end: small
 * runs sort inside the CPU's caches. The runs go to temporary files (SQLITE_TMPDIR, else /var/tmp or /tmp: the
 * operating system's page cache, nothing is synced); the connection's own `temp_store = MEMORY` would copy them
 * through SQLite's in-memory journal instead. Measured over a rebuilt read model (238,096 order pages with 4
 * indexes; 700,149 notifications with 1), three alternations each: 64 MB in memory 5.5-6.1 s (the first
 * setting), 8 MB in memory 4.4-4.9 s, 2 MB in files 2.2-3.6 s, with less CPU too (1.8-2.9 s against
 * 4.2-4.7 s). SQLite's helper threads for the sorter (`PRAGMA threads`) shortened it a little but cost more CPU,
 * which the other job of a parallel rebuild needs: left off.
 */
const INDEX_BUILD_PRAGMAS = ['cache_size = -2048', 'temp_store = FILE'];
/**
 * The page cache of the writer thread (a rebuild's commits). Upserting a rebuild's order pages (238,096 documents,
 * batches in id order, through a memory map): 3.8-4.0 s with 16 MB, 4.0-4.6 s with 64 MB, 5.7-6.2 s with 256 MB.
 */
const WRITER_CACHE_KIB = -16384;
const INDEX_EXISTS_SQL = `SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`;

interface Compiled {
  where: string;
  params: unknown[];
}

const isMissingTable = (e: unknown): boolean =>
  e instanceof Database.SqliteError && /no such table/i.test(e.message);

/** Booleans are stored by JSON as true/false; json_extract reads them as 1/0, so bind 1/0 and check the type. */
const bindable = (v: Scalar): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;
const pathOf = (field: string): string => `'$.${field}'`;
const extract = (field: string): string => `json_extract(doc, ${pathOf(field)})`;
const tableOf = (collection: string): string => {
  assertCollectionName(collection);
  return quote(TABLE_PREFIX + collection);
};

function equality(field: string, value: Scalar, params: unknown[]): string {
  if (value === null) return `${extract(field)} IS NULL`;
  params.push(bindable(value));
  if (typeof value === 'boolean')
    return `(${extract(field)} = ? AND json_type(doc, ${pathOf(field)}) = '${value}')`;
  return `${extract(field)} = ?`;
}

function compileClause(clause: Clause, params: unknown[]): string {
  const { path, op, value } = clause;
  switch (op) {
    case '$eq':
      return equality(path, value as Scalar, params);
    case '$ne':
      return `NOT COALESCE(${equality(path, value as Scalar, params)}, 0)`;
    case '$in': {
      const values = value as Scalar[];
      if (values.length === 0) return '0';
      // Strings and numbers as one IN list (the index serves it); null and booleans need their own terms.
      const plain = values.filter((v) => typeof v === 'string' || typeof v === 'number');
      const terms: string[] = [];
      if (plain.length) {
        terms.push(`${extract(path)} IN (${plain.map(() => '?').join(', ')})`);
        params.push(...plain);
      }
      for (const v of values) if (v === null || typeof v === 'boolean') terms.push(equality(path, v, params));
      return terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`;
    }
    default: {
      const sql = { $lt: '<', $lte: '<=', $gt: '>', $gte: '>=' }[op];
      params.push(value);
      // MongoDB's type bracketing: numbers compare with numbers, strings with strings (SQLite would order them).
      const types = typeof value === 'number' ? `IN ('integer', 'real')` : `= 'text'`;
      return `(${extract(path)} ${sql} ? AND json_type(doc, ${pathOf(path)}) ${types})`;
    }
  }
}

function compileFilter(filter: Filter): Compiled {
  const params: unknown[] = [];
  const clauses = parseFilter(filter).map((c) => compileClause(c, params));
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

function compileOrder(options: FindOptions | undefined): string {
  const sort = parseSort(options);
  const terms = sort.map(([f, d]) => `${f === ID_FIELD ? 'id' : extract(f)} ${d === 1 ? 'ASC' : 'DESC'}`);
  if (!sort.some(([f]) => f === ID_FIELD)) terms.push('id ASC');
  return `ORDER BY ${terms.join(', ')}`;
}

export class SqliteReadStore implements ReadStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private writer: SqliteWriterThread | null = null;
  private closed = false;

  constructor(options: SqliteReadStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.file = join(options.dataDir, options.fileName ?? READ_DB_FILE);
    this.db = new Database(this.file);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Documents are ~0.2-2 KB: 16 KB pages halve the B-tree work per write (a no-op on an existing file).
    this.db.pragma('page_size = 16384');
    this.db.pragma('journal_mode = WAL');
    /** Every connection's: this one's, and the writer thread's. */
    const shared = [
      // A read model can always be rebuilt from the event store: fsync at checkpoints only (never corrupts).
      'synchronous = NORMAL',
      'journal_size_limit = 67108864',
      ...(options.mmapBytes ? [`mmap_size = ${Math.floor(options.mmapBytes)}`] : []),
    ];
    for (const p of [...shared, ...QUERY_PRAGMAS]) this.db.pragma(p);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS _checkpoints (
        key        TEXT PRIMARY KEY,
        position   TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS _dead_letters (
        id             TEXT PRIMARY KEY,
        checkpoint_key TEXT NOT NULL,
        parked_at      TEXT NOT NULL,
        position       TEXT NOT NULL,
        body           TEXT NOT NULL -- JSON DeadLetter
      );
      CREATE INDEX IF NOT EXISTS _dead_letters_by_key ON _dead_letters (checkpoint_key, parked_at);
    `);
    if (options.writerThread)
      this.writer = new SqliteWriterThread({
        file: this.file,
        busyTimeoutMs,
        // It only writes (reads go through the memory map): a smaller cache costs less to manage.
        pragmas: [...shared, `cache_size = ${WRITER_CACHE_KIB}`, 'temp_store = MEMORY'],
      });
  }

  // ---- reads ----

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    this.assertOpen();
    const json = this.run(`SELECT json(doc) FROM ${tableOf(collection)} WHERE id = ?`, (s) =>
      s.pluck().get(id),
    ) as string | undefined;
    return json === undefined ? null : (JSON.parse(json) as T);
  }

  async find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return (await this.findEntries<T>(collection, filter, options)).map((e) => e.doc);
  }

  async findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]> {
    this.assertOpen();
    const table = tableOf(collection);
    const { where, params } = compileFilter(filter);
    assertLimit(options?.limit);
    const limit = options?.limit === undefined ? '' : ' LIMIT ?';
    if (options?.limit !== undefined) params.push(options.limit);
    const sql = `SELECT id, json(doc) AS doc FROM ${table} ${where} ${compileOrder(options)}${limit}`;
    const rows = this.run(sql, (s) => s.all(...params)) as { id: string; doc: string }[] | undefined;
    return (rows ?? []).map((r) => ({ id: r.id, doc: JSON.parse(r.doc) as T }));
  }

  async count(collection: string, filter: Filter): Promise<number> {
    this.assertOpen();
    const { where, params } = compileFilter(filter);
    const n = this.run(`SELECT COUNT(*) FROM ${tableOf(collection)} ${where}`, (s) =>
      s.pluck().get(...params),
    );
    return (n as number | undefined) ?? 0;
  }

  // ---- collections ----

  async ensureCollection(collection: string, indexes: string[][]): Promise<void> {
    this.assertOpen();
    const table = tableOf(collection);
    const statements = [`CREATE TABLE IF NOT EXISTS ${table} (${COLUMNS})`];
    let building = false;
    for (const fields of indexes) {
      if (fields.length === 0) continue;
      fields.forEach(assertFieldPath);
      const hash = createHash('sha1').update(fields.join(',')).digest('hex').slice(0, 10);
      const name = `ix_${TABLE_PREFIX}${collection}_${hash}`;
      if (this.statement(INDEX_EXISTS_SQL).pluck().get(name) === undefined) building = true;
      statements.push(
        `CREATE INDEX IF NOT EXISTS ${quote(name)} ON ${table} (${fields.map(extract).join(', ')})`,
      );
    }
    // Only while an index is built (INDEX_BUILD_PRAGMAS): reads want the big cache and in-memory temp tables.
    if (building) for (const p of INDEX_BUILD_PRAGMAS) this.db.pragma(p);
    try {
      this.db.transaction(() => statements.forEach((s) => this.db.exec(s))).immediate();
    } finally {
      if (building) for (const p of QUERY_PRAGMAS) this.db.pragma(p);
    }
  }

  async dropCollection(collection: string): Promise<void> {
    this.assertOpen();
    const table = tableOf(collection);
    // Statements on the dropped table would fail from now on: forget them all (drops are rare).
    this.statements.clear();
    this.db.exec(`DROP TABLE IF EXISTS ${table}`);
  }

  async listCollections(): Promise<string[]> {
    this.assertOpen();
    const names = this.db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 2) = ?`)
      .pluck()
      .all(TABLE_PREFIX) as string[];
    return names.map((n) => n.slice(TABLE_PREFIX.length)).sort();
  }

  // ---- checkpoints, batches ----

  async getCheckpoint(checkpointKey: string): Promise<string | null> {
    this.assertOpen();
    return this.readCheckpoint(checkpointKey);
  }

  async listCheckpoints(): Promise<Record<string, string>> {
    this.assertOpen();
    const rows = this.statement('SELECT key, position FROM _checkpoints ORDER BY key').all() as {
      key: string;
      position: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.position]));
  }

  async deleteCheckpoint(checkpointKey: string): Promise<void> {
    this.assertOpen();
    this.statement('DELETE FROM _checkpoints WHERE key = ?').run(checkpointKey);
  }

  async commitBatch<T>(
    checkpointKey: string,
    expected: string | null,
    next: string,
    fn: (writer: DocumentWriter) => Promise<T>,
    options: CommitOptions = {},
  ): Promise<T> {
    this.assertOpen();
    if (comparePositions(next, expected) < 0) throw new Error(`Checkpoint ${checkpointKey} cannot move back`);
    this.checkCheckpoint(checkpointKey, expected); // fail fast, before doing the batch's work
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    const set = this.writeSet(writer);
    set.checkpoint = { key: checkpointKey, expected, next, updatedAt: new Date().toISOString() };
    set.deadLetters = (options.deadLetters ?? []).map((d) => [
      d.id,
      d.checkpointKey,
      d.parkedAt,
      d.position,
      JSON.stringify(d),
    ]);
    // Under the write lock (IMMEDIATE): no other connection can move the checkpoint before the commit.
    const conflict = await this.commit(set);
    if (conflict) throw new CheckpointConflictError(conflict.key, conflict.expected, conflict.actual);
    return result;
  }

  async write<T>(fn: (writer: DocumentWriter) => Promise<T>): Promise<T> {
    this.assertOpen();
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    await this.commit(this.writeSet(writer));
    return result;
  }

  // ---- dead letters ----

  async listDeadLetters(checkpointKey?: string): Promise<DeadLetter[]> {
    this.assertOpen();
    const rows = (
      checkpointKey === undefined
        ? this.statement('SELECT body FROM _dead_letters ORDER BY parked_at, CAST(position AS INTEGER)')
            .pluck()
            .all()
        : this.statement(
            'SELECT body FROM _dead_letters WHERE checkpoint_key = ? ORDER BY parked_at, CAST(position AS INTEGER)',
          )
            .pluck()
            .all(checkpointKey)
    ) as string[];
    return rows.map((r) => JSON.parse(r) as DeadLetter);
  }

  async deleteDeadLetters(checkpointKey?: string): Promise<number> {
    this.assertOpen();
    const info =
      checkpointKey === undefined
        ? this.statement('DELETE FROM _dead_letters').run()
        : this.statement('DELETE FROM _dead_letters WHERE checkpoint_key = ?').run(checkpointKey);
    return info.changes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer?.close();
    this.statements.clear();
    this.db.close();
  }

  // ---- internals ----

  private readCheckpoint(checkpointKey: string): string | null {
    const position = this.statement(CHECKPOINT_SQL.read).pluck().get(checkpointKey) as string | undefined;
    return position ?? null;
  }

  private checkCheckpoint(checkpointKey: string, expected: string | null): void {
    const actual = this.readCheckpoint(checkpointKey);
    if (actual !== expected) throw new CheckpointConflictError(checkpointKey, expected, actual);
  }

  /**
   * A batch's changes as statements and rows. For the writer thread the documents travel as one UTF-8 buffer
   * (moved, not copied); on this thread as strings.
   */
  private writeSet(writer: BufferedWriter): WriteSet {
    const statements = (collection: string) => {
      const table = tableOf(collection);
      return {
        create: `CREATE TABLE IF NOT EXISTS ${table} (${COLUMNS})`,
        // CAST: a document may be bound as a BLOB of UTF-8 JSON text (the writer thread's buffer).
        upsert: `INSERT INTO ${table} (id, doc) VALUES (?, jsonb(CAST(? AS TEXT))) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
        remove: `DELETE FROM ${table} WHERE id = ?`,
      };
    };
    if (this.writer) {
      const { bytes, collections } = writer.encodedChanges(this.writer.takeScratch());
      const tables = collections.map(({ collection, ids, start, ends }) => ({
        ...statements(collection),
        ids,
        encoded: { start, ends },
      }));
      return { checkpoint: null, tables, deadLetters: [], bytes };
    }
    const tables = writer
      .changes()
      .map(({ collection, ids, docs }) => ({ ...statements(collection), ids, docs }));
    return { checkpoint: null, tables, deadLetters: [] };
  }

  private async commit(set: WriteSet) {
    if (this.writer) return this.writer.commit(set);
    const conflict = this.db
      .transaction(() => applyWriteSet(this.db, (sql) => this.statement(sql), set))
      .immediate();
    return conflict?.conflict ?? null;
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs a read on a collection's table; a table that does not exist reads as empty. */
  private run<R>(sql: string, exec: (statement: Database.Statement) => R): R | undefined {
    try {
      return exec(this.statement(sql));
    } catch (e) {
      if (isMissingTable(e)) {
        this.statements.delete(sql);
        return undefined;
      }
      throw e;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The read store is closed');
  }
}
