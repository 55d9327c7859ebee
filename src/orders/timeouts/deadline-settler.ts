// POST /testing/clock's promise: after the clock moved, nothing due is left pending and the read models show it.
// Handling a deadline can schedule another one that is already due (an auto-accepted extension moves dueAt into
// the past; a request closing lets an auto-completion fall due), so it loops until a round handles nothing.
import type { ClockSettler } from '../../platform/clock/clock-settler';
import { DeadlinePoller } from './deadline-poller';

/** What the settler needs of the projection engine. */
export interface ProjectionCatchUp {
  catchUp(): Promise<unknown>;
}

/** Far more rounds than any chain of deadlines needs; a bug must not hang the request forever. */
const MAX_ROUNDS = 100;

export class DeadlineSettler implements ClockSettler {
  constructor(
    private readonly poller: DeadlinePoller,
    private readonly projections: ProjectionCatchUp,
  ) {}

  async settle(now: Date): Promise<number> {
    let total = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      await this.projections.catchUp();
      const handled = await this.poller.runDue(now);
      if (handled === 0) {
        await this.projections.catchUp();
        return total;
      }
      total += handled;
    }
    throw new Error(`deadlines still falling due after ${MAX_ROUNDS} rounds at ${now.toISOString()}`);
  }
}
