// Checks shared by the embedded adapters (SQLite, in-memory), so both refuse the same things the same way.
import type { EventToAppend, ExpectedRevision } from './event-store.port';

/** An event id that is already stored (ids are unique across the store). Not a concurrency conflict. */
export class DuplicateEventIdError extends Error {
  constructor(readonly eventId: string) {
    super(`Event id ${eventId} is already stored`);
    this.name = 'DuplicateEventIdError';
  }
}

export function revisionMatches(expected: ExpectedRevision, actual: number | 'no_stream'): boolean {
  if (expected === 'any') return true;
  return expected === actual;
}

export function assertAppendable(streamName: string, events: readonly EventToAppend[]): void {
  if (!streamName) throw new RangeError('append: the stream name is empty');
  if (events.length === 0) throw new RangeError(`append to ${streamName}: no events`);
}

export function assertMaxCount(maxCount: number): void {
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) {
    throw new RangeError(`readAll: maxCount must be a positive integer, got ${maxCount}`);
  }
}

/** Positions of the embedded stores are positive integers; null (the beginning) maps to 0. */
export function positionToNumber(position: string | null): number {
  if (position === null) return 0;
  if (!/^\d+$/.test(position)) throw new RangeError(`Not a position: ${position}`);
  return Number(position);
}
