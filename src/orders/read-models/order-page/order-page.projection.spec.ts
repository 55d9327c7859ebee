// The orders projection keeps only the records of what is open: over random orders (the domain's own command
// sequences), every page and list row it serves equals the one computed from the full fold, for every reader
// and at several moments (before and past the answer windows).
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import { InMemoryReadStore } from '../../../platform/read-store/in-memory/in-memory-read-store';
import { evolve, initialOrderState, type OrderState, type PlacedOrderState } from '../../domain/order.state';
import type { Caller } from '../../domain/order.types';
import { BUYER_ID, ORDER_ID, SELLER_ID } from '../../domain/testing/given-when-then';
import { play, runArb } from '../../domain/testing/order-arbitraries';
import { summaryOf } from '../my-orders/my-orders.query';
import { ORDER_PAGES, OrdersProjection, type OrderPageDoc } from './order-page.projection';
import { orderPageView } from './order-page.view';

const readers: Caller[] = [
  { userId: BUYER_ID, roles: [] },
  { userId: SELLER_ID, roles: [] },
  { userId: 'agent', roles: ['support'] },
  { userId: 'auditor', roles: ['auditor'] },
];
const HOUR = 3_600_000;

describe('orders projection: only the open records are kept', () => {
  it('serves the same pages and list rows as the full fold', async () => {
    let closedRecords = 0;
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const { events } = play(run);
        const store = new InMemoryReadStore();
        const projection = new OrdersProjection();
        let full: OrderState = initialOrderState;
        for (const [revision, event] of events.entries()) {
          full = evolve(full, event);
          const stored: StoredEvent = {
            id: randomUUID(),
            streamName: `order-${ORDER_ID}`,
            revision,
            position: String(revision + 1),
            type: event.type,
            data: event.data as unknown as Record<string, unknown>,
            metadata: {
              actor: { id: 'x', role: 'buyer' },
              correlationId: 'c',
              causationId: null,
              schemaVersion: 1,
            },
            recordedAt: new Date(0).toISOString(),
          };
          await store.write((w) => projection.apply(stored, w));
          const doc = (await store.get<OrderPageDoc>(ORDER_PAGES, ORDER_ID))!;
          const placed = full as PlacedOrderState;
          const reference: OrderPageDoc = { ...doc, state: placed };
          if (placed.closedRequests !== initialOrderState.closedRequests) closedRecords++;
          const base = Date.parse(placed.placedAt) + revision * 7 * HOUR;
          for (const now of [0, 47, 49, 73, 200].map((h) => new Date(base + h * HOUR))) {
            for (const caller of readers)
              expect(orderPageView(doc, caller, now)).toEqual(orderPageView(reference, caller, now));
            expect(summaryOf(doc, 'buyer', now)).toEqual(summaryOf(reference, 'buyer', now));
          }
        }
      }),
      { numRuns: 150 },
    );
    // The runs do close requests: the property is not vacuous.
    expect(closedRecords).toBeGreaterThan(0);
  });
});
