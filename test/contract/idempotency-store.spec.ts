import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteIdempotencyStore } from '../../src/platform/idempotency/sqlite-idempotency-store';
import { describeIdempotencyStoreContract } from './idempotency-store.contract';

describeIdempotencyStoreContract('SQLite (two connections to one file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-idempotency-'));
  const store = new SqliteIdempotencyStore(join(dir, 'idempotency.db'), null);
  const other = new SqliteIdempotencyStore(join(dir, 'idempotency.db'), null);
  return {
    store,
    other,
    cleanup: async () => {
      await store.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeIdempotencyStoreContract('in-memory', async () => {
  const store = new SqliteIdempotencyStore(':memory:', null);
  return { store, other: store, cleanup: () => store.close() };
});
