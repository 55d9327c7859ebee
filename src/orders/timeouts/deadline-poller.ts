// Finds due deadlines and gets each handled exactly once in effect. Firing goes through the EventBus
// (DeadlineReached -> TimeoutSaga -> RunTimeoutCommand) and the result comes back through DeadlineCompletions.
// Safety with several pollers on the same data (two processes, a lease hand-over) does not rest on this class:
// the timeout commands are idempotent and the append checks the stream's revision, so a deadline fired twice
// has one effect. The outcome records only spare the work of firing it again.
import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../platform/clock/clock.port';
import type { DocumentWriter, ReadStore } from '../../platform/read-store/read-store.port';
import { DEADLINES_COLLECTION, type Deadline } from './deadline.types';
import type { DeadlineCompletions } from './deadline-completions';
import { DeadlineReached, type TimeoutResult } from './timeout.messages';

export const DEADLINE_OUTCOMES_COLLECTION = 'deadline_outcomes';

/** What happened to a deadline, keyed by the deadline's id (written outside projections). */
export interface DeadlineOutcome {
  deadlineId: string;
  orderId: string;
  kind: Deadline['kind'];
  dueAt: string;
  /** done: the command succeeded (events recorded, or nothing left to do). retrying: it failed, see nextAttemptAt. */
  status: 'done' | 'retrying';
  attempts: number;
  /** done: events recorded by the command (0 when it decided nothing). */
  events: number;
  position: string | null;
  lastError: string | null;
  /** retrying: not fired again before this (ISO). */
  nextAttemptAt: string | null;
  /** ISO, clock time of the last attempt's end. */
  updatedAt: string;
}

export interface DeadlinePollerOptions {
  /** Timer period. */
  intervalMs: number;
  /** Deadlines read per query. */
  batchSize: number;
  /** Orders handled at the same time (one order's deadlines run one after the other). */
  concurrency: number;
  /** A command not reported back within this is a failed attempt. */
  completionTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** After this many failed attempts a deadline shows as failing in /health. */
  failingAfterAttempts: number;
}

export const DEFAULT_POLLER_OPTIONS: DeadlinePollerOptions = {
  intervalMs: 1000,
  batchSize: 500,
  concurrency: 32,
  completionTimeoutMs: 30_000,
  backoffBaseMs: 1000,
  backoffMaxMs: 10 * 60_000,
  failingAfterAttempts: 3,
};

const RECENTLY_DONE_MAX = 100_000;
const OUTCOME_PRUNE_EVERY_MS = 60 * 60_000;
const OUTCOME_KEEP_MS = 24 * 60 * 60_000;

/** The poller's view of the projection engine. */
export interface DeadlinesProjectionSync {
  /** Resolves once readers are routed to the deadlines read model (the engine is initialized). */
  ready(): Promise<void>;
  /** Resolves once the deadlines projection has seen `position` (or gave up waiting). */
  waitForDeadlines(position: string): Promise<void>;
}

export interface DeadlinePollerDeps {
  store: ReadStore;
  eventBus: Pick<EventBus, 'publish'>;
  completions: DeadlineCompletions;
  clock: Clock;
  /** Resolves once the saga listens: DeadlineReached published earlier would be lost. */
  sagaReady: Promise<void>;
  projectionSync?: DeadlinesProjectionSync;
  options?: Partial<DeadlinePollerOptions>;
}

/** Bounded exponential backoff: base, 2·base, 4·base … up to max. */
export function backoffMs(
  attempts: number,
  options: Pick<DeadlinePollerOptions, 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  const exp = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(options.backoffBaseMs * 2 ** exp, options.backoffMaxMs);
}

const messageOf = (e: unknown): string =>
  (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 500);

export class DeadlinePoller {
  private readonly logger = new Logger('DeadlinePoller');
  readonly options: DeadlinePollerOptions;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private tickInFlight: Promise<void> | null = null;
  /** One attempt per deadline at a time in this process; a second caller awaits the first. */
  private readonly inflight = new Map<string, Promise<void>>();
  private lastRunAt: string | null = null;
  private lastError: string | null = null;
  private handledTotal = 0;

  constructor(private readonly deps: DeadlinePollerDeps) {
    this.options = { ...DEFAULT_POLLER_OPTIONS, ...deps.options };
  }

  async init(): Promise<void> {
    await this.deps.store.ensureCollection(DEADLINE_OUTCOMES_COLLECTION, [
      ['deadlineId'],
      ['status', 'attempts'],
      ['status', 'updatedAt'],
    ]);
  }

  get isRunning(): boolean {
    return this.running;
  }

  private markStarted!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  /** Starts the timer, the first run at once. Idempotent: a lease may call it on every renewal. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.runTick();
    this.markStarted();
  }

  /** Resolves once start() has been called (by bootstrap or by the worker lease), e.g. to await its first run. */
  whenStarted(): Promise<void> {
    return this.started;
  }

