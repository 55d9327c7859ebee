// The IdempotencyStore contract, run against every adapter (SQLite, in-memory; MongoDB reuses it).
import type { IdempotencyStore } from '../../src/platform/idempotency/idempotency-store.port';

export function describeIdempotencyStoreContract(
  name: string,
  create: () => Promise<IdempotencyStore> | IdempotencyStore,
): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    let store: IdempotencyStore;
    const STALE = 30_000;
    const t0 = 1_700_000_000_000;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(() => store.close());

    it('reserves a new key, then answers in_flight for the same request', async () => {
      const r = await store.reserve('u1', 'k', 'fp', t0, STALE);
      expect(r).toEqual({ outcome: 'reserved', token: expect.any(String), takenOver: false });
      expect(await store.reserve('u1', 'k', 'fp', t0 + 1000, STALE)).toEqual({ outcome: 'in_flight' });
    });

    it('answers mismatch for a different request under the same key', async () => {
      await store.reserve('u1', 'k', 'fp', t0, STALE);
      expect(await store.reserve('u1', 'k', 'other', t0, STALE)).toEqual({ outcome: 'mismatch' });
    });

    it('scopes keys per caller', async () => {
      await store.reserve('u1', 'k', 'fp', t0, STALE);
      expect((await store.reserve('u2', 'k', 'other', t0, STALE)).outcome).toBe('reserved');
    });

    it('replays the recorded response', async () => {
      const r = await store.reserve('u1', 'k', 'fp', t0, STALE);
      if (r.outcome !== 'reserved') throw new Error('not reserved');
      const body = { orderId: 'o', revision: 3, position: '42', nested: { a: [1, 'x', null] } };
      await store.complete('u1', 'k', r.token, { status: 201, body }, t0 + 5);
      expect(await store.reserve('u1', 'k', 'fp', t0 + 10, STALE)).toEqual({
        outcome: 'completed',
        response: { status: 201, body },
      });
      // Completed records never go stale.
      expect((await store.reserve('u1', 'k', 'fp', t0 + 10 * STALE, STALE)).outcome).toBe('completed');
      expect(await store.reserve('u1', 'k', 'fp2', t0 + 10, STALE)).toEqual({ outcome: 'mismatch' });
    });

    it('release forgets the reservation so the key can be used again', async () => {
      const r = await store.reserve('u1', 'k', 'fp', t0, STALE);
      if (r.outcome !== 'reserved') throw new Error('not reserved');
      await store.release('u1', 'k', r.token);
      expect((await store.reserve('u1', 'k', 'another', t0, STALE)).outcome).toBe('reserved');
    });

    it('a stale reservation is taken over once; the old token can neither complete nor release it', async () => {
      const old = await store.reserve('u1', 'k', 'fp', t0, STALE);
      if (old.outcome !== 'reserved') throw new Error('not reserved');
      const taken = await store.reserve('u1', 'k', 'fp', t0 + STALE, STALE);
      expect(taken).toEqual({ outcome: 'reserved', token: expect.any(String), takenOver: true });
      if (taken.outcome !== 'reserved') throw new Error('not reserved');
      expect(taken.token).not.toBe(old.token);
      // The new owner is now fresh: a third party sees it in flight.
      expect(await store.reserve('u1', 'k', 'fp', t0 + STALE + 1, STALE)).toEqual({ outcome: 'in_flight' });
      await store.release('u1', 'k', old.token);
      await store.complete('u1', 'k', old.token, { status: 500, body: 'stale' }, t0 + STALE + 2);
      expect(await store.reserve('u1', 'k', 'fp', t0 + STALE + 3, STALE)).toEqual({ outcome: 'in_flight' });
      await store.complete('u1', 'k', taken.token, { status: 200, body: { ok: true } }, t0 + STALE + 4);
      expect(await store.reserve('u1', 'k', 'fp', t0 + STALE + 5, STALE)).toEqual({
        outcome: 'completed',
        response: { status: 200, body: { ok: true } },
      });
    });

    it('purges records older than the given time', async () => {
      await store.reserve('u1', 'old', 'fp', t0, STALE);
      await store.reserve('u1', 'new', 'fp', t0 + 100_000, STALE);
      expect(await store.purge(t0 + 50_000)).toBe(1);
      expect((await store.reserve('u1', 'old', 'other', t0 + 100_001, STALE)).outcome).toBe('reserved');
      expect((await store.reserve('u1', 'new', 'other', t0 + 100_001, STALE)).outcome).toBe('mismatch');
    });

    it('pings', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
