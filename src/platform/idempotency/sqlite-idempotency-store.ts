import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IdempotencyStore, RecordedResponse, ReserveOutcome } from './idempotency-store.port';

interface Row {
  fingerprint: string;
  token: string;
  reserved_at: number;
  status: number | null;
  body: string | null;
}

/**
 * `<DATA_DIR>/idempotency.db`. better-sqlite3 is synchronous, and each reserve runs in an IMMEDIATE transaction,
 * so check-and-set is atomic across the processes sharing the file too.
 */
export class SqliteIdempotencyStore implements IdempotencyStore {
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[string, string], Row>;
  private readonly insert: Database.Statement<[string, string, string, string, number]>;
  private readonly takeOver: Database.Statement<[string, number, string, string, string]>;
  private readonly completeStmt: Database.Statement<[number, string, number, string, string, string]>;
  private readonly releaseStmt: Database.Statement<[string, string, string]>;
  private readonly purgeStmt: Database.Statement<[number]>;
  private readonly reserveTx: (
    scope: string,
    key: string,
    fingerprint: string,
    nowMs: number,
    staleAfterMs: number,
  ) => ReserveOutcome;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS idempotency_keys (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        token TEXT NOT NULL,
        reserved_at INTEGER NOT NULL,
        status INTEGER,
        body TEXT,
        PRIMARY KEY (scope, key)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS idempotency_keys_reserved_at ON idempotency_keys (reserved_at);
    `);
    this.select = this.db.prepare(
      'SELECT fingerprint, token, reserved_at, status, body FROM idempotency_keys WHERE scope = ? AND key = ?',
    );
    this.insert = this.db.prepare(
      'INSERT INTO idempotency_keys (scope, key, fingerprint, token, reserved_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.takeOver = this.db.prepare(
      'UPDATE idempotency_keys SET token = ?, reserved_at = ? WHERE scope = ? AND key = ? AND token = ? AND status IS NULL',
    );
    this.completeStmt = this.db.prepare(
      'UPDATE idempotency_keys SET status = ?, body = ?, reserved_at = ? WHERE scope = ? AND key = ? AND token = ? AND status IS NULL',
    );
    this.releaseStmt = this.db.prepare(
      'DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND token = ? AND status IS NULL',
    );
    this.purgeStmt = this.db.prepare('DELETE FROM idempotency_keys WHERE reserved_at < ?');
    const tx = this.db.transaction(
      (
        scope: string,
        key: string,
        fingerprint: string,
        nowMs: number,
        staleAfterMs: number,
      ): ReserveOutcome => {
        const row = this.select.get(scope, key);
        if (!row) {
          const token = randomUUID();
          this.insert.run(scope, key, fingerprint, token, nowMs);
          return { outcome: 'reserved', token, takenOver: false };
        }
        if (row.fingerprint !== fingerprint) return { outcome: 'mismatch' };
        if (row.status !== null) {
          return {
            outcome: 'completed',
            response: { status: row.status, body: JSON.parse(row.body ?? 'null') },
          };
        }
        if (nowMs - row.reserved_at < staleAfterMs) return { outcome: 'in_flight' };
        const token = randomUUID();
        this.takeOver.run(token, nowMs, scope, key, row.token);
        return { outcome: 'reserved', token, takenOver: true };
      },
    );
    this.reserveTx = (...args) => tx.immediate(...args);
  }

  async reserve(
    scope: string,
    key: string,
    fingerprint: string,
    nowMs: number,
    staleAfterMs: number,
  ): Promise<ReserveOutcome> {
    return this.reserveTx(scope, key, fingerprint, nowMs, staleAfterMs);
  }

  async complete(
    scope: string,
    key: string,
    token: string,
    response: RecordedResponse,
    nowMs: number,
  ): Promise<void> {
    this.completeStmt.run(response.status, JSON.stringify(response.body ?? null), nowMs, scope, key, token);
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    this.releaseStmt.run(scope, key, token);
  }

  async purge(beforeMs: number): Promise<number> {
    return this.purgeStmt.run(beforeMs).changes;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
