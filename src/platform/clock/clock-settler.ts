// What POST /testing/clock waits for after moving the clock: every deadline due by the new time handled and the
// read models caught up. Provided by the timeouts module; the clock module only knows this token, which keeps
// the (global, low-level) clock module free of a dependency on the order context.
export const CLOCK_SETTLER = Symbol('CLOCK_SETTLER');

export interface ClockSettler {
  /**
   * Resolves once nothing due at `now` is pending and the read models show it; returns how many due deadlines
   * it saw handled. Rejects, rather than hang, when something due stays pending.
   */
  settle(now: Date): Promise<number>;
}
