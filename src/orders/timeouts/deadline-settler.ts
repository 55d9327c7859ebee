// POST /testing/clock's promise: after the clock moved, every deadline due by then has been handled and the read
// models show it. Nothing answers back through the bus, so it watches the outcome instead: the projections
// caught up and no due deadline left in the store. Handling one deadline can schedule another one already due
// (an auto-accepted extension moves dueAt into the past), which the next round fires.
import type { ClockSettler } from '../../platform/clock/clock.port';
import type { DeadlinePoller } from './deadline-poller';

/** What the settler needs of the projection engine. */
export interface ProjectionCatchUp {
  catchUp(): Promise<unknown>;
}

export interface SettleOptions {
  /** Real time between two looks at the store while commands run. */
  pollMs: number;
  /** Without progress for this long, what is still due is fired again (a command may have failed). */
  refireAfterMs: number;
  /** Without progress for this long, settling fails, naming what is stuck, instead of hanging the request. */
  giveUpAfterMs: number;
}

export const DEFAULT_SETTLE_OPTIONS: SettleOptions = {
  pollMs: 5,
  refireAfterMs: 1000,
  giveUpAfterMs: 30_000,
};

export class DeadlineSettler implements ClockSettler {
  private readonly options: SettleOptions;

  constructor(
    private readonly poller: Pick<DeadlinePoller, 'runDue' | 'dueCount'>,
    private readonly projections: ProjectionCatchUp,
    options: Partial<SettleOptions> = {},
  ) {
    this.options = { ...DEFAULT_SETTLE_OPTIONS, ...options };
  }

  /** Returns how many due deadlines this call saw leave the store (the timer may have handled others). */
  async settle(now: Date): Promise<number> {
    const seen = new Set<string>();
    let lastDue = -1;
    let passedAt = -1;
    // Bounded in real time: the manual clock stands still while this runs.
    let progressAt = performance.now();
    let refiredAt = progressAt;
    for (;;) {
      await this.projections.catchUp();
      const due = await this.poller.dueCount(now);
      if (due === 0) return seen.size;
      const t = performance.now();
      // A pass reads every due deadline: worth it when one may be new (the count did not fall), once per
      // count, or to retry. A falling count is the commands' effects arriving.
      const maybeNew = due >= lastDue && due !== passedAt;
      if (due !== lastDue) progressAt = t;
      lastDue = due;
      if (t - progressAt > this.options.giveUpAfterMs) {
        throw new Error(`${due} deadline(s) due at ${now.toISOString()} still pending (see /health)`);
      }
      const retryNow = t - Math.max(progressAt, refiredAt) > this.options.refireAfterMs;
      if (maybeNew || retryNow) {
        if (retryNow) refiredAt = t;
        passedAt = due;
        for (const id of (await this.poller.runDue(now, { retryNow })).due) seen.add(id);
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
    }
  }
}
