// The IdempotencyStore contract: SQLite and in-memory (test/contract/idempotency-store.spec.ts) and MongoDB
// (test/containers/mongo-stores.spec.ts) run this one suite. `other` is a second connection to the same data:
// another API replica, in production.
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
      expect(first).toMatchObject({ outcome: 'reserved', takenOver: false });
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
      expect(taken).toMatchObject({ outcome: 'reserved', takenOver: true });
      expect(await sut.store.reserve(scope, 'k', 'fp', later + 1, STALE)).toEqual({ outcome: 'in_flight' });
      await sut.store.complete(scope, 'k', first.token, { status: 500, body: 'stale' }, later + 2);
      if (taken.outcome !== 'reserved') throw new Error('unreachable');
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
