// Time is injected everywhere: the decider gets `now` on the command, services ask the Clock.
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/** Test and CLOCK=manual clock: moves only when told. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(now: Date): void {
    this.current = now.getTime();
  }
  advance(ms: number): Date {
    this.current += ms;
    return this.now();
  }
}

// What POST /testing/clock waits for after moving the clock; provided by the timeouts module, known here by token only.
export const CLOCK_SETTLER = Symbol('CLOCK_SETTLER');

export interface ClockSettler {
  /** Resolves once nothing due at `now` is pending and the read models show it; returns how many it handled. */
  settle(now: Date): Promise<number>;
}
