// Leases in `<dataDir>/cluster.db`, for processes sharing the embedded stores on one host (their clocks are the
// same clock). Each operation is one IMMEDIATE transaction, so check-and-set is atomic across processes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Clock, SystemClock } from '../clock/clock.port';
import { assertLeaseArgs, LeaseHolder, LeaseStore } from './lease-store.port';

export const CLUSTER_DB_FILE = 'cluster.db';

interface Row {
  owner: string | null;
  expires_at: number;
  generation: number;
}

export interface SqliteLeaseStoreOptions {
  dataDir: string;
  /**
   * Expiry by this clock; default the system clock, which every process on the host shares. Not the app's CLOCK:
   * under CLOCK=manual each process's test clock jumps on its own, and leases must not follow it.
   */
  clock?: Clock;
  busyTimeoutMs?: number;
}

export class SqliteLeaseStore implements LeaseStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly acquireTx: (name: string, owner: string, ttlMs: number) => boolean;
  private readonly renewStmt: Database.Statement<[number, string, string]>;
  private readonly releaseStmt: Database.Statement<[string, string]>;
  private readonly selectStmt: Database.Statement<[string], Row>;

  constructor(options: SqliteLeaseStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.file = join(options.dataDir, CLUSTER_DB_FILE);
    this.clock = options.clock ?? new SystemClock();
    this.db = new Database(this.file);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS leases (
        name       TEXT PRIMARY KEY,
        owner      TEXT,
        expires_at INTEGER NOT NULL,
        generation INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
    this.selectStmt = this.db.prepare('SELECT owner, expires_at, generation FROM leases WHERE name = ?');
    const upsert = this.db.prepare<[string, string, number, number]>(
      `INSERT INTO leases (name, owner, expires_at, generation) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
         generation = excluded.generation`,
    );
    this.renewStmt = this.db.prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?');
    this.releaseStmt = this.db.prepare(
      'UPDATE leases SET owner = NULL, expires_at = 0 WHERE name = ? AND owner = ?',
    );
    const tx = this.db.transaction((name: string, owner: string, ttlMs: number): boolean => {
      const now = this.clock.now().getTime();
      const row = this.selectStmt.get(name);
      if (row && row.owner !== null && row.owner !== owner && row.expires_at > now) return false;
      const generation = !row ? 1 : row.owner === owner ? row.generation : row.generation + 1;
      upsert.run(name, owner, now + ttlMs, generation);
      return true;
    });
    this.acquireTx = (name, owner, ttlMs) => tx.immediate(name, owner, ttlMs);
  }

  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertLeaseArgs(name, owner, ttlMs);
    return this.acquireTx(name, owner, ttlMs);
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertLeaseArgs(name, owner, ttlMs);
    return this.renewStmt.run(this.clock.now().getTime() + ttlMs, name, owner).changes === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    assertLeaseArgs(name, owner);
    this.releaseStmt.run(name, owner);
  }

  async holder(name: string): Promise<LeaseHolder | null> {
    const row = this.selectStmt.get(name);
    if (!row || row.owner === null) return null;
    return {
      owner: row.owner,
      expiresAt: new Date(row.expires_at).toISOString(),
      generation: row.generation,
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
