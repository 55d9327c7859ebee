// GET/POST /testing/clock: mounted only with CLOCK=manual (refused in production); public, a test fixture.
import { Body, Controller, Get, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Public } from '../auth/auth.guard';
import { validationFailed } from './problem';
import { CLOCK, CLOCK_SETTLER, type ClockSettler, ManualClock } from '../platform/clock/clock.port';

/** `{ advanceMs }` or `{ now }`, exactly one. */
class ClockMoveDto {
  @IsOptional()
  @IsInt({ message: 'advanceMs must be an integer number of milliseconds' })
  @Min(0, { message: 'time never moves backwards' })
  @Max(100 * 365 * 24 * 60 * 60 * 1000, { message: 'advanceMs is too large' }) // a Date never overflows
  advanceMs?: number;

  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/, {
    message: 'now must be an ISO-8601 date-time with a time zone',
  })
  now?: string;
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
  get(): { now: string } {
    return { now: this.clock.now().toISOString() };
  }

  @Post()
  @HttpCode(200)
  move(@Body() { advanceMs, now }: ClockMoveDto): Promise<{ now: string; deadlinesHandled: number }> {
    if ((advanceMs == null) === (now == null)) {
      throw validationFailed([{ field: 'body', message: 'give exactly one of advanceMs or now' }]);
    }
    const run = this.queue.then(async () => {
      const current = this.clock.now();
      const target = new Date(advanceMs != null ? current.getTime() + advanceMs : Date.parse(now!));
      // Not before now (time never moves backwards), and a real date (NaN compares false).
      if (!(target.getTime() >= current.getTime())) {
        const message = `now must be a date-time from ${current.toISOString()} on`;
        throw validationFailed([{ field: 'now', message }]);
      }
      this.clock.set(target);
      const handled = await (this.settler()?.settle(target) ?? Promise.resolve(0));
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

@Module({ controllers: [TestingClockController] })
export class TestingClockModule {}
