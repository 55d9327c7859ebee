import { DocumentCache, KeyFilter, SampleWindow } from './projection-runner';

describe('runner helpers', () => {
  it('KeyFilter never forgets a key it was given, and rarely claims one it was not', () => {
    const filter = new KeyFilter(20);
    for (let i = 0; i < 20_000; i++) filter.add(`order_pages__g2\u0000order-${i}`);
    for (let i = 0; i < 20_000; i++) expect(filter.has(`order_pages__g2\u0000order-${i}`)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (filter.has(`order_pages__g2\u0000other-${i}`)) falsePositives++;
    expect(falsePositives).toBeLessThan(200); // < 1 %
  });

  it('DocumentCache keeps the most recently used entries, absent ones (null) included', () => {
    const cache = new DocumentCache(2);
    cache.set('a', { n: 1 });
    cache.set('b', null);
    expect(cache.get('a')).toEqual({ n: 1 }); // a is now the most recent
    cache.set('c', { n: 3 });
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toEqual({ n: 1 });
    expect(cache.get('c')).toEqual({ n: 3 });
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(new DocumentCache(0).get('x')).toBeUndefined();
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
