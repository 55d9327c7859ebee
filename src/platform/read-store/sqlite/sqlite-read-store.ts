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
import { BufferedWriter } from '../buffered-writer';
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
  /** The query connection's page cache, MB (default 64). */
  cacheMb?: number;
}

export const READ_DB_FILE = 'read.db';
const TABLE_PREFIX = 'c_';
/** doc: JSONB (a BLOB); tables written by an earlier build hold JSON text, which every json_* function reads too. */
const COLUMNS = 'id TEXT PRIMARY KEY, doc BLOB NOT NULL';
/** The page cache of the query connection (MB) unless told otherwise. */
const CACHE_MB = 64;
/** What queries want of a connection (an index build changes them for its duration). */
const queryPragmas = (cacheMb: number) => [
  `cache_size = ${-Math.round(cacheMb * 1024)}`,
  'temp_store = MEMORY',
];
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
const INDEX_EXISTS_SQL = `SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`;
const CHECKPOINT_SQL = {
  read: 'SELECT position FROM _checkpoints WHERE key = ?',
  write: `INSERT INTO _checkpoints (key, position, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
  park: 'INSERT OR REPLACE INTO _dead_letters (id, checkpoint_key, parked_at, position, body) VALUES (?, ?, ?, ?, ?)',
};

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
  /** get() by collection: the hottest read (every event of a projection), prepared once, no SQL text per call. */
  private readonly gets = new Map<string, Database.Statement>();
  private closed = false;
  private readonly queryPragmas: string[];

  constructor(options: SqliteReadStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.file = join(options.dataDir, options.fileName ?? READ_DB_FILE);
    this.db = new Database(this.file);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Documents are ~0.2-2 KB: 16 KB pages halve the B-tree work per write (a no-op on an existing file).
    this.db.pragma('page_size = 16384');
    this.db.pragma('journal_mode = WAL');
    // A read model can always be rebuilt from the event store: fsync at checkpoints only (never corrupts).
    this.queryPragmas = queryPragmas(options.cacheMb ?? CACHE_MB);
    for (const p of ['synchronous = NORMAL', 'journal_size_limit = 67108864', ...this.queryPragmas])
      this.db.pragma(p);
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
  }

  // ---- reads ----

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    this.assertOpen();
    let json: string | undefined;
    try {
      let statement = this.gets.get(collection);
      if (!statement) {
        statement = this.db.prepare(`SELECT json(doc) FROM ${tableOf(collection)} WHERE id = ?`).pluck();
        this.gets.set(collection, statement);
      }
      json = statement.get(id) as string | undefined;
    } catch (e) {
      // A collection never written (or dropped, here or by another connection) reads as empty.
      if (!isMissingTable(e)) throw e;
      this.gets.delete(collection);
    }
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
      if (building) for (const p of this.queryPragmas) this.db.pragma(p);
    }
  }

  async dropCollection(collection: string): Promise<void> {
    this.assertOpen();
    const table = tableOf(collection);
    // Statements on the dropped table would fail from now on: forget them all (drops are rare).
    this.statements.clear();
    this.gets.clear();
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
    // Synchronous, under the write lock (IMMEDIATE): no other connection moves the checkpoint before the commit.
    this.db
      .transaction(() => {
        this.checkCheckpoint(checkpointKey, expected);
        this.applyChanges(writer);
        const park = this.statement(CHECKPOINT_SQL.park);
        for (const d of options.deadLetters ?? [])
          park.run(d.id, d.checkpointKey, d.parkedAt, d.position, JSON.stringify(d));
        this.statement(CHECKPOINT_SQL.write).run(checkpointKey, next, new Date().toISOString());
      })
      .immediate();
    return result;
  }

  async write<T>(fn: (writer: DocumentWriter) => Promise<T>): Promise<T> {
    this.assertOpen();
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    this.db.transaction(() => this.applyChanges(writer)).immediate();
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
    this.statements.clear();
    this.gets.clear();
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

  /** A batch's documents, each serialized once; rows in id order (neighbouring ids share B-tree pages). */
  private applyChanges(writer: BufferedWriter): void {
    for (const { collection, ids, docs } of writer.changes()) {
      const table = tableOf(collection);
      // Every time (a handful per commit): the table may have been dropped by another connection since.
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (${COLUMNS})`);
      const upsert = this.statement(
        `INSERT INTO ${table} (id, doc) VALUES (?, jsonb(?)) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
      );
      const remove = this.statement(`DELETE FROM ${table} WHERE id = ?`);
      const order = Array.from(ids.keys());
      if (ids.length > 64) order.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
      for (const i of order) {
        const doc = docs[i];
        if (doc === null) remove.run(ids[i]);
        else upsert.run(ids[i], doc);
      }
    }
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
