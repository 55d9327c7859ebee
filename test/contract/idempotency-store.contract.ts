// The IdempotencyStore contract, the one suite every adapter runs: SQLite and in-memory
// (test/contract/idempotency-store.spec.ts) and MongoDB (test/containers/mongo-stores.spec.ts). `other` is a
// second connection to the same data: another API replica, in production.
import { randomUUID } from 'node:crypto';
import type { IdempotencyStore } from '../../src/platform/idempotency/idempotency-store.port';

export interface IdempotencyStoreUnderTest {
  store: IdempotencyStore;
  other: IdempotencyStore;
  cleanup(): Promise<void>;
}

const STALE = 30_000;

export function describeIdempotencyStoreContract(
  name: string,
  factory: () => Promise<IdempotencyStoreUnderTest>,
): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    let sut: IdempotencyStoreUnderTest;
    let scope: string;
    beforeEach(async () => {
      sut = await factory();
      scope = `user-${randomUUID().slice(0, 8)}`;
    });
    afterEach(async () => {
      await sut.cleanup();
    });

    it('reserves a new key, then answers in_flight, then replays the recorded response', async () => {
      const first = await sut.store.reserve(scope, 'k', 'fp', 1000, STALE);
      expect(first).toEqual({ outcome: 'reserved', token: expect.any(String), takenOver: false });
      expect(await sut.other.reserve(scope, 'k', 'fp', 1001, STALE)).toEqual({ outcome: 'in_flight' });
      if (first.outcome !== 'reserved') throw new Error('unreachable');
      const body = {
        orderId: 'o-1',
        revision: 0,
        position: '12345678901234567890123',
        nested: { $odd: 'key.x' },
      };
      await sut.store.complete(scope, 'k', first.token, { status: 201, body }, 1002);
      expect(await sut.other.reserve(scope, 'k', 'fp', 1003, STALE)).toEqual({
        outcome: 'completed',
        response: { status: 201, body },
      });
      // A completed record never goes stale, and still refuses another request under its key.
      expect(await sut.store.reserve(scope, 'k', 'fp', 1003 + 10 * STALE, STALE)).toEqual({
        outcome: 'completed',
        response: { status: 201, body },
      });
      expect(await sut.other.reserve(scope, 'k', 'fp-2', 1003 + 10 * STALE, STALE)).toEqual({
        outcome: 'mismatch',
      });
    });

    it('replays bodies of every JSON kind unchanged', async () => {
      const bodies = [
        null,
        'text',
        42,
        true,
        [1, 'x', null, { a: [] }],
        { nested: { a: [1, 'x', null] }, '': 0 },
      ];
      for (const [i, body] of bodies.entries()) {
        const reserved = await sut.store.reserve(scope, `k${i}`, 'fp', 1000, STALE);
        if (reserved.outcome !== 'reserved') throw new Error('expected reserved');
        await sut.store.complete(scope, `k${i}`, reserved.token, { status: 200, body }, 1001);
        expect(await sut.other.reserve(scope, `k${i}`, 'fp', 1002, STALE)).toEqual({
          outcome: 'completed',
          response: { status: 200, body },
        });
      }
    });

    it('answers mismatch for the same key with another request', async () => {
      await sut.store.reserve(scope, 'k', 'fp-1', 1000, STALE);
      expect(await sut.other.reserve(scope, 'k', 'fp-2', 1001, STALE)).toEqual({ outcome: 'mismatch' });
    });

    it('keeps keys apart per scope', async () => {
      await sut.store.reserve(scope, 'k', 'fp', 1000, STALE);
      expect(await sut.other.reserve(`${scope}-b`, 'k', 'fp', 1000, STALE)).toMatchObject({
        outcome: 'reserved',
      });
    });

    it('lets a stale reservation be taken over once; the old token can no longer complete', async () => {
      const first = await sut.store.reserve(scope, 'k', 'fp', 1000, STALE);
      if (first.outcome !== 'reserved') throw new Error('expected reserved');
      const later = 1000 + STALE + 1;
      const taken = await sut.other.reserve(scope, 'k', 'fp', later, STALE);
      expect(taken).toEqual({ outcome: 'reserved', token: expect.any(String), takenOver: true });
      if (taken.outcome !== 'reserved') throw new Error('unreachable');
      expect(taken.token).not.toBe(first.token);
      expect(await sut.store.reserve(scope, 'k', 'fp', later + 1, STALE)).toEqual({ outcome: 'in_flight' });
      // The old token can neither release the key nor complete it.
      await sut.store.release(scope, 'k', first.token);
      expect(await sut.store.reserve(scope, 'k', 'fp', later + 1, STALE)).toEqual({ outcome: 'in_flight' });
      await sut.store.complete(scope, 'k', first.token, { status: 500, body: 'stale' }, later + 2);
      expect(await sut.store.reserve(scope, 'k', 'fp', later + 2, STALE)).toEqual({ outcome: 'in_flight' });
      await sut.other.complete(scope, 'k', taken.token, { status: 200, body: { ok: true } }, later + 3);
      expect(await sut.store.reserve(scope, 'k', 'fp', later + 4, STALE)).toEqual({
        outcome: 'completed',
        response: { status: 200, body: { ok: true } },
      });
    });

    it('release forgets the reservation (only its own token), so the key can be used again', async () => {
      const first = await sut.store.reserve(scope, 'k', 'fp', 1000, STALE);
      if (first.outcome !== 'reserved') throw new Error('expected reserved');
      await sut.other.release(scope, 'k', 'not-the-token');
      expect(await sut.other.reserve(scope, 'k', 'fp', 1001, STALE)).toEqual({ outcome: 'in_flight' });
      await sut.store.release(scope, 'k', first.token);
      expect(await sut.other.reserve(scope, 'k', 'fp-new', 1002, STALE)).toMatchObject({
        outcome: 'reserved',
      });
    });

    it('release leaves a completed record alone', async () => {
      const first = await sut.store.reserve(scope, 'k', 'fp', 1000, STALE);
      if (first.outcome !== 'reserved') throw new Error('expected reserved');
      await sut.store.complete(scope, 'k', first.token, { status: 201, body: { ok: 1 } }, 1001);
      await sut.store.release(scope, 'k', first.token);
      expect(await sut.other.reserve(scope, 'k', 'fp', 1002, STALE)).toEqual({
        outcome: 'completed',
        response: { status: 201, body: { ok: 1 } },
      });
    });

    it('of concurrent reservations of one key exactly one wins', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? sut.store : sut.other).reserve(scope, 'k', 'fp', 1000, STALE),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'reserved')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'in_flight')).toHaveLength(9);
    });

    it('purges records older than a time and counts them', async () => {
      await sut.store.reserve(scope, 'old', 'fp', 1000, STALE);
      await sut.store.reserve(scope, 'new', 'fp', 5000, STALE);
      expect(await sut.store.purge(2000)).toBe(1);
      expect(await sut.other.reserve(scope, 'old', 'other', 6000, STALE)).toMatchObject({
        outcome: 'reserved',
      });
      expect(await sut.other.reserve(scope, 'new', 'other', 6000, STALE)).toEqual({ outcome: 'mismatch' });
    });

    it('answers ping', async () => {
      await expect(sut.store.ping()).resolves.toBeUndefined();
    });
  });
}
