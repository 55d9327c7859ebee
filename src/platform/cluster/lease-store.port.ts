// Leases: at most one holder of a name at a time, for a bounded time. The `worker` lease elects the process that
// runs the projections and the deadline poller (WorkerSupervisor). A lease only makes double work rare; the
// guarantees hold without it (projection batches compare-and-set their checkpoint, timeout appends check the
// stream revision), so a holder that pauses past its expiry cannot apply anything twice.
// Adapters: sqlite-lease-store (`<dataDir>/cluster.db`, processes on one host), mongo-lease-store (MongoDB's
// clock decides expiry, so replicas on different hosts need no synchronised clocks), in-memory (tests).
export const LEASE_STORE = Symbol('LEASE_STORE');

export interface LeaseHolder {
  owner: string;
  /** ISO-8601, by the store's clock. */
  expiresAt: string;
  /** Incremented every time the lease changes hands (a fencing token, for logs and diagnostics). */
  generation: number;
}

export interface LeaseStore {
  /** Takes the lease when it is free, expired or already `owner`'s; true when `owner` now holds it for ttlMs. */
  tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Extends `owner`'s lease by ttlMs from now; false when someone else holds it (or nobody: it was released).
   * An expired lease nobody took meanwhile is still `owner`'s and is renewed.
   */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it, so another instance can take over at once. */
  release(name: string, owner: string): Promise<void>;
  /** The current holder (expired or not), or null. */
  holder(name: string): Promise<LeaseHolder | null>;
  close(): Promise<void>;
}

export function assertLeaseArgs(name: string, owner: string, ttlMs?: number): void {
  if (!name) throw new RangeError('lease: the name is empty');
  if (!owner) throw new RangeError('lease: the owner is empty');
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)) {
    throw new RangeError(`lease: ttlMs must be a positive integer, got ${ttlMs}`);
  }
}
