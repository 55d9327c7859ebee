import { DocumentCache, SampleWindow } from './projection-runner';

describe('runner helpers', () => {
  it('DocumentCache keeps the recent entries of each collection, absent ones (null) included', () => {
    const cache = new DocumentCache(4);
    cache.set('c', 'a', { n: 1 });
    cache.set('c', 'b', null);
    expect(cache.get('c', 'b')).toBeNull();
    expect(cache.get('d', 'a')).toBeUndefined(); // another collection
    cache.set('c', 'x', { n: 2 });
    cache.set('c', 'y', { n: 3 });
    cache.set('c', 'z', { n: 4 }); // past the capacity: the older half (a, b, x) is forgotten
    for (const id of ['a', 'b', 'x']) expect(cache.get('c', id)).toBeUndefined();
    expect(cache.get('c', 'y')).toEqual({ n: 3 });
    cache.set('c', 'z', { n: 5 }); // replacing is not a new entry
    expect(cache.get('c', 'z')).toEqual({ n: 5 });
    cache.delete('c', 'z');
    expect(cache.get('c', 'z')).toBeUndefined();
    cache.clear();
    expect(cache.get('c', 'y')).toBeUndefined();
  });

  it('DocumentCache keeps at least half its capacity of the most recent entries, at most its capacity', () => {
    const cache = new DocumentCache(1000);
    for (let i = 0; i < 10_000; i++) cache.set('c', `k${i}`, { i });
    for (let i = 9_500; i < 10_000; i++) expect(cache.get('c', `k${i}`)).toEqual({ i });
    expect(cache.get('c', 'k8999')).toBeUndefined();
  });

  it('DocumentCache on an empty generation: ids never stored in a collection read first are absent, unread', () => {
    const cache = new DocumentCache(Infinity);
    cache.stored = new Map();
    expect(cache.get('pages', 'o1')).toBeNull(); // read before anything was stored: followed
    cache.set('pages', 'o1', { n: 1 });
    cache.set('notes', 'n1', { n: 1 }); // stored before any read: not followed
    cache.clear(); // a batch committed: the documents go, the ids stay
    expect(cache.get('pages', 'o1')).toBeUndefined(); // stored: ask the store
    expect(cache.get('pages', 'o2')).toBeNull();
    expect(cache.get('notes', 'n1')).toBeUndefined();
    expect(cache.get('notes', 'n2')).toBeUndefined();
    cache.clear(true); // another worker wrote: nothing is known any more
    expect(cache.get('pages', 'o2')).toBeUndefined();
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
