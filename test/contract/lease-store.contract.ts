// The behaviour every LeaseStore adapter shares: run by test/contract/lease-store.spec.ts (SQLite, in-memory) and
// test/containers/mongo-stores.spec.ts (MongoDB), each on a ManualClock (no test sleeps through real time).
import type { ManualClock } from '../../src/platform/clock/clock.port';
import type { LeaseStore } from '../../src/platform/cluster/lease-store.port';

export interface LeaseStoreFixture {
  store: LeaseStore;
  /** A second connection to the same data (another process, in production). */
  other: LeaseStore;
  /** The clock both connections measure expiry by: the tests move it instead of sleeping. */
  clock: ManualClock;
  cleanup(): Promise<void>;
}

export function describeLeaseStoreContract(name: string, factory: () => Promise<LeaseStoreFixture>): void {
  describe(`LeaseStore contract: ${name}`, () => {
    let f: LeaseStoreFixture;
    let lease: string;
    beforeEach(async () => {
      f = await factory();
      lease = `worker-${Math.random().toString(36).slice(2)}`;
    });
    afterEach(async () => {
      await f.cleanup();
    });

    it('gives a free lease to the first asker and refuses others while it lives', async () => {
      expect(await f.store.tryAcquire(lease, 'a', 60_000)).toBe(true);
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(false);
      expect(await f.store.tryAcquire(lease, 'b', 60_000)).toBe(false);
      expect((await f.other.holder(lease))?.owner).toBe('a');
    });

    it('lets the holder acquire again and renew', async () => {
      expect(await f.store.tryAcquire(lease, 'a', 60_000)).toBe(true);
      expect(await f.store.tryAcquire(lease, 'a', 60_000)).toBe(true);
      expect(await f.store.renew(lease, 'a', 60_000)).toBe(true);
      expect(await f.other.renew(lease, 'b', 60_000)).toBe(false);
      expect((await f.store.holder(lease))?.generation).toBe(1);
    });

    it('keeps a lease up to its expiry and hands it over from then on', async () => {
      expect(await f.store.tryAcquire(lease, 'a', 150)).toBe(true);
      f.clock.advance(149);
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(false);
      f.clock.advance(1);
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(true);
    });

    it('a renewal extends the lease by ttl from now', async () => {
      expect(await f.store.tryAcquire(lease, 'a', 150)).toBe(true);
      f.clock.advance(100);
      expect(await f.store.renew(lease, 'a', 150)).toBe(true);
      f.clock.advance(149); // 249 ms after the acquisition: alive thanks to the renewal
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(false);
      f.clock.advance(1);
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(true);
    });

    it('hands an expired lease over, and the old holder can no longer renew', async () => {
      expect(await f.store.tryAcquire(lease, 'a', 150)).toBe(true);
      f.clock.advance(300);
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(true);
      expect(await f.store.renew(lease, 'a', 60_000)).toBe(false);
      const holder = await f.store.holder(lease);
      expect(holder?.owner).toBe('b');
      expect(holder?.generation).toBe(2);
    });

    it('renews an expired lease nobody took', async () => {
      expect(await f.store.tryAcquire(lease, 'a', 150)).toBe(true);
      f.clock.advance(300);
      expect(await f.store.renew(lease, 'a', 60_000)).toBe(true);
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(false);
    });

    it('release frees the lease at once, only for its holder', async () => {
      expect(await f.store.tryAcquire(lease, 'a', 60_000)).toBe(true);
      await f.other.release(lease, 'b');
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(false);
      await f.store.release(lease, 'a');
      expect(await f.store.holder(lease)).toBeNull();
      expect(await f.store.renew(lease, 'a', 60_000)).toBe(false);
      expect(await f.other.tryAcquire(lease, 'b', 60_000)).toBe(true);
    });

    it('of many concurrent askers exactly one wins', async () => {
      const owners = Array.from({ length: 12 }, (_, i) => `o${i}`);
      const results = await Promise.all(
        owners.map((owner, i) => (i % 2 ? f.store : f.other).tryAcquire(lease, owner, 60_000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await f.store.holder(lease))?.owner).toBe(owners[results.indexOf(true)]);
    });

    it('keeps leases of different names apart', async () => {
      expect(await f.store.tryAcquire(lease, 'a', 60_000)).toBe(true);
      expect(await f.other.tryAcquire(`${lease}-other`, 'b', 60_000)).toBe(true);
    });
  });
}
