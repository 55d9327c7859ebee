// GET/POST /testing/clock: mounted only with CLOCK=manual (ClockModule adds it for a ManualClock; the
// configuration refuses CLOCK=manual in production). Public, like /health: it is a test fixture, not an API.
import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { validationFailed, type FieldError } from './problem';
import { CLOCK_SETTLER, type ClockSettler } from '../platform/clock/clock-settler';
import { CLOCK, ManualClock } from '../platform/clock/clock.port';

export interface ClockView {
  now: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
/** Far enough for any test, small enough that a Date never overflows. */
const MAX_ADVANCE_MS = 100 * 365 * 24 * 60 * 60 * 1000;

/** `{ advanceMs }` or `{ now }`, exactly one; the target time, or the field errors. */
export function parseClockMove(body: unknown, current: Date): { target: Date } | { errors: FieldError[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { errors: [{ field: 'body', message: 'body must be a JSON object with advanceMs or now' }] };
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'advanceMs' && k !== 'now');
  if (unknown.length > 0) {
    return { errors: unknown.map((field) => ({ field, message: `property ${field} should not exist` })) };
  }
  const hasAdvance = b.advanceMs !== undefined;
  const hasNow = b.now !== undefined;
  if (hasAdvance === hasNow) {
    return { errors: [{ field: 'body', message: 'give exactly one of advanceMs or now' }] };
  }
  if (hasAdvance) {
    const ms = b.advanceMs;
    if (typeof ms !== 'number' || !Number.isInteger(ms)) {
      return {
        errors: [{ field: 'advanceMs', message: 'advanceMs must be an integer number of milliseconds' }],
      };
    }
    if (ms < 0) return { errors: [{ field: 'advanceMs', message: 'time never moves backwards' }] };
    if (ms > MAX_ADVANCE_MS) return { errors: [{ field: 'advanceMs', message: 'advanceMs is too large' }] };
    return { target: new Date(current.getTime() + ms) };
  }
  const raw = b.now;
  const ms = typeof raw === 'string' && ISO_INSTANT.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) {
    return { errors: [{ field: 'now', message: 'now must be an ISO-8601 date-time with a time zone' }] };
  }
  if (ms < current.getTime()) {
    return {
      errors: [{ field: 'now', message: `time never moves backwards (it is ${current.toISOString()})` }],
    };
  }
  return { target: new Date(ms) };
}

@ApiExcludeController()
@Public()
@Controller('testing/clock')
export class TestingClockController {
  /** Moves are serialized: a second POST waits until the first has settled. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(CLOCK) private readonly clock: ManualClock,
    private readonly moduleRef: ModuleRef,
  ) {}

  @Get()
  get(): ClockView {
    return { now: this.clock.now().toISOString() };
  }

  @Post()
  @HttpCode(200)
  move(@Body() body: unknown): Promise<ClockView & { deadlinesHandled: number }> {
    const run = this.queue.then(async () => {
      const parsed = parseClockMove(body, this.clock.now());
      if ('errors' in parsed) throw validationFailed(parsed.errors);
      this.clock.set(parsed.target);
      const handled = await (this.settler()?.settle(parsed.target) ?? Promise.resolve(0));
      return { now: this.clock.now().toISOString(), deadlinesHandled: handled };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Looked up when used: the settler lives in the timeouts module, which may be absent (APP_ROLE=api). */
  private settler(): ClockSettler | null {
    try {
      return this.moduleRef.get<ClockSettler>(CLOCK_SETTLER, { strict: false });
    } catch {
      return null;
    }
  }
}
