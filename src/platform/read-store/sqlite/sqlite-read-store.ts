// The embedded read store: `<dataDir>/read.db`, a table per collection (`c_<name>`: id + the document as JSONB,
// which json_extract reads without re-parsing), index fields as expression indexes. WAL: queries never wait for a
// commit; the batches of one turn of the event loop commit in one synchronous transaction, so nothing interleaves.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  assertCheckpoint,
  BufferedReadStore,
  CheckpointMove,
  CHECKPOINTS,
  CollectionChanges,
} from '../buffered-writer';
import { assertLimit, Clause, parseFilter, parseSort } from '../filter';
import {
  assertCollectionName,
  assertFieldPath,
  Entry,
  Filter,
  FindOptions,
  ID_FIELD,
  ReadStore,
  Scalar,
} from '../read-store.port';

const TABLE_PREFIX = 'c_';
/** doc: JSONB (a BLOB); tables written by an earlier build hold JSON text, which every json_* function reads too. */
const COLUMNS = 'id TEXT PRIMARY KEY, doc BLOB NOT NULL';
/** Index builds over a filled collection sort small runs in temporary files: twice as fast as in a 64 MB cache. */
const INDEX_BUILD_PRAGMAS = ['cache_size = -2048', 'temp_store = FILE'];
const EXISTS_SQL = 'SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?';
const LIST_SQL = `SELECT substr(name, 3) FROM sqlite_master WHERE type = 'table' AND name GLOB 'c_*' ORDER BY 1`;
/** Checkpoints and dead letters had tables of their own before they became documents: moved over once. */
const LEGACY_TABLES = {
  _checkpoints: `key, jsonb_object('position', position, 'updatedAt', updated_at)`,
  _dead_letters: `id, jsonb_object('checkpointKey', checkpoint_key, 'parkedAt', parked_at, 'body', body)`,
};

type Pending = { changes: CollectionChanges[]; move?: CheckpointMove; done: (e: unknown) => void };

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
const getSql = (collection: string): string => `SELECT json(doc) FROM ${tableOf(collection)} WHERE id = ?`;

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

function compileFilter(filter: Filter): { where: string; params: unknown[] } {
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

export class SqliteReadStore extends BufferedReadStore implements ReadStore {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** get() by collection: the hottest read (every event of a projection), prepared once, no SQL text per call. */
  private readonly gets = new Map<string, Database.Statement>();
  /** What queries want of the connection (an index build changes them for its duration). */
  private readonly queryPragmas: string[];
  /** Made once: better-sqlite3 builds a transaction function's wrappers anew at every db.transaction(). */
  private readonly transaction: Database.Transaction<typeof this.applyBatches>;
  private readonly pending: Pending[] = []; // commits of this turn of the event loop

  /** `dataDir`: of `read.db`, created if missing; `cacheMb`: the query connection's page cache (default 64). */
  constructor(options: { dataDir: string; cacheMb?: number }) {
    super();
    mkdirSync(options.dataDir, { recursive: true });
    this.db = new Database(join(options.dataDir, 'read.db'));
    this.db.pragma('busy_timeout = 5000');
    // Documents are ~0.2-2 KB: 16 KB pages halve the B-tree work per write (a no-op on an existing file).
    this.db.pragma('page_size = 16384');
    this.db.pragma('journal_mode = WAL');
    // A read model can always be rebuilt from the event store: fsync at checkpoints only (never corrupts).
    const cacheKb = Math.round((options.cacheMb ?? 64) * 1024);
    this.queryPragmas = [`cache_size = -${cacheKb}`, 'temp_store = MEMORY'];
    this.transaction = this.db.transaction(this.applyBatches.bind(this));
    for (const p of ['synchronous = NORMAL', 'journal_size_limit = 67108864', ...this.queryPragmas])
      this.db.pragma(p);
    for (const [legacy, select] of Object.entries(LEGACY_TABLES)) {
      const exists = () => this.statement(EXISTS_SQL).get('table', legacy) !== undefined;
      if (!exists()) continue;
      const migrate = `CREATE TABLE IF NOT EXISTS ${tableOf(legacy)} (${COLUMNS});
        INSERT OR IGNORE INTO ${tableOf(legacy)} SELECT ${select} FROM ${legacy}; DROP TABLE ${legacy};`;
      // Another process may have moved it meanwhile.
      this.db.transaction(() => exists() && this.db.exec(migrate)).immediate();
    }
  }

  // ---- reads ----

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    this.assertOpen();
    const json = this.read(collection, id);
    return json === undefined ? null : (JSON.parse(json) as T);
  }

  /** The document's JSON; synchronous, so a commit can read inside its transaction. */
  private read(collection: string, id: string): string | undefined {
    try {
      let statement = this.gets.get(collection);
      if (!statement) this.gets.set(collection, (statement = this.db.prepare(getSql(collection)).pluck()));
      return statement.get(id) as string | undefined;
    } catch (e) {
      // A collection never written (or dropped, here or by another connection) reads as empty.
      if (!isMissingTable(e)) throw e;
      this.gets.delete(collection);
      return undefined;
    }
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
    const sql = `SELECT COUNT(*) FROM ${tableOf(collection)} ${where}`;
    return (this.run(sql, (s) => s.pluck().get(...params)) as number | undefined) ?? 0;
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
      if (this.statement(EXISTS_SQL).get('index', name) === undefined) building = true;
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
    return this.statement(LIST_SQL).pluck().all() as string[];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // ---- internals ----

  /** At the end of this turn with the others (the runners one delivery woke): one transaction's cost for all. */
  protected commit(changes: CollectionChanges[], move?: CheckpointMove): Promise<void> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      if (this.pending.push({ changes, move, done: (e) => (e ? reject(e) : resolve()) }) === 1)
        setImmediate(() => this.flush());
    });
  }

  /** Under the write lock (IMMEDIATE): no other connection moves a checkpoint meanwhile. An error fails them all. */
  private flush(): void {
    const batches = this.pending.splice(0);
    try {
      const errors = this.transaction.immediate(batches);
      batches.forEach((b, i) => b.done(errors[i]));
    } catch (error) {
      batches.forEach((b) => b.done(error)); // rolled back: nothing written
    }
  }

  /** Each batch: its checkpoint checked (moved: left out), then rows in id order (neighbours share pages). */
  private applyBatches(batches: Pending[]): unknown[] {
    return batches.map(({ changes, move }) => {
      try {
        if (move) assertCheckpoint(move, JSON.parse(this.read(CHECKPOINTS, move.key) ?? 'null'));
      } catch (conflict) {
        return conflict;
      }
      for (const { collection, ids, docs } of changes) {
        const table = tableOf(collection);
        // Every time (a handful per commit): the table may have been dropped by another connection since. Prepared
        // once: SQLite re-prepares it when the schema changed (a no-op while the table exists), no parse per commit.
        this.statement(`CREATE TABLE IF NOT EXISTS ${table} (${COLUMNS})`).run();
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
    });
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
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
}
