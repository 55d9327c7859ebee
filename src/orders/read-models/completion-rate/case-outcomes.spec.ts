// Issue 17 on the completion rate and the cancellation analytics: refunds and support cases, from the real
// decider's events through the projections.
import {
  CANCELLATION_DAILY,
  CancellationAnalyticsProjection,
} from '../cancellation-analytics/cancellation-analytics.projection';
import { ScriptedFeed, SUPPORT_AGENT, T0 } from '../testing/order-script';
import { completionRate } from './completion-rate';
import { SELLER_ORDERS, SellerStatsProjection, type SellerOrderDoc } from './seller-stats.projection';

describe('completion rate and cancellation analytics with refunds and support cases', () => {
  let feed: ScriptedFeed;
  const rate = async () =>
    completionRate(
      await feed.store.find<SellerOrderDoc>(SELLER_ORDERS, { sellerId: 'seller-1', endedAt: { $ne: null } }),
      new Date(T0 + 10 * 24 * 3600_000),
    );

  beforeEach(() => {
    feed = new ScriptedFeed([new SellerStatsProjection(), new CancellationAnalyticsProjection()]);
  });

  it('an order completed after a partial refund counts as completed', async () => {
    const order = await feed.order('o1').placeAndStart();
    await order.run(1, order.seller, 'OpenRequest', {
      requestId: 'r1',
      requestType: 'partial_refund',
      amount: 2000,
      reason: 'delay_compensation',
      comment: 'Sorry for the wait.',
    });
    await order.run(2, order.buyer, 'AcceptRequest', { requestId: 'r1' });
    await order.run(3, order.seller, 'DeliverOrder', { message: 'Done.' });
    await order.run(4, order.buyer, 'AcceptDelivery', {});
    expect(await rate()).toMatchObject({ completed: 1, cancelled: 0, excluded: 0, rate: 1 });
  });

  it('a case resolved with cancel_order counts per its flag, as mode and initiator support', async () => {
    for (const [id, counts] of [
      ['o1', true],
      ['o2', false],
    ] as const) {
      const order = await feed.order(id).placeAndStart();
      const caseId = await order.openCase(1, 'buyer', 'non_delivery');
      await order.run(2, SUPPORT_AGENT, 'ResolveSupportCase', {
        caseId,
        outcome: 'cancel_order',
        rationale: 'Nothing was delivered.',
        countsTowardCompletionRate: counts,
      });
    }
    expect(await rate()).toMatchObject({ completed: 0, cancelled: 1, excluded: 1, rate: 0 });
    const docs = await feed.store.find<SellerOrderDoc>(SELLER_ORDERS, {});
    expect(docs.map((d) => d.cancellation)).toEqual([
      expect.objectContaining({ mode: 'support', initiator: 'support', countsTowardCompletionRate: true }),
      expect.objectContaining({ mode: 'support', initiator: 'support', countsTowardCompletionRate: false }),
    ]);
    expect(await feed.store.find(CANCELLATION_DAILY, {})).toEqual([
      { date: '2025-03-03', mode: 'support', initiator: 'support', reason: 'other', count: 2 },
    ]);
  });

  it('complete_order by support counts as completed; a support refund changes nothing in the rate', async () => {
    const order = await feed.order('o1').placeAndStart();
    const caseId = await order.openCase(1, 'buyer');
    await order.run(2, order.seller, 'DeliverOrder', { message: 'Done.' });
    await order.run(3, SUPPORT_AGENT, 'ResolveSupportCase', {
      caseId,
      outcome: 'partial_refund',
      rationale: 'Half of it.',
      amount: 5000,
    });
    const again = await order.openCase(4, 'buyer');
    await order.run(5, SUPPORT_AGENT, 'ResolveSupportCase', {
      caseId: again,
      outcome: 'complete_order',
      rationale: 'It was delivered.',
    });
    expect(await rate()).toMatchObject({ completed: 1, cancelled: 0, excluded: 0 });
  });
});
