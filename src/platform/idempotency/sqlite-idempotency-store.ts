// Idempotency-Key records in SQLite: `<dataDir>/idempotency.db`, shared by the processes of one host, or
// `:memory:` for one process. Each operation is one statement, atomic across processes.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { IDEMPOTENCY_RETENTION_MS, IdempotencyStore } from './idempotency-store.port';
import type { IdempotencyRecord, RecordId } from './idempotency-store.port';

const ID = 'scope = @scope AND key = @key';
const RESERVATION = `${ID} AND token = @token AND status IS NULL`;

const statements = (db: Database.Database) => ({
  insert: db.prepare(`INSERT INTO idempotency_keys (scope, key, fingerprint, token, reserved_at)
    VALUES (@scope, @key, @fingerprint, @token, @reservedAt) ON CONFLICT DO NOTHING`),
  find: db.prepare<[RecordId], IdempotencyRecord>(
    `SELECT fingerprint, token, reserved_at AS reservedAt, status, body FROM idempotency_keys WHERE ${ID}`,
  ),
  update: db.prepare(`UPDATE idempotency_keys SET token = @next, reserved_at = @reservedAt, status = @status,
    body = @body WHERE ${RESERVATION}`),
  release: db.prepare(`DELETE FROM idempotency_keys WHERE ${RESERVATION}`),
  purge: db.prepare<[number]>('DELETE FROM idempotency_keys WHERE reserved_at < ?'),
});

export class SqliteIdempotencyStore extends IdempotencyStore {
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof statements>;
  private readonly purger: NodeJS.Timeout | undefined;

  /** Records older than `retentionMs` are purged now and every hour (null: never; tests purge themselves). */
  constructor(file: string, retentionMs: number | null = IDEMPOTENCY_RETENTION_MS) {
    super();
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.exec(`
      PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS idempotency_keys (scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
        token TEXT NOT NULL, reserved_at INTEGER NOT NULL, status INTEGER, body TEXT, PRIMARY KEY (scope, key)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS idempotency_keys_reserved_at ON idempotency_keys (reserved_at);
    `);
    this.sql = statements(this.db);
    if (retentionMs !== null) {
      const purge = () => void this.purge(Date.now() - retentionMs).catch(() => undefined);
      purge();
      this.purger = setInterval(purge, 60 * 60 * 1000).unref();
    }
  }

  protected async insert(id: RecordId, record: IdempotencyRecord): Promise<boolean> {
    return this.sql.insert.run({ ...id, ...record }).changes === 1;
  }

  protected async find(id: RecordId): Promise<IdempotencyRecord | null> {
    return this.sql.find.get(id) ?? null;
  }

  protected async update(id: RecordId, token: string, set: Partial<IdempotencyRecord>): Promise<boolean> {
    const { token: next = token, reservedAt, status = null, body = null } = set;
    return this.sql.update.run({ ...id, token, next, reservedAt, status, body }).changes === 1;
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    this.sql.release.run({ scope, key, token });
  }

  async purge(beforeMs: number): Promise<number> {
    return this.sql.purge.run(beforeMs).changes;
  }

  async close(): Promise<void> {
    clearInterval(this.purger);
    if (this.db.open) this.db.close();
  }
}
