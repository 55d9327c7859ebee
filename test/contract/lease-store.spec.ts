import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryLeaseStore } from '../../src/platform/cluster/in-memory-lease-store';
import { describeLeaseStoreContract } from './lease-store.contract';
import { SqliteLeaseStore } from '../../src/platform/cluster/sqlite-lease-store';

describeLeaseStoreContract('SQLite (two connections to one cluster.db)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-leases-'));
  const store = new SqliteLeaseStore({ dataDir });
  const other = new SqliteLeaseStore({ dataDir });
  return {
    store,
    other,
    cleanup: async () => {
      await store.close();
      await other.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describeLeaseStoreContract('in-memory', async () => {
  const store = new InMemoryLeaseStore();
  return { store, other: store, cleanup: () => store.close() };
});
