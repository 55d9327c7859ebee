// Leases inside one process (tests, the in-memory stores).
import { type Clock, SystemClock } from '../clock/clock.port';
import { assertLeaseArgs, LeaseHolder, LeaseStore } from './lease-store.port';

interface Lease {
  /** null: released (kept so the generation keeps counting). */
  owner: string | null;
  expiresAtMs: number;
  generation: number;
}

export class InMemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Lease>();

  /** Expiry by `clock` (the system clock unless a test passes a ManualClock). */
  constructor(private readonly clock: Clock = new SystemClock()) {}

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertLeaseArgs(name, owner, ttlMs);
    const now = this.nowMs();
    const lease = this.leases.get(name);
    if (lease && lease.owner !== owner && lease.expiresAtMs > now) return false;
    const generation = !lease ? 1 : lease.owner === owner ? lease.generation : lease.generation + 1;
    this.leases.set(name, { owner, expiresAtMs: now + ttlMs, generation });
    return true;
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertLeaseArgs(name, owner, ttlMs);
    const lease = this.leases.get(name);
    if (!lease || lease.owner !== owner) return false;
    lease.expiresAtMs = this.nowMs() + ttlMs;
    return true;
  }

  async release(name: string, owner: string): Promise<void> {
    assertLeaseArgs(name, owner);
    const lease = this.leases.get(name);
    if (lease?.owner === owner) Object.assign(lease, { owner: null, expiresAtMs: 0 });
  }

  async holder(name: string): Promise<LeaseHolder | null> {
    const lease = this.leases.get(name);
    if (!lease || lease.owner === null) return null;
    return {
      owner: lease.owner,
      expiresAt: new Date(lease.expiresAtMs).toISOString(),
      generation: lease.generation,
    };
  }

  async close(): Promise<void> {
    this.leases.clear();
  }
}
