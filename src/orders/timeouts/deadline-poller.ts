// Fires due deadlines: publishes DeadlineReached (the saga sends the order's timeout command) and moves on.
// Nothing waits for an answer. A deadline leaves the `deadlines` store when the projection sees the event that
// handled it; until then it is fired again after a bounded exponential backoff on the injected clock. Firing
// twice is harmless (the timeout commands are idempotent, the append checks the revision), which is also what
// makes several pollers on the same data safe.
import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import type { Clock } from '../../platform/clock/clock.port';
import type { ReadModels } from '../../platform/read-store/read-store.port';
import { DEADLINES_COLLECTION, type Deadline } from './deadline.types';
import { DeadlineReached } from './timeout.saga';

export const DEADLINE_ATTEMPTS_COLLECTION = 'deadline_attempts';

/** How often a deadline still in the store was fired (written by the poller, not by a projection). */
export interface DeadlineAttempt {
  deadlineId: string;
  orderId: string;
  kind: Deadline['kind'];
  attempts: number;
  /** ISO, clock time: not fired again before this. */
  nextAttemptAt: string;
}

export interface DeadlinePollerOptions {
  intervalMs: number;
  /** Deadlines read per query. */
  batchSize: number;
  /** The wait before the first retry: long enough for a command and the projection to normally be done. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** From this attempt on a deadline is reported stuck (logged once, listed in /health); still retried. */
  stuckAfterAttempts: number;
}

export const DEFAULT_POLLER_OPTIONS: DeadlinePollerOptions = {
  intervalMs: 1000,
  batchSize: 500,
  backoffBaseMs: 10_000,
  backoffMaxMs: 10 * 60_000,
  stuckAfterAttempts: 8,
};

export interface DuePass {
  due: string[];
  fired: string[];
}

const PRUNE_EVERY_MS = 60 * 60_000;

export interface DeadlinePollerDeps {
  store: ReadModels;
  eventBus: Pick<EventBus, 'publish'>;
  clock: Clock;
  /** Resolves once the saga listens and the read store is routed (a deadline fired earlier would be lost). */
  ready: () => Promise<void>;
  options?: Partial<DeadlinePollerOptions>;
}

/** Bounded exponential backoff after `attempts` firings: base, 2·base, 4·base … up to max. */
export function backoffMs(
  attempts: number,
  options: Pick<DeadlinePollerOptions, 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  const exp = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(options.backoffBaseMs * 2 ** exp, options.backoffMaxMs);
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 500);

export class DeadlinePoller {
  private readonly logger = new Logger('DeadlinePoller');
  readonly options: DeadlinePollerOptions;
  private running = false;
  private disposed = false;
  private timer: NodeJS.Timeout | null = null;
  private tickInFlight: Promise<void> | null = null;
  /** One pass at a time in a process (the timer's, the settler's): two would fire the same deadlines twice. */
  private passes: Promise<unknown> = Promise.resolve();
  private lastRunAt: string | null = null;
  private lastError: string | null = null;
  private fired = 0;
  private lastPruneAt = 0;
  private markStarted!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(private readonly deps: DeadlinePollerDeps) {
    this.options = { ...DEFAULT_POLLER_OPTIONS, ...deps.options };
  }

  async init(): Promise<void> {
    await this.deps.store.ensureCollection(DEADLINE_ATTEMPTS_COLLECTION, [['deadlineId'], ['attempts']]);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts the timer, the first run at once. Idempotent: the worker lease may call it on every renewal. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.runTick();
    this.markStarted();
  }

  /** Resolves once start() has been called (by bootstrap or by the worker lease). */
  whenStarted(): Promise<void> {
    return this.started;
  }

