import type { OrderPageDoc } from '../order-page/order-page.projection';
import { OrderPageDocCache } from './order-page.cache';

const doc = (sortKey: string, revision = 1): OrderPageDoc => ({ sortKey, revision }) as OrderPageDoc;

describe('OrderPageDocCache', () => {
  it('serves a document only at the position and collection it was read at', () => {
    const cache = new OrderPageDocCache();
    expect(cache.get('10', 'order_pages__g1', 'a')).toBeUndefined();
    const a = doc('a');
    cache.set('10', 'order_pages__g1', 'a', a);
    expect(cache.get('10', 'order_pages__g1', 'a')).toBe(a);
    // The projection committed: everything read before is forgotten, also when the position comes back.
    expect(cache.get('11', 'order_pages__g1', 'a')).toBeUndefined();
    expect(cache.get('10', 'order_pages__g1', 'a')).toBeUndefined();
    // Another generation at the same position is another read model.
    cache.set('10', 'order_pages__g1', 'a', a);
    expect(cache.get('10', 'order_pages__g2', 'a')).toBeUndefined();
    // Nothing projected yet is a position too.
    cache.get(null, 'order_pages__g2', 'a');
    cache.set(null, 'order_pages__g2', 'a', a);
    expect(cache.get(null, 'order_pages__g2', 'a')).toBe(a);
  });

  it('drops a document read while the position moved on', () => {
    const cache = new OrderPageDocCache();
    cache.get('10', 'c', 'a'); // a request at 10 misses and starts reading
    cache.get('11', 'c', 'b'); // meanwhile another one sees 11
    cache.set('10', 'c', 'a', doc('a')); // the read at 10 completes: it may predate 11
    expect(cache.get('11', 'c', 'a')).toBeUndefined();
  });

  it('keeps at most maxEntries documents, the oldest go first', () => {
    const cache = new OrderPageDocCache(2);
    cache.get('1', 'c', 'x');
    cache.set('1', 'c', 'a', doc('a'));
    cache.set('1', 'c', 'b', doc('b'));
    cache.set('1', 'c', 'b', doc('b', 2)); // a replacement takes no room
    expect(cache.get('1', 'c', 'a')).toBeDefined();
    cache.set('1', 'c', 'c', doc('c'));
    expect(cache.get('1', 'c', 'a')).toBeUndefined();
    expect(cache.get('1', 'c', 'b')?.revision).toBe(2);
    expect(cache.get('1', 'c', 'c')).toBeDefined();
  });
});
