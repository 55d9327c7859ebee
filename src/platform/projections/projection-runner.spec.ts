import { DocumentCache } from './batch-writer';
import { SampleWindow } from './projection-runner';

describe('runner helpers', () => {
  it('DocumentCache keeps the recently used entries, absent ones (null) included, per collection', () => {
    const cache = new DocumentCache(4); // two generations of two
    cache.set('c', 'a', { n: 1 });
    cache.set('c', 'b', null); // young is full: a, b become the old generation
    expect(cache.get('c', 'b')).toBeNull();
    expect(cache.get('d', 'a')).toBeUndefined(); // another collection
    cache.set('c', 'x', { n: 2 }); // young: b (moved back on the hit), x -> full: old generation now b, x
    expect(cache.has('c', 'a')).toBe(false); // a was in the dropped generation
    expect(cache.get('c', 'x')).toEqual({ n: 2 });
    cache.set('c', 'y', { n: 3 });
    cache.set('c', 'z', { n: 4 }); // young x, y -> old; z young: b, the least recent, is gone
    expect(cache.has('c', 'b')).toBe(false);
    expect(cache.get('c', 'y')).toEqual({ n: 3 });
    expect(cache.get('c', 'z')).toEqual({ n: 4 });
    cache.set('c', 'z', { n: 5 }); // replacing is not a new entry
    expect(cache.get('c', 'z')).toEqual({ n: 5 });
    cache.delete('c', 'z');
    expect(cache.get('c', 'z')).toBeUndefined();
    expect(cache.size).toBeLessThanOrEqual(4);
    expect(new DocumentCache(0).get('c', 'x')).toBeUndefined();
  });

  it('DocumentCache keeps at least half its capacity of the most recent entries', () => {
    const cache = new DocumentCache(1000);
    for (let i = 0; i < 10_000; i++) cache.set('c', `k${i}`, { i });
    for (let i = 9_500; i < 10_000; i++) expect(cache.get('c', `k${i}`)).toEqual({ i });
    expect(cache.size).toBeLessThanOrEqual(1000);
  });

  it('SampleWindow gives percentiles of its recent samples', () => {
    const w = new SampleWindow(100);
    expect(w.percentile(50)).toBeNull();
    for (let i = 1; i <= 100; i++) w.add(i);
    expect(w.percentile(50)).toBe(50);
    expect(w.percentile(99)).toBe(99);
    for (let i = 0; i < 100; i++) w.add(1000); // the old ones roll out
    expect(w.percentile(50)).toBe(1000);
    expect(w.size).toBe(100);
  });
});
