import fc from 'fast-check';
import { comparePositions } from '../event-store.port';
import { decodeEsdbPosition, encodeEsdbPosition, isKnownEsdbPosition } from './esdb-position';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const position = fc.record({ commit: u64, prepare: u64 });
const lexicographic = (a: { commit: bigint; prepare: bigint }, b: { commit: bigint; prepare: bigint }) =>
  a.commit !== b.commit
    ? a.commit < b.commit
      ? -1
      : 1
    : a.prepare === b.prepare
      ? 0
      : a.prepare < b.prepare
        ? -1
        : 1;

describe('EventStoreDB position mapping', () => {
  it('round-trips every {commit, prepare}', () => {
    fc.assert(fc.property(position, (p) => expect(decodeEsdbPosition(encodeEsdbPosition(p))).toEqual(p)));
  });

  it("keeps $all's order: (commit, prepare) lexicographic = our positions compared as integers", () => {
    fc.assert(
      fc.property(position, position, (a, b) =>
        expect(Math.sign(comparePositions(encodeEsdbPosition(a), encodeEsdbPosition(b)))).toBe(
          lexicographic(a, b),
        ),
      ),
    );
  });

  it('orders the events of one multi-event append (same commit) by prepare', () => {
    // The events of one append share the commit position (never before their own prepare position).
    const first = encodeEsdbPosition({ commit: 1150n, prepare: 1000n });
    const second = encodeEsdbPosition({ commit: 1150n, prepare: 1150n });
    const nextAppend = encodeEsdbPosition({ commit: 1300n, prepare: 1300n });
    expect(comparePositions(first, second)).toBe(-1);
    expect(comparePositions(second, nextAppend)).toBe(-1);
  });

  it('refuses what is not one of its positions', () => {
    expect(() => decodeEsdbPosition('-1')).toThrow(RangeError);
    expect(() => decodeEsdbPosition('12a')).toThrow(RangeError);
    expect(() => decodeEsdbPosition((1n << 128n).toString())).toThrow(RangeError);
    expect(() => encodeEsdbPosition({ commit: 1n << 64n, prepare: 0n })).toThrow(RangeError);
  });

  it('treats the placeholder of old servers as unknown', () => {
    const max = (1n << 64n) - 1n;
    expect(isKnownEsdbPosition({ commit: max, prepare: max })).toBe(false);
    expect(isKnownEsdbPosition(undefined)).toBe(false);
    expect(isKnownEsdbPosition({ commit: 5n, prepare: 5n })).toBe(true);
  });
});
