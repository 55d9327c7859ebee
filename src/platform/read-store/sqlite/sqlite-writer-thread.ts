// A worker thread that owns a second connection to read.db and commits write sets for SqliteReadStore, so a
// rebuild's SQLite work (B-tree inserts, JSONB conversion, WAL writes) runs on another core while the main
// thread applies the next projection's events. The main thread keeps the SQL knowledge: it sends statements
// and their rows; this side only runs them in one IMMEDIATE transaction, guarded by the checkpoint.
import Database from 'better-sqlite3';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { join } from 'node:path';

export interface TableWrites {
  /** CREATE TABLE IF NOT EXISTS ... (writes create missing collections, as MongoDB does). */
  create: string;
  upsert: string;
  remove: string;
  ids: string[];
  /** Serialized documents, null for a delete; or, when absent, their spans in WriteSet.bytes (see encoded). */
  docs?: (string | null)[];
  /** Spans of the documents in WriteSet.bytes: doc i is [i ? ends[i - 1] : start, ends[i]), empty for a delete. */
  encoded?: { start: number; ends: Uint32Array };
}

export interface WriteSet {
  checkpoint: { key: string; expected: string | null; next: string; updatedAt: string } | null;
  tables: TableWrites[];
  /** UTF-8 JSON of the encoded tables' documents (moved, not copied, to the writer thread). */
  bytes?: Uint8Array;
  /** [id, checkpoint_key, parked_at, position, body] */
  deadLetters: [string, string, string, string, string][];
}

