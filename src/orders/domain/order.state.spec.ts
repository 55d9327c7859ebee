// evolve / foldOrder: the state keeps what the order page and the rules need, as plain JSON.
import type { OrderEvent } from './order.events';
import { closedRequestOpener, evolve, foldOrder, initialOrderState, type OrderState } from './order.state';
import { DELIVERY_DAYS, ORDER_ID, PRICE, ev, iso, plusDays } from './testing/given-when-then';
import { CASE_ID, EVIDENCE, INFO_ID, caseEv } from './testing/support-case-events';

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
};

const DUE = iso(73);
const STORY: OrderEvent[] = [
  ev.placed(),
  ev.extrasOffered({ hours: 0.5, offerId: 'offer-0', amount: 500, extraDays: 1 }),
  ev.extrasAccepted({ hours: 0.75, offerId: 'offer-0', amount: 500, extraDays: 1, newPrice: PRICE + 500 }),
  ev.submitted(1, plusDays(iso(1), DELIVERY_DAYS + 1)),
  ev.extrasOffered({ hours: 5 }),
  ev.extrasAccepted({ hours: 6, newPrice: PRICE + 2000 }),
  ev.dueDateExtended({
    hours: 6,
    previousDueAt: plusDays(DUE, 1),
    newDueAt: plusDays(DUE, 3),
    source: 'extras',
    sourceId: 'offer-1',
  }),
  ev.extrasOffered({ hours: 7, offerId: 'offer-2', extraDays: 0 }),
  ev.opened({ hours: 8, type: 'order_update', openedBy: 'buyer' }),
  ev.accepted({ hours: 9, type: 'order_update', by: 'seller', comment: 'soon' }),
  ev.delivered(10),
  ev.revision(12),
  ev.delivered(20, 2),
  ev.completed(30),
];