  /** Stops the timer and waits for the run in progress. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.whenIdle();
  }

  /**
   * Shutdown: stop() and fire nothing more, also on demand. Past this point the EventBus may already have let
   * go of the saga, and a DeadlineReached published then would only wait out its completion timeout.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
  }

  private disposed = false;

  /** Resolves when no timer run and no attempt is in progress (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.tickInFlight || this.inflight.size > 0) {
      await this.tickInFlight;
      await Promise.all([...this.inflight.values()]);
    }
  }

  private runTick(): void {
    this.tickInFlight = this.tick().finally(() => {
      this.tickInFlight = null;
      this.schedule();
    });
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) this.runTick();
    }, this.options.intervalMs);
    // The timer alone must not keep a process alive (tests, CLI); a server has its listener for that.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const now = this.deps.clock.now();
      await this.runDue(now);
      await this.pruneOutcomes(now);
      this.lastError = null;
    } catch (error) {
      // The store may be briefly unavailable: report and try again on the next tick.
      this.lastError = messageOf(error);
      this.logger.error(`deadline run failed: ${this.lastError}`);
    }
  }

  /**
   * Handles every deadline due at `now` that is neither done nor backing off, and waits for them (also for
   * attempts already in flight in this process). Returns how many deadlines it fired or waited for.
   */
  runDue(now: Date = this.deps.clock.now()): Promise<number> {
    // One pass at a time in a process (the timer's, POST /testing/clock's): two passes over the same due
    // deadlines would only share the work twice. A caller behind a pass runs its own afterwards.
    const pass = this.passes.then(() => this.runDueNow(now));
    this.passes = pass.catch(() => undefined);
    return pass;
  }

  private passes: Promise<unknown> = Promise.resolve();

  private async runDueNow(now: Date): Promise<number> {
    await this.deps.sagaReady;
    await this.deps.projectionSync?.ready();
    const nowIso = now.toISOString();
    this.lastRunAt = nowIso;
    const seen = new Set<string>();
    let handled = 0;
    let limit = this.options.batchSize;
    while (!this.disposed) {
      const due = await this.deps.store.find<Deadline>(
        DEADLINES_COLLECTION,
        { dueAt: { $lte: nowIso } },
        { sort: { dueAt: 1 }, limit },
      );
      const fresh = due.filter((d) => !seen.has(d.id));
      for (const d of fresh) seen.add(d.id);
      const outcomes = await this.outcomesOf(fresh.map((d) => d.id));
      const runnable = fresh.filter((d) => {
        if (this.recentlyDone.has(d.id)) return false;
        const o = outcomes.get(d.id);
        return !o || (o.status === 'retrying' && (o.nextAttemptAt ?? '') <= nowIso);
      });
      if (runnable.length > 0) {
        handled += runnable.length;
        const lastPosition = await this.runAll(runnable, outcomes, now);
        // Let the projection drop what was just handled, so the next page is mostly new deadlines.
        if (lastPosition !== null && this.deps.projectionSync) {
          await this.deps.projectionSync.waitForDeadlines(lastPosition);
        }
      }
      if (due.length < limit) break;
      // Documents still there were seen already (done, backing off, or not yet removed): read past them.
      if (fresh.length < due.length || runnable.length === 0) limit += this.options.batchSize;
    }
    this.handledTotal += handled;
    return handled;
  }

  /** Runs the deadlines, one order's after the other, `concurrency` orders at a time. */
  private async runAll(
    deadlines: Deadline[],
    outcomes: Map<string, DeadlineOutcome>,
    now: Date,
  ): Promise<string | null> {
    const byOrder = new Map<string, Deadline[]>();
    for (const d of deadlines) {
      const list = byOrder.get(d.orderId);
      if (list) list.push(d);
      else byOrder.set(d.orderId, [d]);
    }
    const groups = [...byOrder.values()];
    let next = 0;
    let lastPosition: string | null = null;
    const worker = async () => {
      while (next < groups.length) {
        for (const d of groups[next++]) {
          const position = await this.runOne(d, outcomes.get(d.id) ?? null, now);
          if (position !== null && (lastPosition === null || BigInt(position) > BigInt(lastPosition))) {
            lastPosition = position;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, groups.length) }, worker));
    return lastPosition;
  }

  private runOne(deadline: Deadline, previous: DeadlineOutcome | null, now: Date): Promise<string | null> {
    const existing = this.inflight.get(deadline.id);
    if (existing) return existing.then(() => null);
    // Finished by a concurrent run after this one read the outcomes: firing again would only be a no-op.
    if (this.recentlyDone.has(deadline.id) || this.disposed) return Promise.resolve(null);
    let position: string | null = null;
    const attempt = this.attempt(deadline, previous, now)
      .then((p) => {
        position = p;
      })
      .finally(() => this.inflight.delete(deadline.id));
    this.inflight.set(deadline.id, attempt);
    return attempt.then(() => position);
  }

