import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/platform/clock/clock.port';
import { describeLeaseStoreContract } from './lease-store.contract';
import { SqliteLeaseStore } from '../../src/platform/cluster/sqlite-lease-store';

describeLeaseStoreContract('SQLite (two connections to one cluster.db)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-leases-'));
  const clock = new ManualClock();
  const store = new SqliteLeaseStore(join(dataDir, 'cluster.db'), clock);
  const other = new SqliteLeaseStore(join(dataDir, 'cluster.db'), clock);
  return {
    store,
    other,
    clock,
    cleanup: async () => {
      await store.close();
      await other.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describeLeaseStoreContract('in-memory', async () => {
  const clock = new ManualClock();
  const store = new SqliteLeaseStore(':memory:', clock);
  return { store, other: store, clock, cleanup: () => store.close() };
});
