// Runs the background workers (projection engine, deadline poller) in exactly one process of the deployment at a
// time: the holder of the `worker` lease. APP_ROLE=api never runs them; worker|all processes compete for the
// lease, renew it every ttl/3, and start the workers only while holding it. A holder that cannot renew stops its
// workers when its lease would have expired (a local watchdog, by its own clock, measured from before the last
// successful renewal), so by the time another process may take the lease over, this one has stopped applying.
// A graceful shutdown releases the lease so a standby takes over at its next attempt instead of after the TTL.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock/clock.port';
import type { AppRole } from '../config/config';
import type { LeaseStore } from './lease-store.port';
import { firstLine, withTimeout } from './store-availability';

/** What the supervisor starts and stops: both must be idempotent. */
export interface SupervisedWorker {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface WorkerSupervisorOptions {
  role: AppRole;
  /** Default `worker`. */
  leaseName?: string;
  /** Default 15000 ms. Renewal every ttl/3; a dead holder is replaced within ttl + ttl/3. */
  ttlMs?: number;
  /** Default `<hostname>:<pid>:<random>`: unique per process run. */
  owner?: string;
  logger?: { log(message: string): void; warn(message: string): void; error(message: string): void };
  /** Monotonic milliseconds (the watchdog must not jump with the wall clock). */
  nowMs?: () => number;
  /**
   * Instead of nowMs, for tests: a ManualClock (with timers the test drives). Not the app's CLOCK in production:
   * under CLOCK=manual it jumps by days, and the watchdog must follow real time.
   */
  clock?: Clock;
}

export interface SupervisorStatus {
  role: AppRole;
  owner: string;
  leaseName: string;
  ttlMs: number;
  leader: boolean;
  /** The workers ran at some point and have been handed over since (lost or released lease). */
  handovers: number;
  workers: string[];
  lastError: string | null;
}

export const DEFAULT_LEASE_TTL_MS = 15_000;

export class WorkerSupervisor {
  readonly owner: string;
  private readonly leaseName: string;
  private readonly ttlMs: number;
  private readonly role: AppRole;
  private readonly logger: NonNullable<WorkerSupervisorOptions['logger']>;
  private readonly nowMs: () => number;
  private readonly workers = new Map<string, SupervisedWorker>();
  private leading = false;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Serialises ticks, lead and demote: never two lease operations or two worker transitions at once. */
  private chain: Promise<void> = Promise.resolve();
  private handovers = 0;
  private lastError: string | null = null;

  constructor(
    private readonly leases: LeaseStore,
    options: WorkerSupervisorOptions,
  ) {
    this.role = options.role;
    this.leaseName = options.leaseName ?? 'worker';
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!Number.isSafeInteger(this.ttlMs) || this.ttlMs < 30) {
      throw new RangeError(`lease ttl must be an integer >= 30 ms, got ${this.ttlMs}`);
    }
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.logger = options.logger ?? console;
    const clock = options.clock;
    this.nowMs = options.nowMs ?? (clock ? () => clock.now().getTime() : () => performance.now());
  }

  /** Adds a worker; register before start(). Ignored for APP_ROLE=api (they never run there). */
  register(name: string, worker: SupervisedWorker): void {
    if (this.workers.has(name)) throw new Error(`Worker ${name} is already registered`);
    this.workers.set(name, worker);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  status(): SupervisorStatus {
    return {
      role: this.role,
      owner: this.owner,
      leaseName: this.leaseName,
      ttlMs: this.ttlMs,
      leader: this.leading,
      handovers: this.handovers,
      workers: [...this.workers.keys()],
      lastError: this.lastError,
    };
  }

  /** Starts competing for the lease (first attempt awaited). A no-op for APP_ROLE=api. */
  async start(): Promise<void> {
    if (this.role === 'api' || this.running) return;
    this.running = true;
    this.timer = setInterval(
      () => void this.enqueue(() => this.tick()),
      Math.max(10, Math.floor(this.ttlMs / 3)),
    );
    await this.enqueue(() => this.tick());
  }

  /**
   * Stops the workers if running here, releases the lease, stops competing. Not queued behind a lease call in
   * flight: a store that hangs must not keep the process from shutting down.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    const wasLeading = this.leading;
    await this.demote('shutting down');
    if (!wasLeading) return;
    await withTimeout(
      this.leases.release(this.leaseName, this.owner),
      Math.min(this.ttlMs, 2000),
      () => new Error('no answer'),
    ).catch((error: unknown) => {
      this.logger.warn(
        `Could not release the ${this.leaseName} lease (${firstLine(error)}): it expires by itself`,
      );
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step).catch((error: unknown) => {
      this.lastError = firstLine(error);
      this.logger.error(`Worker supervisor: ${this.lastError}`);
    });
    this.chain = next;
    return next;
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const startedAt = this.nowMs();
    if (this.leading) {
      let renewed: boolean;
      try {
        renewed = await this.leases.renew(this.leaseName, this.owner, this.ttlMs);
      } catch (error) {
        // Keep going until the watchdog says the lease may have expired: the store may be back in time.
        this.lastError = firstLine(error);
        this.logger.warn(`Could not renew the ${this.leaseName} lease (${this.lastError}); retrying`);
        return;
      }
      if (!this.leading) return; // the watchdog demoted us meanwhile; the next tick competes again
      if (renewed) this.armWatchdog(startedAt);
      else await this.demote('lease lost to another instance');
      return;
    }
    let acquired = false;
    try {
      acquired = await this.leases.tryAcquire(this.leaseName, this.owner, this.ttlMs);
    } catch (error) {
      this.lastError = firstLine(error);
      return;
    }
    if (!acquired || !this.running) return;
    await this.lead(startedAt);
  }

  private async lead(acquiredAt: number): Promise<void> {
    this.leading = true;
    this.armWatchdog(acquiredAt);
    this.logger.log(
      `${this.owner} holds the ${this.leaseName} lease: starting ${[...this.workers.keys()].join(', ')}`,
    );
    for (const [name, worker] of this.workers) {
      try {
        await worker.start();
      } catch (error) {
        this.lastError = `${name} failed to start: ${firstLine(error)}`;
        this.logger.error(`${this.lastError}; handing the lease back`);
        await this.demote('a worker failed to start');
        await this.leases.release(this.leaseName, this.owner).catch(() => undefined);
        return;
      }
      if (!this.leading) {
        // Lost (or shutting down) while this one was starting: it must not stay up.
        await Promise.resolve(worker.stop()).catch(() => undefined);
        return;
      }
    }
  }

  private async demote(reason: string): Promise<void> {
    const wasLeading = this.leading;
    this.leading = false;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (!wasLeading) return;
    this.handovers++;
    this.logger.warn(`${this.owner} stops the workers: ${reason}`);
    for (const [name, worker] of [...this.workers].reverse()) {
      try {
        await worker.stop();
      } catch (error) {
        this.logger.error(`${name} failed to stop: ${firstLine(error)}`);
      }
    }
  }

  /** The lease runs until renewedAt + ttl by our clock at the latest: stop the workers before then. */
  private armWatchdog(renewedAt: number): void {
    clearTimeout(this.watchdog);
    // A small margin: stopping is asynchronous (a batch in flight finishes, then stops).
    const margin = Math.min(1000, Math.floor(this.ttlMs / 10));
    const delay = Math.max(0, renewedAt + this.ttlMs - margin - this.nowMs());
    this.watchdog = setTimeout(() => {
      // Not through the chain: a renewal hanging in it is exactly what this guards against.
      if (this.leading) void this.demote('lease not renewed in time').catch(() => undefined);
    }, delay);
  }
}