  /** One attempt: fire, await the command, record the outcome. Never throws for the command's failure. */
  private async attempt(
    deadline: Deadline,
    previous: DeadlineOutcome | null,
    now: Date,
  ): Promise<string | null> {
    const attemptId = randomUUID();
    const completion = this.deps.completions.expect(attemptId, this.options.completionTimeoutMs);
    let result: TimeoutResult | null = null;
    let failure: unknown = null;
    try {
      this.deps.eventBus.publish(new DeadlineReached(deadline, now, attemptId));
    } catch (error) {
      this.deps.completions.fail(attemptId, error);
    }
    try {
      result = await completion;
    } catch (error) {
      failure = error;
    }
    const attempts = (previous?.attempts ?? 0) + 1;
    const at = this.deps.clock.now();
    const outcome: DeadlineOutcome = {
      deadlineId: deadline.id,
      orderId: deadline.orderId,
      kind: deadline.kind,
      dueAt: deadline.dueAt,
      status: result ? 'done' : 'retrying',
      attempts,
      events: result?.events ?? 0,
      position: result?.position ?? null,
      lastError: failure === null ? null : messageOf(failure),
      nextAttemptAt: result ? null : new Date(at.getTime() + backoffMs(attempts, this.options)).toISOString(),
      updatedAt: at.toISOString(),
    };
    if (!result) {
      this.logger.warn(
        `deadline ${deadline.id} failed (attempt ${attempts}), retry after ${outcome.nextAttemptAt}: ${outcome.lastError}`,
      );
    }
    await this.recordOutcome(outcome);
    if (result) this.markDone(deadline.id);
    return result?.position ?? null;
  }

  /** Deadlines this process saw done lately: spares reading their outcome (and a duplicate firing). */
  private readonly recentlyDone = new Set<string>();

  private markDone(id: string): void {
    if (this.recentlyDone.size >= RECENTLY_DONE_MAX) this.recentlyDone.clear();
    this.recentlyDone.add(id);
  }

  // ---- outcome records: writes from concurrent attempts are coalesced into one transaction ----

  private pendingWrites: DeadlineOutcome[] = [];
  private flushScheduled: Promise<void> | null = null;

  private recordOutcome(outcome: DeadlineOutcome): Promise<void> {
    this.pendingWrites.push(outcome);
    if (!this.flushScheduled) {
      this.flushScheduled = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        const batch = this.pendingWrites;
        this.pendingWrites = [];
        this.flushScheduled = null;
        return this.deps.store.write(async (w: DocumentWriter) => {
          for (const o of batch) await w.put(DEADLINE_OUTCOMES_COLLECTION, o.deadlineId, o);
        });
      });
    }
    return this.flushScheduled;
  }

  private async outcomesOf(ids: string[]): Promise<Map<string, DeadlineOutcome>> {
    const out = new Map<string, DeadlineOutcome>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      if (chunk.length === 0) continue;
      const found = await this.deps.store.find<DeadlineOutcome>(DEADLINE_OUTCOMES_COLLECTION, {
        deadlineId: { $in: chunk },
      });
      for (const o of found) out.set(o.deadlineId, o);
    }
    return out;
  }

  private lastPruneAt = 0;

  /**
   * Outcome records only matter while their deadline document exists (the projection removes it once the
   * command's events are applied). Drops old `done` records whose deadline is gone, a page per hour.
   */
  async pruneOutcomes(now: Date, force = false): Promise<number> {
    if (!force && now.getTime() - this.lastPruneAt < OUTCOME_PRUNE_EVERY_MS) return 0;
    this.lastPruneAt = now.getTime();
    const before = new Date(now.getTime() - OUTCOME_KEEP_MS).toISOString();
    const old = await this.deps.store.find<DeadlineOutcome>(
      DEADLINE_OUTCOMES_COLLECTION,
      { status: 'done', updatedAt: { $lt: before } },
      { sort: { updatedAt: 1 }, limit: 1000 },
    );
    const gone: string[] = [];
    for (const o of old) {
      if ((await this.deps.store.get(DEADLINES_COLLECTION, o.deadlineId)) === null) gone.push(o.deadlineId);
    }
    if (gone.length > 0) {
      await this.deps.store.write(async (w) => {
        for (const id of gone) await w.delete(DEADLINE_OUTCOMES_COLLECTION, id);
      });
    }
    return gone.length;
  }

  // ---- visibility ----

  /** For /health: degraded while some deadline keeps failing. */
  async health(): Promise<{ status: 'ok' | 'degraded'; details: Record<string, unknown> }> {
    const failing = await this.deps.store.find<DeadlineOutcome>(
      DEADLINE_OUTCOMES_COLLECTION,
      { status: 'retrying', attempts: { $gte: this.options.failingAfterAttempts } },
      { sort: { attempts: -1 }, limit: 10 },
    );
    const failingCount =
      failing.length < 10
        ? failing.length
        : await this.deps.store.count(DEADLINE_OUTCOMES_COLLECTION, {
            status: 'retrying',
            attempts: { $gte: this.options.failingAfterAttempts },
          });
    return {
      status: failingCount > 0 || this.lastError ? 'degraded' : 'ok',
      details: {
        running: this.running,
        lastRunAt: this.lastRunAt,
        handled: this.handledTotal,
        inFlight: this.inflight.size,
        lastError: this.lastError,
        failing: failingCount,
        failingDeadlines: failing.map((o) => ({
          id: o.deadlineId,
          attempts: o.attempts,
          lastError: o.lastError,
          nextAttemptAt: o.nextAttemptAt,
        })),
      },
    };
  }
}
