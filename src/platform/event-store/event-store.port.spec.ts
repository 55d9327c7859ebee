import fc from 'fast-check';
import { comparePositions } from './event-store.port';

describe('comparePositions', () => {
  const big = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

  it('orders decimal positions as numbers, past 2^64 (EventStoreDB commit·2^64 + prepare)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 130n }),
        fc.bigInt({ min: 0n, max: 2n ** 130n }),
        (a, b) => {
          expect(comparePositions(a.toString(), b.toString())).toBe(big(a, b));
        },
      ),
    );
  });

  it('puts null (nothing yet) first and reads non-canonical decimals by value', () => {
    expect(comparePositions(null, null)).toBe(0);
    expect(comparePositions(null, '0')).toBe(-1);
    expect(comparePositions('0', null)).toBe(1);
    expect(comparePositions('007', '7')).toBe(0);
    expect(comparePositions('010', '9')).toBe(1);
    expect(comparePositions('9', '10')).toBe(-1);
  });
});
