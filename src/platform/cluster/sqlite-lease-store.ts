// Leases in SQLite: `<dataDir>/cluster.db`, shared by the processes of one host (their clocks are the same
// clock), or `:memory:` for a single process. Each operation is one statement, so check-and-set is atomic.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Clock, SystemClock } from '../clock/clock.port';
import type { LeaseHolder, LeaseStore } from './lease-store.port';

export class SqliteLeaseStore implements LeaseStore {
  private readonly db: Database.Database;

  /** `clock`: tests. Not the app's CLOCK: under CLOCK=manual each process's clock jumps on its own. */
  constructor(
    file: string,
    private readonly clock: Clock = new SystemClock(),
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS leases (
      name TEXT PRIMARY KEY, owner TEXT, expires_at INTEGER NOT NULL, generation INTEGER NOT NULL
    ) WITHOUT ROWID`);
  }

  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    // The generation moves on only when the lease changes hands (a released lease has no owner).
    const sql = `INSERT INTO leases VALUES (@name, @owner, @now + @ttlMs, 1) ON CONFLICT (name) DO UPDATE
      SET owner = @owner, expires_at = @now + @ttlMs, generation = generation + (owner IS NOT @owner)
      WHERE owner IS NULL OR owner = @owner OR expires_at <= @now`;
    return this.db.prepare(sql).run({ name, owner, ttlMs, now: this.nowMs() }).changes === 1;
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const sql = 'UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?';
    return this.db.prepare(sql).run(this.nowMs() + ttlMs, name, owner).changes === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    this.db
      .prepare('UPDATE leases SET owner = NULL, expires_at = 0 WHERE name = ? AND owner = ?')
      .run(name, owner);
  }

  async holder(name: string): Promise<LeaseHolder | null> {
    const row = this.db
      .prepare<[string], { owner: string | null; expires_at: number; generation: number }>(
        'SELECT owner, expires_at, generation FROM leases WHERE name = ?',
      )
      .get(name);
    if (!row?.owner) return null;
    return {
      owner: row.owner,
      expiresAt: new Date(row.expires_at).toISOString(),
      generation: row.generation,
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}
