// Property across every reader that renders order data to the buyer: whatever the run (random commands from the
// domain's generators, partial refunds and support cases included), the seller's confidential reason of a partial
// refund reaches the buyer nowhere: not in notifications, not in the history, not on the order page. The seller
// (and support) still read it in the history.
import fc from 'fast-check';
import { InMemoryReadStore } from '../../platform/read-store/in-memory/in-memory-read-store';
import type { Caller } from '../domain/order.types';
import { runArb } from '../domain/testing/order-arbitraries';
import { BUYER_ID, ORDER_ID, SELLER_ID } from '../domain/testing/given-when-then';
import { redactEventData, seesConfidential } from './confidential';
import {
  NOTIFICATIONS,
  NotificationsProjection,
  type NotificationDoc,
} from './notifications/notifications.projection';
import { ORDER_PAGES, OrdersProjection, type OrderPageDoc } from './order-page/order-page.projection';
import { orderPageView } from './order-page/order-page.view';
import { keysOf, storedRun } from './testing/stored-runs';

const BUYER: Caller = { userId: BUYER_ID, roles: [] };
const SELLER: Caller = { userId: SELLER_ID, roles: [] };

describe('the confidential reason of a partial refund, across the buyer-facing readers', () => {
  it('property: never in the buyer’s notifications, history or order page; in the seller’s history', async () => {
    let offers = 0;
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const { events, secrets } = storedRun(run);
        const store = new InMemoryReadStore();
        const projections = [new OrdersProjection(), new NotificationsProjection()];
        const pages: unknown[] = [];
        // The order page after every event, as the buyer sees it then.
        for (const e of events) {
          for (const p of projections) await store.write((w) => p.apply(e, w));
          const doc = await store.get<OrderPageDoc>(ORDER_PAGES, ORDER_ID);
          if (doc) pages.push(orderPageView(doc, BUYER, new Date(e.recordedAt)));
        }
        offers += secrets.size;
        const history = events.map((e) => ({
          type: e.type,
          data: seesConfidential({ buyerId: BUYER_ID }, BUYER) ? e.data : redactEventData(e.type, e.data),
        }));
        const notifications = await store.find<NotificationDoc>(NOTIFICATIONS, { recipientId: BUYER_ID });
        for (const seen of [...pages, ...history, ...notifications]) {
          expect(keysOf(seen)).not.toContain('confidentialReason');
        }
        // The buyer's page shows a partial refund's amount, never its reason.
        for (const page of pages as { openRequest: { type: string; reason: string | null } | null }[]) {
          if (page.openRequest?.type === 'partial_refund') expect(page.openRequest.reason).toBeNull();
        }
        // The seller reads every reason in the history.
        expect(seesConfidential({ buyerId: BUYER_ID }, SELLER)).toBe(true);
        const sellerReasons = events
          .filter((e) => e.type === 'ResolutionRequestOpened' && e.data.confidentialReason)
          .map((e) => e.data.confidentialReason);
        expect(sellerReasons).toEqual([...secrets.values()]);
      }),
      { numRuns: 120 },
    );
    expect(offers).toBeGreaterThan(0); // the runs did offer partial refunds
  });
});
