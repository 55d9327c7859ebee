import { DynamicModule, Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { CLOCK, Clock, ManualClock, SystemClock } from './clock.port';
import { manualClockFile, PersistentManualClock } from './persistent-manual-clock';

/**
 * CLOCK=manual (tests, demos; refused in production) gives a clock that moves only when told. With a dataDir its
 * time survives restarts (persistent-manual-clock.ts), so time never moves backwards across them either.
 */
export function createClock(config: Pick<AppConfig, 'clock'> & Partial<Pick<AppConfig, 'dataDir'>>): Clock {
  if (config.clock !== 'manual') return new SystemClock();
  return config.dataDir ? new PersistentManualClock(manualClockFile(config.dataDir)) : new ManualClock();
}

/**
 * Provides CLOCK globally. The instance is created by the caller (AppModule) so that modules configured
 * statically (the event store's `now`) share the very same clock as everything injected.
 */
@Global()
@Module({})
export class ClockModule {
  static forRoot(clock: Clock): DynamicModule {
    return {
      module: ClockModule,
      global: true,
      providers: [{ provide: CLOCK, useValue: clock }],
      exports: [CLOCK],
    };
  }
}
