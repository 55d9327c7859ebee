// $all positions {commit, prepare} (ordered by commit, then prepare; both unsigned 64-bit log offsets) as one
// decimal integer commit * 2^64 + prepare: order-preserving, and lossless, so "after P" sent back to the server is
// the very record delivered. The numbers are large: keep them as strings or big integers, never JS numbers.
import type { Position } from '@eventstore/db-client';

const SHIFT = 64n;
const MASK = (1n << SHIFT) - 1n;
/** What servers older than 22.6 send for positions they do not know (stream reads). */
const UNKNOWN = MASK;

export function encodeEsdbPosition(position: Position): string {
  if (position.commit < 0n || position.prepare < 0n || position.commit > MASK || position.prepare > MASK) {
    throw new RangeError(`EventStoreDB position out of range: ${position.commit}/${position.prepare}`);
  }
  return ((position.commit << SHIFT) | position.prepare).toString(10);
}

export function decodeEsdbPosition(position: string): Position {
  if (!/^\d+$/.test(position)) throw new RangeError(`Not a position: ${position}`);
  const value = BigInt(position);
  if (value >> (SHIFT * 2n) !== 0n) throw new RangeError(`Not an EventStoreDB position: ${position}`);
  return { commit: value >> SHIFT, prepare: value & MASK };
}

/** False for the placeholder older servers put on events read from a stream (not from $all). */
export function isKnownEsdbPosition(position: Position | undefined): position is Position {
  return position !== undefined && position.commit !== UNKNOWN && position.prepare !== UNKNOWN;
}
