// The 14-day reorder exclusion as the seller-stats projection records it (the arithmetic is in
// completion-rate.spec.ts): which cancellation a new order of the same buyer with the same seller excludes,
// and when. Events are applied one by one to an in-memory read store, as the engine would.
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import { InMemoryReadStore } from '../../../platform/read-store/in-memory/in-memory-read-store';
import { DAY_MS } from '../../domain/order.types';
import { classify, type EndedOrder } from './completion-rate';
import { SELLER_ORDERS, SellerStatsProjection, type SellerOrderRecord } from './seller-stats.projection';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe('seller-stats: the 14-day reorder exclusion', () => {
  let store: InMemoryReadStore;
  let projection: SellerStatsProjection;
  let position = 0;
  const revisions = new Map<string, number>();

  beforeEach(() => {
    store = new InMemoryReadStore();
    projection = new SellerStatsProjection();
    revisions.clear();
  });

  const apply = (orderId: string, type: string, data: Record<string, unknown>) => {
    const revision = (revisions.get(orderId) ?? -1) + 1;
    revisions.set(orderId, revision);
    position++;
    const event: StoredEvent = {
      id: `e${position}`,
      streamName: `order-${orderId}`,
      revision,
      position: String(position),
      type,
      data: { orderId, ...data },
      metadata: {
        actor: { id: 'x', role: 'system' },
        correlationId: 'c',
        causationId: null,
        schemaVersion: 1,
      },
      recordedAt: at(0),
    };
    return store.write((writer) => projection.apply(event, writer));
  };
  const place = (orderId: string, buyerId: string, sellerId: string, placedAtMs: number) =>
    apply(orderId, 'OrderPlaced', { buyerId, sellerId, placedAt: at(placedAtMs) });
  const cancel = (orderId: string, mode: string, cancelledAtMs: number, counts = true) =>
    apply(orderId, 'OrderCancelled', {
      mode,
      initiator: mode === 'support' ? 'support' : 'buyer',
      reason: 'other',
      previousStatus: 'in_progress',
      countsTowardCompletionRate: counts,
      cancelledAt: at(cancelledAtMs),
    });
  const record = async (orderId: string) => (await store.get<SellerOrderRecord>(SELLER_ORDERS, orderId))!;
  const classification = async (orderId: string) => classify((await record(orderId)) as EndedOrder);

  it.each(['mutual', 'auto_accepted'])(
    'given a %s cancellation, when the same buyer orders from the same seller 14 days later, then it is excluded',
    async (mode) => {
      await place('a', 'buyer', 'seller', 0);
      await cancel('a', mode, DAY_MS);
      expect(await classification('a')).toEqual({ kind: 'cancelled' });

      await place('b', 'buyer', 'seller', 15 * DAY_MS);

      expect((await record('a')).reorderedBy).toBe('b');
      expect(await classification('a')).toEqual({ kind: 'excluded', reason: 'reordered_within_14_days' });
    },
  );

  it('given a mutual cancellation, when the reorder comes 14 days and 1 ms later, then it still counts, also after further orders', async () => {
    await place('a', 'buyer', 'seller', 0);
    await cancel('a', 'mutual', DAY_MS);

    await place('b', 'buyer', 'seller', 15 * DAY_MS + 1);
    await place('c', 'buyer', 'seller', 15 * DAY_MS + 2);

    expect((await record('a')).reorderedBy).toBeNull();
    expect(await classification('a')).toEqual({ kind: 'cancelled' });
  });

  it.each([
    ['forced', true],
    ['support', true],
    ['support', false],
    ['unilateral', false],
  ])(
    'given a %s cancellation (counting: %s), when the same buyer reorders the next day, then no reorder is recorded',
    async (mode, counts) => {
      await place('a', 'buyer', 'seller', 0);
      await cancel('a', mode, DAY_MS, counts);

      await place('b', 'buyer', 'seller', 2 * DAY_MS);

      expect((await record('a')).reorderedBy).toBeNull();
      expect(await classification('a')).toEqual(
        counts ? { kind: 'cancelled' } : { kind: 'excluded', reason: 'not_counting' },
      );
    },
  );

  it('given a mutual cancellation, when another buyer, or the same buyer with another seller, orders, then it still counts', async () => {
    await place('a', 'buyer', 'seller', 0);
    await cancel('a', 'mutual', DAY_MS);

    await place('b', 'other-buyer', 'seller', 2 * DAY_MS);
    await place('c', 'buyer', 'other-seller', 2 * DAY_MS);

    expect((await record('a')).reorderedBy).toBeNull();
    // The candidate is still there: the right reorder excludes it afterwards.
    await place('d', 'buyer', 'seller', 3 * DAY_MS);
    expect((await record('a')).reorderedBy).toBe('d');
  });

  it('given an order placed before the cancellation of another, when that one is cancelled, then the earlier order does not exclude it', async () => {
    await place('a', 'buyer', 'seller', 0);
    await place('b', 'buyer', 'seller', DAY_MS); // both running at once
    await cancel('a', 'mutual', 2 * DAY_MS);

    expect((await record('a')).reorderedBy).toBeNull();
    await place('c', 'buyer', 'seller', 3 * DAY_MS);
    expect((await record('a')).reorderedBy).toBe('c');
  });

  it('given two mutual cancellations, when one reorder follows both within 14 days, then both are excluded by it', async () => {
    await place('a', 'buyer', 'seller', 0);
    await place('b', 'buyer', 'seller', 0);
    await cancel('a', 'mutual', DAY_MS);
    await cancel('b', 'auto_accepted', 2 * DAY_MS);

    await place('c', 'buyer', 'seller', 10 * DAY_MS);

    expect((await record('a')).reorderedBy).toBe('c');
    expect((await record('b')).reorderedBy).toBe('c');
  });

  it('given an excluded cancellation, when the events are applied again (a replay), then nothing changes', async () => {
    await place('a', 'buyer', 'seller', 0);
    await cancel('a', 'mutual', DAY_MS);
    await place('b', 'buyer', 'seller', 2 * DAY_MS);
    const before = await record('a');

    revisions.set('a', -1); // the same events, same revisions
    await place('a', 'buyer', 'seller', 0);
    await cancel('a', 'mutual', DAY_MS);

    expect(await record('a')).toEqual(before);
  });
});