describe('state', () => {
  it('starts empty: no order', () => {
    expect(foldOrder([])).toEqual(initialOrderState);
    expect(initialOrderState).toMatchObject({
      exists: false,
      orderId: null,
      status: null,
      openRequest: null,
    });
  });

  it('keeps what the order page needs', () => {
    expect(foldOrder(STORY)).toEqual<OrderState>({
      exists: true,
      orderId: ORDER_ID,
      buyerId: 'buyer-1',
      sellerId: 'seller-1',
      title: 'A logo',
      price: { amount: PRICE + 2000, currency: 'USD' },
      primaryPrice: { amount: PRICE, currency: 'USD' },
      netPrice: { amount: PRICE + 2000, currency: 'USD' },
      refunds: [],
      deliveryDays: DELIVERY_DAYS + 1,
      requirementsNeeded: true,
      status: 'completed',
      placedAt: iso(0),
      startedAt: iso(1),
      dueAt: plusDays(DUE, 3),
      agreedDueAt: null,
      deliveredAt: iso(20),
      firstDeliveredAt: iso(10),
      deliveryCount: 2,
      completedAt: iso(30),
      completion: 'accepted_by_buyer',
      openRequest: null,
      requests: [],
      closedRequests: '\nbuyer:req-1\n',
      requestClosedAt: iso(9),
      pendingExtras: [],
      offers: [
        { offerId: 'offer-0', outcome: 'accepted' },
        { offerId: 'offer-1', outcome: 'accepted' },
        // Still pending when the order ended: it can no longer be answered.
        { offerId: 'offer-2', outcome: 'void' },
      ],
      cancellation: null,
      lateRecordedForDueAt: null,
      veryLateRecordedForDueAt: null,
      supportCase: null,
      supportCases: [],
    });
  });

  it('shows the open request with its deadline, and pending extras', () => {
    const state = foldOrder([
      ev.placed(),
      ev.submitted(1),
      ev.extrasOffered({ hours: 2 }),
      ev.opened({ hours: 3, type: 'delivery_extension', proposedDueAt: plusDays(DUE, 1) }),
    ]);
    expect(state.openRequest).toEqual({
      requestId: 'req-1',
      type: 'delivery_extension',
      openedBy: 'seller',
      reason: null,
      comment: 'please',
      openedAt: iso(3),
      respondBy: iso(51),
      proposedDueAt: plusDays(DUE, 1),
      amount: null,
      confidentialReason: null,
    });
    expect(state.pendingExtras).toEqual([
      {
        offerId: 'offer-1',
        description: 'a second concept',
        amount: 1500,
        extraDays: 2,
        offeredAt: iso(2),
        expiresAt: iso(50),
      },
    ]);
  });

  it.each<[string, OrderEvent]>([
    ['accepted', ev.accepted({ hours: 4 })],
    ['declined', ev.declined({ hours: 4 })],
    ['withdrawn', ev.withdrawn({ hours: 4 })],
    ['expired', ev.expired({ hours: 60 })],
  ])('a request %s is closed and remembered with its opener', (_, closing) => {
    const opened = foldOrder([ev.placed(), ev.submitted(1), ev.opened({ hours: 3 })]);
    expect(opened.requests).toEqual([{ requestId: 'req-1', type: 'cancellation', openedBy: 'seller' }]);
    const state = foldOrder([ev.placed(), ev.submitted(1), ev.opened({ hours: 3 }), closing]);
    expect(state.openRequest).toBeNull();
    expect(state.requests).toEqual([]);
    expect(closedRequestOpener(state, 'req-1')).toBe('seller');
    expect(closedRequestOpener(state, 'req-2')).toBeNull();
  });

  it('records the cancellation', () => {
    const state = foldOrder([
      ev.placed(),
      ev.submitted(1),
      ev.cancelled({ hours: 100, mode: 'forced', initiator: 'buyer', reason: 'late_delivery', counts: true }),
    ]);
    expect(state).toMatchObject({
      status: 'cancelled',
      cancellation: {
        mode: 'forced',
        initiator: 'buyer',
        reason: 'late_delivery',
        comment: null,
        requestId: null,
        previousStatus: 'in_progress',
        at: iso(100),
        countsTowardCompletionRate: true,
      },
    });
  });

  it('extras accepted before the start add to the delivery days and to an agreed date', () => {
    const state = foldOrder([
      ev.placed(),
      ev.opened({ hours: 1, type: 'delivery_extension', proposedDueAt: iso(200) }),
      ev.accepted({ hours: 2, type: 'delivery_extension' }),
      ev.extrasOffered({ hours: 3, extraDays: 2 }),
      ev.extrasAccepted({ hours: 4, newPrice: PRICE + 1500 }),
    ]);
    expect(state).toMatchObject({ deliveryDays: DELIVERY_DAYS + 2, agreedDueAt: iso(248), dueAt: null });
    // The start consumes the agreed date (the decider put the effective date on the event).
    expect(evolve(state, ev.submitted(5, iso(248)))).toMatchObject({ dueAt: iso(248), agreedDueAt: null });
  });

  it('remembers for which dueAt lateness was recorded', () => {
    const state = foldOrder([ev.placed(), ev.submitted(1), ev.late(74, DUE), ev.veryLate(97, DUE)]);
    expect(state).toMatchObject({ lateRecordedForDueAt: DUE, veryLateRecordedForDueAt: DUE });
  });

  it('never mutates the state it evolves', () => {
    let state = deepFreeze(foldOrder([]));
    for (const event of STORY) state = deepFreeze(evolve(state, event));
    expect(state.status).toBe('completed');
  });

  it('is plain JSON (read models store it as is)', () => {
    const state = foldOrder(STORY.slice(0, 9));
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('refuses an unknown event type', () => {
    expect(() => evolve(initialOrderState, { type: 'Nope', data: {} } as unknown as OrderEvent)).toThrow(
      /unknown order event/,
    );
  });
});

describe('state: refunds and support cases', () => {
  it('folds the latest case with its thread, outstanding information request and resolution', () => {
    const state = foldOrder([
      ev.placed(),
      ev.submitted(1),
      caseEv.opened({ hours: 20, evidence: [EVIDENCE] }),
      caseEv.overdue(44),
      caseEv.claimed(45),
      caseEv.message(46, 'hello'),
      caseEv.infoRequested({ hours: 47, party: 'seller', question: 'files?' }),
      caseEv.statement({ hours: 48, by: 'buyer', text: 'meanwhile' }),
    ]);
    expect(state.supportCase).toEqual({
      caseId: CASE_ID,
      status: 'open',
      category: 'quality',
      description: 'the logo is blurry',
      evidence: [EVIDENCE],
      openedBy: 'buyer',
      openedById: 'buyer-1',
      openedAt: iso(20),
      firstResponseDueAt: iso(44),
      firstRespondedAt: iso(45),
      overdue: true,
      assignee: 'agent-1',
      informationRequest: {
        id: INFO_ID,
        party: 'seller',
        question: 'files?',
        requestedAt: iso(47),
        respondBy: iso(95),
      },
      thread: [
        {
          kind: 'message',
          by: { id: 'agent-1', role: 'support' },
          text: 'hello',
          evidence: [],
          at: iso(46),
          informationRequestId: null,
          party: null,
        },
        {
          kind: 'information_request',
          by: { id: 'agent-1', role: 'support' },
          text: 'files?',
          evidence: [],
          at: iso(47),
          informationRequestId: INFO_ID,
          party: 'seller',
        },
        {
          kind: 'statement',
          by: { id: 'buyer-1', role: 'buyer' },
          text: 'meanwhile',
          evidence: [],
          at: iso(48),
          informationRequestId: null,
          party: null,
        },
      ],
      resolution: null,
      closedAt: null,
    });
    expect(state.supportCases).toEqual([{ caseId: CASE_ID, openedBy: 'buyer', status: 'open' }]);
  });

  it('a closed case drops its outstanding information request and keeps its resolution', () => {
    const state = foldOrder([
      ev.placed(),
      ev.submitted(1),
      caseEv.opened(),
      caseEv.infoRequested({ hours: 21 }),
      caseEv.resolved({ hours: 30, outcome: 'partial_refund', amount: 1000 }),
      caseEv.refunded({ hours: 30, amount: 1000, netPrice: 4000, by: 'support' }),
    ]);
    expect(state.supportCase).toMatchObject({
      status: 'resolved',
      informationRequest: null,
      resolution: { outcome: 'partial_refund', rationale: 'we looked at it', at: iso(30) },
      closedAt: iso(30),
    });
    expect(state.refunds).toEqual([{ amount: 1000, at: iso(30), by: 'support' }]);
    expect(state.netPrice).toEqual({ amount: 4000, currency: 'USD' });
    expect(state.primaryPrice).toEqual({ amount: 5000, currency: 'USD' });
  });
});
