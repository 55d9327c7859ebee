import { streamAt, streamFraction } from './stream-names';

describe('stream names as fractions of all names', () => {
  it('reads a uuid stream name as its place among all uuids', () => {
    expect(streamFraction('order-00000000-0000-4000-8000-000000000000', 'order-')).toBe(0);
    expect(streamFraction('order-80000000-1111-4000-8000-000000000000', 'order-')).toBe(0.5);
    expect(streamFraction('order-c0000000-ffff-4000-8000-000000000000', 'order-')).toBe(0.75);
    expect(streamFraction('order-4', 'order-')).toBe(0.25);
    // Not a hexadecimal name, or another prefix: no place.
    expect(streamFraction('order-xyz', 'order-')).toBeNull();
    expect(streamFraction('other-80000000', 'order-')).toBeNull();
  });

  it('names the bound at a fraction, which sorts between the names on either side', () => {
    expect(streamAt(0, 'order-')).toBe('order-0000');
    expect(streamAt(0.5, 'order-')).toBe('order-8000');
    expect(streamAt(0.377, 'order-')).toBe('order-6083');
    expect(streamAt(1, 'order-')).toBe('order-ffff');
    const bound = streamAt(0.377, 'order-');
    expect('order-6082ffff-0000-4000-8000-000000000000' < bound).toBe(true);
    expect('order-6083' + '0000-0000-4000-8000-000000000000' >= bound).toBe(true);
    expect(streamFraction(bound, 'order-')).toBeCloseTo(0.377, 4);
  });
});
