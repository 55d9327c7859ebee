// Leases: at most one holder of a name at a time, for a bounded time (the `worker` lease: WorkerSupervisor). A
// lease only makes double work rare: checkpoints and timeout appends are compare-and-set, so a holder paused past
// its expiry cannot apply anything twice. Adapters: SQLite (a file per host, or in memory), MongoDB.
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
  /** Extends `owner`'s lease (expired too, if nobody took it) by ttlMs from now; false when not `owner`'s. */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it, so another instance can take over at once. */
  release(name: string, owner: string): Promise<void>;
  /** The current holder (expired or not), or null. */
  holder(name: string): Promise<LeaseHolder | null>;
  close(): Promise<void>;
}
