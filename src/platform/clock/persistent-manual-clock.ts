// CLOCK=manual across restarts: the time kept in `<dataDir>/manual-clock.json` never moves backwards on a restart,
// and a test may move a stopped service's time by writing it (deadlines due meanwhile fire after start-up).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppConfig } from '../config/config';
import { type Clock, ManualClock, SystemClock } from './clock.port';

export const manualClockFile = (dataDir: string): string => join(dataDir, 'manual-clock.json');

/** The persisted time, or null when there is none (or it is unreadable: then the wall clock starts it). */
export function readManualClockFile(file: string): Date | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { now?: unknown };
    const ms = typeof parsed.now === 'string' ? Date.parse(parsed.now) : NaN;
    return Number.isNaN(ms) ? null : new Date(ms);
  } catch {
    return null;
  }
}

export function writeManualClockFile(file: string, now: Date): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ now: now.toISOString() }));
  renameSync(tmp, file); // atomic: a reader never sees half a file
}

export class PersistentManualClock extends ManualClock {
  constructor(
    private readonly file: string,
    wallNow: Date = new Date(),
  ) {
    const persisted = readManualClockFile(file);
    super(persisted && persisted.getTime() > wallNow.getTime() ? persisted : wallNow);
  }

  override set(now: Date): void {
    super.set(now);
    writeManualClockFile(this.file, now);
  }

  override advance(ms: number): Date {
    const now = super.advance(ms);
    writeManualClockFile(this.file, now);
    return now;
  }
}

/** CLOCK=manual (tests, demos; refused in production): moves only when told, and with a dataDir survives restarts. */
export function createClock(config: Pick<AppConfig, 'clock'> & Partial<Pick<AppConfig, 'dataDir'>>): Clock {
  if (config.clock !== 'manual') return new SystemClock();
  return config.dataDir ? new PersistentManualClock(manualClockFile(config.dataDir)) : new ManualClock();
}
