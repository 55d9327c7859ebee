// Runs the background workers (projections, deadline poller) in one process of the deployment at a time: the
// holder of the `worker` lease. APP_ROLE=api never runs them; worker|all processes compete for the lease and renew
// it every ttl/3. A holder that cannot renew stops its workers before its lease may expire (a watchdog on its own
// clock, from before the last renewal); a graceful stop releases the lease so a standby takes over at once.
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
  /** Renewal every ttl/3; a dead holder is replaced within ttl + ttl/3. */
  ttlMs: number;
  logger: { log(message: string): void; warn(message: string): void; error(message: string): void };
  /** Tests: a ManualClock. Otherwise performance.now(), not the app's CLOCK (CLOCK=manual jumps by days). */
  clock?: Clock;
}

const LEASE = 'worker';

export class WorkerSupervisor {
  /** Unique per process run. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly logger: WorkerSupervisorOptions['logger'];
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
    private readonly options: WorkerSupervisorOptions,
  ) {
    this.logger = options.logger;
  }

  /** Adds a worker; register before start(). */
  register(name: string, worker: SupervisedWorker): void {
    if (this.workers.has(name)) throw new Error(`Worker ${name} is already registered`);
    this.workers.set(name, worker);
  }

  status() {
    const { role, ttlMs } = this.options;
    return {
      role,
      owner: this.owner,
      leaseName: LEASE,
      ttlMs,
      leader: this.leading,
      handovers: this.handovers, // the workers ran here, then were handed over (lease lost or released)
      workers: [...this.workers.keys()],
      lastError: this.lastError,
    };
  }

  /** Starts competing for the lease (first attempt awaited). A no-op for APP_ROLE=api. */
  async start(): Promise<void> {
    if (this.options.role === 'api' || this.running) return;
    this.running = true;
    const every = Math.max(10, Math.floor(this.options.ttlMs / 3));
    this.timer = setInterval(() => void this.enqueue(() => this.tick()), every);
    await this.enqueue(() => this.tick());
  }

  /** Stops the workers, releases the lease. Not queued behind a lease call: a hanging store must not block exit. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    const wasLeading = this.leading;
    await this.demote('shutting down');
    if (!wasLeading) return;
    const release = this.leases.release(LEASE, this.owner);
    const timeoutMs = Math.min(this.options.ttlMs, 2000); // past the TTL, the lease has expired anyway
    await withTimeout(release, timeoutMs, () => new Error('no answer')).catch((error: unknown) => {
      this.logger.warn(`Could not release the ${LEASE} lease (${firstLine(error)}): it expires by itself`);
    });
  }

  private nowMs(): number {
    return this.options.clock?.now().getTime() ?? performance.now();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch((error: unknown) => {
      this.lastError = firstLine(error);
      this.logger.error(`Worker supervisor: ${this.lastError}`);
    });
    return this.chain;
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const startedAt = this.nowMs();
    const { ttlMs } = this.options;
    if (!this.leading) {
      const acquired = await this.leases.tryAcquire(LEASE, this.owner, ttlMs).catch((error: unknown) => {
        this.lastError = firstLine(error);
        return false;
      });
      if (acquired && this.running) await this.lead(startedAt);
      return;
    }
    const renewed = await this.leases.renew(LEASE, this.owner, ttlMs).catch((error: unknown) => {
      // Retried until the watchdog says the lease may have expired: the store may be back in time.
      this.lastError = firstLine(error);
      this.logger.warn(`Could not renew the ${LEASE} lease (${this.lastError}); retrying`);
      return null;
    });
    if (renewed === null || !this.leading) return; // or the watchdog demoted us meanwhile: compete again
    if (renewed) this.armWatchdog(startedAt);
    else await this.demote('lease lost to another instance');
  }

  private async lead(acquiredAt: number): Promise<void> {
    this.leading = true;
    this.armWatchdog(acquiredAt);
    this.logger.log(`${this.owner} holds the lease: starting ${[...this.workers.keys()].join(', ')}`);
    for (const [name, worker] of this.workers) {
      try {
        await worker.start();
      } catch (error) {
        this.lastError = `${name} failed to start: ${firstLine(error)}`;
        this.logger.error(`${this.lastError}; handing the lease back`);
        await this.demote('a worker failed to start');
        await this.leases.release(LEASE, this.owner).catch(() => undefined);
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
    const { ttlMs } = this.options;
    const delay = Math.max(0, renewedAt + ttlMs - Math.min(1000, Math.floor(ttlMs / 10)) - this.nowMs());
    this.watchdog = setTimeout(() => {
      // Not through the chain: a renewal hanging in it is exactly what this guards against.
      if (this.leading) void this.demote('lease not renewed in time').catch(() => undefined);
    }, delay);
  }
}