  /** Stops the timer and waits for the pass in progress. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.whenIdle();
  }

  /** Shutdown: stop, and fire nothing more, also on demand (the EventBus may be letting go of the saga). */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
  }

  /** Resolves when no timer pass is in progress (the commands it sent may still be running). */
  async whenIdle(): Promise<void> {
    while (this.tickInFlight) await this.tickInFlight;
  }

  private runTick(): void {
    this.tickInFlight = this.tick().finally(() => {
      this.tickInFlight = null;
      if (!this.running) return;
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.running) this.runTick();
      }, this.options.intervalMs);
      // The timer alone must not keep a process alive (tests, CLI); a server has its listener for that.
      this.timer.unref();
    });
  }

  private async tick(): Promise<void> {
    try {
      const now = this.deps.clock.now();
      await this.runDue(now);
      await this.pruneAttempts(now);
      this.lastError = null;
    } catch (error) {
      // The store may be briefly unavailable: report and try again on the next tick.
      this.lastError = messageOf(error);
      this.logger.error(`deadline run failed: ${this.lastError}`);
    }
  }

  /**
   * Fires every deadline due at `now` that is not backing off (`retryNow`: backing off or not). Returns the ids
   * of the deadlines it found due and of those it fired; does not wait for the commands.
   */
  runDue(now: Date = this.deps.clock.now(), { retryNow = false } = {}): Promise<DuePass> {
    const pass = this.passes.then(() => this.fireDue(now, retryNow));
    this.passes = pass.catch(() => undefined);
    return pass;
  }

  private async fireDue(now: Date, retryNow: boolean): Promise<DuePass> {
    await this.deps.ready();
    const nowIso = now.toISOString();
    this.lastRunAt = nowIso;
    const fired: string[] = [];
    const seen = new Set<string>();
    // Fired deadlines stay listed until the projection removes them: each page reads past the ones before.
    for (let limit = this.options.batchSize; !this.disposed; limit += this.options.batchSize) {
      const due = await this.dueDeadlines(nowIso, limit);
      const fresh = due.filter((d) => !seen.has(d.id));
      for (const d of fresh) seen.add(d.id);
      const attempts = await this.attemptsOf(fresh.map((d) => d.id));
      const runnable = fresh.filter((d) => retryNow || (attempts.get(d.id)?.nextAttemptAt ?? '') <= nowIso);
      for (const d of runnable) this.fire(d);
      await this.record(runnable, attempts, now);
      fired.push(...runnable.map((d) => d.id));
      if (due.length < limit) break;
    }
    this.fired += fired.length;
    return { due: [...seen], fired };
  }

  private fire(deadline: Deadline): void {
    try {
      this.deps.eventBus.publish(new DeadlineReached(deadline));
    } catch (error) {
      // The attempt is recorded all the same: the deadline is retried after its backoff.
      this.logger.error(`deadline ${deadline.id} not published: ${messageOf(error)}`);
    }
  }

  private async record(fired: Deadline[], previous: Map<string, DeadlineAttempt>, now: Date): Promise<void> {
    if (fired.length === 0) return;
    await this.deps.store.write(async (w) => {
      for (const d of fired) {
        const attempts = (previous.get(d.id)?.attempts ?? 0) + 1;
        const next = new Date(now.getTime() + backoffMs(attempts, this.options)).toISOString();
        if (attempts === this.options.stuckAfterAttempts) {
          // Decider and schedule disagree, or the order cannot be written: someone has to look.
          this.logger.error(
            `deadline ${d.id} is still pending after ${attempts} attempts; retried every ` +
              `${this.options.backoffMaxMs} ms at most (see /health)`,
          );
        }
        const doc: DeadlineAttempt = {
          deadlineId: d.id,
          orderId: d.orderId,
          kind: d.kind,
          attempts,
          nextAttemptAt: next,
        };
        await w.put(DEADLINE_ATTEMPTS_COLLECTION, d.id, doc);
      }
    });
  }

  private dueDeadlines(nowIso: string, limit: number): Promise<Deadline[]> {
    return this.deps.store.find<Deadline>(
      DEADLINES_COLLECTION,
      { dueAt: { $lte: nowIso } },
      { sort: { dueAt: 1 }, limit },
    );
  }

  private async attemptsOf(ids: string[]): Promise<Map<string, DeadlineAttempt>> {
    const out = new Map<string, DeadlineAttempt>();
    for (let i = 0; i < ids.length; i += 500) {
      const found = await this.deps.store.find<DeadlineAttempt>(DEADLINE_ATTEMPTS_COLLECTION, {
        deadlineId: { $in: ids.slice(i, i + 500) },
      });
      for (const a of found) out.set(a.deadlineId, a);
    }
    return out;
  }

  /** How many deadlines are due at `now` and still in the store (handled ones leave it). */
  dueCount(now: Date): Promise<number> {
    return this.deps.store.count(DEADLINES_COLLECTION, { dueAt: { $lte: now.toISOString() } });
  }

  /** Attempt records whose deadline has left the store are of no use: dropped, a page per hour. */
  async pruneAttempts(now: Date, force = false): Promise<number> {
    if (!force && now.getTime() - this.lastPruneAt < PRUNE_EVERY_MS) return 0;
    this.lastPruneAt = now.getTime();
    const records = await this.deps.store.find<DeadlineAttempt>(
      DEADLINE_ATTEMPTS_COLLECTION,
      {},
      { limit: 1000 },
    );
    const gone: string[] = [];
    for (const r of records) {
      if ((await this.deps.store.get(DEADLINES_COLLECTION, r.deadlineId)) === null) gone.push(r.deadlineId);
    }
    if (gone.length > 0) {
      await this.deps.store.write(async (w) => {
        for (const id of gone) await w.delete(DEADLINE_ATTEMPTS_COLLECTION, id);
      });
    }
    return gone.length;
  }

  /** Figures for metrics: deadlines due and still pending, and how many this process fired. */
  async figures(now: Date = this.deps.clock.now()): Promise<{ due: number; fired: number }> {
    return { due: await this.dueCount(now), fired: this.fired };
  }

  /** For /health: degraded while a deadline is stuck (fired `stuckAfterAttempts` times and still pending). */
  async health(): Promise<{ status: 'ok' | 'degraded'; details: Record<string, unknown> }> {
    const stuckFilter = { attempts: { $gte: this.options.stuckAfterAttempts } };
    const stuck = await this.deps.store.find<DeadlineAttempt>(DEADLINE_ATTEMPTS_COLLECTION, stuckFilter, {
      sort: { attempts: -1 },
      limit: 10,
    });
    // A record outlives its deadline until pruned: only those still in the store count.
    const pending: DeadlineAttempt[] = [];
    for (const a of stuck) {
      if ((await this.deps.store.get(DEADLINES_COLLECTION, a.deadlineId)) !== null) pending.push(a);
    }
    return {
      status: pending.length > 0 || this.lastError ? 'degraded' : 'ok',
      details: {
        running: this.running,
        lastRunAt: this.lastRunAt,
        fired: this.fired,
        lastError: this.lastError,
        stuck: pending.length,
        stuckDeadlines: pending.map((a) => ({
          id: a.deadlineId,
          attempts: a.attempts,
          nextAttemptAt: a.nextAttemptAt,
        })),
      },
    };
  }
}
