import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryIdempotencyStore } from '../../src/platform/idempotency/in-memory-idempotency-store';
import { SqliteIdempotencyStore } from '../../src/platform/idempotency/sqlite-idempotency-store';
import { describeIdempotencyStoreContract } from './idempotency-store.contract';

describeIdempotencyStoreContract('SQLite (two connections to one file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-idempotency-'));
  const store = new SqliteIdempotencyStore(join(dir, 'idempotency.db'));
  const other = new SqliteIdempotencyStore(join(dir, 'idempotency.db'));
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
  const store = new InMemoryIdempotencyStore();
  return { store, other: store, cleanup: () => store.close() };
});
