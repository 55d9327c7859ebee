import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStore } from '../../src/read-store/read-store.port';
import { SqliteReadStore } from '../../src/read-store/sqlite/sqlite-read-store';
import { describeReadStoreContract } from './read-store.contract';

// Inline commits (the service) and commits on a writer thread (the rebuild CLI) must behave the same.
for (const writerThread of [false, true]) {
  describeReadStoreContract(writerThread ? 'sqlite, writer thread' : 'sqlite', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rc-read-store-'));
    let current: ReadStore = new SqliteReadStore({ dataDir, writerThread });
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = new SqliteReadStore({ dataDir, writerThread });
        return current;
      },
      dispose: async () => {
        await current.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });
}
