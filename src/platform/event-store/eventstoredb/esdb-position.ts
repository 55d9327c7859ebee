// Mapping between EventStoreDB's $all position {commit, prepare} and our opaque decimal-string position.
//
// $all is ordered by (commit, prepare) lexicographically: events of one append share the transaction's commit
// position (never before their own prepare position) and are ordered among themselves by their own prepare
// position. Both are unsigned 64-bit log offsets.
// We encode a position as the single integer  commit * 2^64 + prepare:
// - order-preserving: prepare < 2^64, so comparing the integers compares commit first and prepare second, which
//   is exactly $all's order (and comparePositions compares our strings as integers);
// - lossless: decoding (x >> 64, x & (2^64 - 1)) gives back the exact pair, so "after P" sent to the server is
//   the very record that was delivered, and a subscription started from it is exclusive-start correct (the server
//   starts after that record; we also drop anything <= P in case a server or a reconnect re-delivers it).
// The numbers are large (a commit of 10^6 gives ~1.8 * 10^25): anything that stores positions must keep them as
// strings or arbitrary-precision integers, never as JS numbers or 64-bit columns.
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
