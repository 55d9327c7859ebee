import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ReadStore } from '../../src/platform/read-store/read-store.port';
import { SqliteReadStore } from '../../src/platform/read-store/sqlite/sqlite-read-store';
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

describe('sqlite read store: deferred index builds', () => {
  it('builds a missing index with a small page cache and temporary files (quicker sorts), then gives the connection its settings back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rc-read-store-'));
    const store = new SqliteReadStore({ dataDir });
    try {
      const db = (store as unknown as { db: import('better-sqlite3').Database }).db;
      await store.ensureCollection('docs__g2', []);
      await store.write(async (w) => {
        for (let i = 0; i < 500; i++) await w.put('docs__g2', `d${i}`, { owner: `u${i % 7}`, n: i });
      });
      const pragma = jest.spyOn(db, 'pragma');
      await store.ensureCollection('docs__g2', [['owner', 'n']]);
      expect(pragma.mock.calls.map((c) => c[0])).toEqual([
        'cache_size = -2048',
        'temp_store = FILE',
        'cache_size = -65536',
        'temp_store = MEMORY',
      ]);
      expect(db.pragma('cache_size', { simple: true })).toBe(-65536);
      expect(db.pragma('temp_store', { simple: true })).toBe(2);
      expect(await store.find('docs__g2', { owner: 'u3' }, { sort: { n: -1 }, limit: 1 })).toEqual([
        { owner: 'u3', n: 493 },
      ]);
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id FROM c_docs__g2 WHERE json_extract(doc, '$.owner') = 'u3' ORDER BY json_extract(doc, '$.n')`,
        )
        .all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX ix_c_docs__g2_/);
      // Present already (a service starting, a swap): the cache is left alone.
      pragma.mockClear();
      await store.ensureCollection('docs__g2', [['owner', 'n']]);
      expect(pragma).not.toHaveBeenCalled();
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sqlite read store: a read.db of an earlier build', () => {
  it('moves its checkpoints and dead letters tables over to documents', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rc-read-store-'));
    const old = new Database(join(dataDir, 'read.db'));
    const letter = {
      id: 'p@g1:7',
      checkpointKey: 'p@g1',
      position: '7',
      parkedAt: '2026-01-01T00:00:00.000Z',
    };
    old.exec(`
      CREATE TABLE _checkpoints (key TEXT PRIMARY KEY, position TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE _dead_letters (id TEXT PRIMARY KEY, checkpoint_key TEXT NOT NULL, parked_at TEXT NOT NULL,
        position TEXT NOT NULL, body TEXT NOT NULL);
      INSERT INTO _checkpoints VALUES ('p@g1', '42', '2026-01-01T00:00:00.000Z');
    `);
    old
      .prepare('INSERT INTO _dead_letters VALUES (?, ?, ?, ?, ?)')
      .run(letter.id, letter.checkpointKey, letter.parkedAt, letter.position, JSON.stringify(letter));
    old.close();
    const store = new SqliteReadStore({ dataDir });
    try {
      expect(await store.listCheckpoints()).toEqual({ 'p@g1': '42' });
      expect(await store.listDeadLetters('p@g1')).toEqual([letter]);
      await store.commitBatch('p@g1', '42', '43', async () => undefined);
      expect(await store.getCheckpoint('p@g1')).toBe('43');
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