export const CHECKPOINT_SQL = {
  read: 'SELECT position FROM _checkpoints WHERE key = ?',
  write: `INSERT INTO _checkpoints (key, position, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
  park: 'INSERT OR REPLACE INTO _dead_letters (id, checkpoint_key, parked_at, position, body) VALUES (?, ?, ?, ?, ?)',
};

/** The checkpoint moved under us; the main thread turns it back into a CheckpointConflictError. */
export interface ConflictReport {
  conflict: { key: string; expected: string | null; actual: string | null };
}

/** Applies a write set inside the caller's transaction; returns the conflict instead of writing when guarded. */
export function applyWriteSet(
  db: Database.Database,
  statement: (sql: string) => Database.Statement,
  set: WriteSet,
): ConflictReport | null {
  if (set.checkpoint) {
    const actual =
      (statement(CHECKPOINT_SQL.read).pluck().get(set.checkpoint.key) as string | undefined) ?? null;
    if (actual !== set.checkpoint.expected)
      return { conflict: { key: set.checkpoint.key, expected: set.checkpoint.expected, actual } };
  }
  const bytes = set.bytes ? Buffer.from(set.bytes.buffer, set.bytes.byteOffset, set.bytes.byteLength) : null;
  for (const t of set.tables) {
    // Every time (a handful per commit): the table may have been dropped by another connection since.
    db.exec(t.create);
    const upsert = statement(t.upsert);
    const remove = statement(t.remove);
    const { docs, encoded } = t;
    for (const i of keyOrder(t.ids)) {
      if (encoded && bytes) {
        const from = i === 0 ? encoded.start : encoded.ends[i - 1];
        const to = encoded.ends[i];
        // Bound as a BLOB of UTF-8 JSON text (the upsert reads it as text).
        if (from === to) remove.run(t.ids[i]);
        else upsert.run(t.ids[i], bytes.subarray(from, to));
      } else {
        const doc = docs![i];
        if (doc === null) remove.run(t.ids[i]);
        else upsert.run(t.ids[i], doc);
      }
    }
  }
  if (set.deadLetters.length) {
    const park = statement(CHECKPOINT_SQL.park);
    for (const d of set.deadLetters) park.run(...d);
  }
  if (set.checkpoint) {
    const c = set.checkpoint;
    statement(CHECKPOINT_SQL.write).run(c.key, c.next, c.updatedAt);
  }
  return null;
}

/**
 * Row indexes in id order: neighbouring ids share B-tree pages, so a big batch touches each page once (a
 * rebuild's batches write tens of thousands of rows at random uuids). Small batches keep their order.
 */
function keyOrder(ids: string[]): Iterable<number> {
  const order = Array.from(ids.keys());
  if (ids.length <= 64) return order;
  return order.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
}

type Request = { id: number; set: WriteSet } | { id: number; close: true };
/** Every reply hands the write set's document buffer back (moved), for the next write set to reuse. */
type Reply = { bytes?: Uint8Array } & (
  | { id: number; ok: true }
  | {
      id: number;
      ok: false;
      conflict?: ConflictReport['conflict'];
      error?: { message: string; code?: string };
    }
);

export interface WriterThreadOptions {
  file: string;
  busyTimeoutMs: number;
  pragmas: string[];
}

/** The main thread's handle: one commit at a time per call, replies in order. */
export class SqliteWriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(options: WriterThreadOptions) {
    const ts = __filename.endsWith('.ts');
    this.worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       if (workerData.hook) require(workerData.hook);
       require(workerData.entry);`,
      {
        eval: true,
        workerData: {
          role: 'sqlite-writer',
          entry: __filename,
          // Source runs (tests, scripts/run-ts.cjs) compile the thread's TypeScript the same way.
          hook: ts ? join(__dirname, '..', '..', '..', '..', 'scripts', 'ts-hook.cjs') : null,
          options,
        },
      },
    );
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    const fail = (error: Error): void => {
      this.failure = error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`SQLite writer thread exited (${code})`)));
  }

  /** Buffers the thread handed back, for the next write sets' documents (a few: one per commit in flight). */
  private readonly spares: Buffer[] = [];

  /** A buffer to encode a write set's documents into, if one came back from an earlier commit. */
  takeScratch(): Buffer | undefined {
    return this.spares.pop();
  }

  /** Resolves with the conflict (nothing written) or null once committed; rejects on any other failure. */
  async commit(set: WriteSet): Promise<ConflictReport['conflict'] | null> {
    const reply = await this.send({ id: this.nextId++, set });
    if (reply.bytes && this.spares.length < 4) {
      const { buffer } = reply.bytes;
      this.spares.push(Buffer.from(buffer as ArrayBuffer, 0, buffer.byteLength));
    }
    if (reply.ok) return null;
    if (reply.conflict) return reply.conflict;
    const error = new Error(reply.error?.message ?? 'SQLite writer thread failed');
    (error as Error & { code?: string }).code = reply.error?.code;
    throw error;
  }

  async close(): Promise<void> {
    if (this.failure) return;
    await this.send({ id: this.nextId++, close: true }).catch(() => undefined);
    await this.worker.terminate();
  }

  private send(request: Request): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      const bytes = 'set' in request ? request.set.bytes : undefined;
      // The documents' buffer moves to the thread (it is this commit's alone: nothing reads it here any more).
      this.worker.postMessage(request, bytes ? [bytes.buffer as ArrayBuffer] : []);
    });
  }
}

function runThread(options: WriterThreadOptions): void {
  const db = new Database(options.file);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  for (const p of options.pragmas) db.pragma(p);
  const statements = new Map<string, Database.Statement>();
  const statement = (sql: string): Database.Statement => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  parentPort!.on('message', (request: Request) => {
    if ('close' in request) {
      db.close();
      parentPort!.postMessage({ id: request.id, ok: true } satisfies Reply);
      return;
    }
    let reply: Reply;
    try {
      const conflict = db.transaction(() => applyWriteSet(db, statement, request.set)).immediate();
      reply = conflict
        ? { id: request.id, ok: false, conflict: conflict.conflict }
        : { id: request.id, ok: true };
    } catch (e) {
      const err = e as { message?: string; code?: string };
      reply = { id: request.id, ok: false, error: { message: String(err.message ?? e), code: err.code } };
    }
    // The documents' buffer goes back to the main thread (moved) for the next write set: nothing here reads it
    // any more.
    const bytes = request.set.bytes;
    if (bytes) reply.bytes = bytes;
    parentPort!.postMessage(reply, bytes ? [bytes.buffer as ArrayBuffer] : []);
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'sqlite-writer') {
  runThread((workerData as { options: WriterThreadOptions }).options);
}
