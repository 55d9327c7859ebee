// The buyer never reads a partial refund's confidential reason: a property over random orders (the domain's own
// command sequences), on every rendering a buyer gets — the order page at each step and the history.
import fc from 'fast-check';
import type { OrderEvent } from '../domain/order.events';
import { evolve, initialOrderState, type OrderState, type PlacedOrderState } from '../domain/order.state';
import { BUYER_ID, SELLER_ID } from '../domain/testing/given-when-then';
import { play, runArb } from '../domain/testing/order-arbitraries';
import type { Caller } from '../domain/order.types';
import { redactEventData, seesConfidential } from './confidential';
import { pageStateOf, type OrderPageDoc } from './order-page/order-page.projection';
import { orderPageView } from './order-page/order-page.view';

const asBuyer: Caller = { userId: BUYER_ID, roles: [] };
const others: Caller[] = [
  { userId: SELLER_ID, roles: [] },
  { userId: 'agent', roles: ['support'] },
  { userId: 'auditor', roles: ['auditor'] },
];

/** The events with every confidential reason replaced by a marker no other field can hold. */
function marked(events: OrderEvent[]): { events: OrderEvent[]; secrets: string[] } {
  const secrets: string[] = [];
  const out = events.map((e) => {
    if (e.type !== 'ResolutionRequestOpened' || !e.data.confidentialReason) return e;
    const secret = `SECRET-${secrets.length}-${e.data.confidentialReason}`;
    secrets.push(secret);
    return { ...e, data: { ...e.data, confidentialReason: secret } };
  });
  return { events: out, secrets };
}

const docOf = (state: OrderState, revision: number): OrderPageDoc => {
  const s = state as PlacedOrderState;
  return {
    buyerId: s.buyerId,
    sellerId: s.sellerId,
    status: s.status,
    sortKey: `${s.placedAt}|${s.orderId}`,
    revision,
    position: String(revision),
    state: pageStateOf(s),
  };
};

describe('confidential partial refund reasons', () => {
  it('only the buyer is kept from them', () => {
    expect(seesConfidential({ buyerId: BUYER_ID }, asBuyer)).toBe(false);
    for (const c of others) expect(seesConfidential({ buyerId: BUYER_ID }, c)).toBe(true);
  });

  it("never appear in the buyer's order page or history; the others see the open offer's reason", () => {
    let offers = 0;
    fc.assert(
      fc.property(runArb, (run) => {
        const { events, secrets } = marked(play(run).events);
        offers += secrets.length;
        let state = initialOrderState;
        events.forEach((event, revision) => {
          state = evolve(state, event);
          const now = new Date(Date.parse((state as PlacedOrderState).placedAt) + revision * 60_000);
          const page = JSON.stringify(orderPageView(docOf(state, revision), asBuyer, now));
          for (const secret of secrets) expect(page).not.toContain(secret);
          const open = (state as PlacedOrderState).openRequest;
          if (open?.type === 'partial_refund') {
            const seller = orderPageView(docOf(state, revision), others[0], new Date(open.openedAt));
            expect(seller.openRequest?.reason).toBe(open.confidentialReason);
          }
        });
        const history = JSON.stringify(events.map((e) => redactEventData(e.type, e.data)));
        for (const secret of secrets) expect(history).not.toContain(secret);
        expect(history).not.toContain('confidentialReason');
      }),
      { numRuns: 300 },
    );
    // The generator does offer partial refunds: the property is not vacuous.
    expect(offers).toBeGreaterThan(0);
  });
});
