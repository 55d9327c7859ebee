import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeIdempotencyStoreContract } from '../../../test/support/idempotency-store.contract';
import { InMemoryIdempotencyStore } from './in-memory-idempotency-store';
import { SqliteIdempotencyStore } from './sqlite-idempotency-store';

describeIdempotencyStoreContract('in-memory', () => new InMemoryIdempotencyStore());

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
describeIdempotencyStoreContract('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-idem-'));
  dirs.push(dir);
  return new SqliteIdempotencyStore(join(dir, 'idempotency.db'));
});

describe('SqliteIdempotencyStore', () => {
  it('shares records between connections to the same file (processes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-idem-'));
    dirs.push(dir);
    const a = new SqliteIdempotencyStore(join(dir, 'idempotency.db'));
    const b = new SqliteIdempotencyStore(join(dir, 'idempotency.db'));
    try {
      const r = await a.reserve('u', 'k', 'fp', 1000, 30_000);
      expect(r.outcome).toBe('reserved');
      expect(await b.reserve('u', 'k', 'fp', 1001, 30_000)).toEqual({ outcome: 'in_flight' });
      if (r.outcome === 'reserved')
        await a.complete('u', 'k', r.token, { status: 201, body: { x: 1 } }, 1002);
      expect(await b.reserve('u', 'k', 'fp', 1003, 30_000)).toMatchObject({ outcome: 'completed' });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
