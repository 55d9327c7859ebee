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
