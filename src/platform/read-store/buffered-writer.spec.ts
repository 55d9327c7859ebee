import { BufferedWriter } from './buffered-writer';
import { InMemoryReadStore } from './in-memory/in-memory-read-store';

describe('BufferedWriter', () => {
  it('finds over the batch as documents change field values, move and go', async () => {
    const store = new InMemoryReadStore();
    await store.write(async (w) => {
      await w.put('c', 'committed-a', { k: 'a', n: 1 });
      await w.put('c', 'committed-b', { k: 'b', n: 2 });
    });
    const w = new BufferedWriter(store);
    const ids = async (k: string) => (await w.findEntries('c', { k }, { sort: { n: 1 } })).map((e) => e.id);
    await w.put('c', 'x', { k: 'a', n: 3 });
    expect(await ids('a')).toEqual(['committed-a', 'x']); // builds the index
    await w.put('c', 'y', { k: 'a', n: 0 });
    await w.put('c', 'x', { k: 'b', n: 3 }); // moves from a to b
    await w.put('c', 'committed-a', { k: 'c', n: 1 }); // a committed document leaves a
    expect(await ids('a')).toEqual(['y']);
    expect(await ids('b')).toEqual(['committed-b', 'x']);
    await w.delete('c', 'committed-b');
    await w.delete('c', 'y');
    expect(await ids('b')).toEqual(['x']);
    expect(await ids('a')).toEqual([]);
    expect(await w.count('c', { k: 'c' })).toBe(1);
    expect(await w.find('c', { k: 'b', n: { $gt: 5 } })).toEqual([]);
    // Nothing reached the store.
    expect(await store.count('c', {})).toBe(2);
  });

  it('shares documents inside the batch and serializes each once for the commit', async () => {
    const w = new BufferedWriter(new InMemoryReadStore());
    const doc = { a: 1 };
    await w.put('c', 'x', doc);
    expect(await w.get('c', 'x')).toBe(doc);
    await w.put('c', 'x', { a: 2 });
    expect(w.changes()).toEqual([{ collection: 'c', ids: ['x'], docs: ['{"a":2}'] }]);
    await expect(w.put('c', 'y', [1] as unknown as object)).rejects.toThrow();
  });
});
