import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStore } from '../../src/read-store/read-store.port';
import { SqliteReadStore } from '../../src/read-store/sqlite/sqlite-read-store';
import { describeReadStoreContract } from './read-store.contract';

describeReadStoreContract('sqlite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-read-store-'));
  let current: ReadStore = new SqliteReadStore({ dataDir });
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = new SqliteReadStore({ dataDir });
      return current;
    },
    dispose: async () => {
      await current.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
