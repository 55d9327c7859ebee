// The decider: cancellation without consent and extras offers. Times are hours from T0.
import type { OrderCommand } from './order.commands';
import { decide } from './order.decider';
import { allowedActions } from './order.rules';
import type { OrderEvent } from './order.events';
import { foldOrder } from './order.state';
import {
  DELIVERY_DAYS,
  PRICE,
  at,
  buyer,
  ev,
  given,
  iso,
  plusDays,
  seller,
  stranger,
  support,
  system,
} from './testing/given-when-then';
import {
  acceptExtras,
  AWAITING,
  cancel,
  cancellationOpened,
  CANCELLED,
  COMPLETED,
  declineExtras,
  DELIVERED,
  DUE,
  extensionOpened,
  IN_PROGRESS,
  IN_REVISION,
  offer,
  openCancellation,
  TERMINAL,
  updateOpened,
} from './testing/order-fixtures';

// ---- cancellation without consent -------------------------------------------------------------------------

describe('cancellation without consent', () => {
  describe('by the buyer', () => {
    it('awaiting requirements: unilateral, not counted', () => {
      given(...AWAITING)
        .when(cancel(5, buyer, { reason: 'ordered_by_mistake', comment: 'oops' }))
        .then([
          ev.cancelled({
            hours: 5,
            mode: 'unilateral',
            initiator: 'buyer',
            reason: 'ordered_by_mistake',
            comment: 'oops',
            previousStatus: 'awaiting_requirements',
            counts: false,
          }),
        ]);
    });

    it('very late (now >= dueAt + 24 h, never delivered): forced, counted', () => {
      given(...IN_PROGRESS)
        .when(cancel(97, buyer, { reason: 'late_delivery' }))
        .then([
          ev.cancelled({
            hours: 97,
            mode: 'forced',
            initiator: 'buyer',
            reason: 'late_delivery',
            counts: true,
          }),
        ]);
    });

    it('a moved dueAt: the 24 h count from the new date', () => {
      const newDue = plusDays(DUE, 2);
      const history = [
        ...IN_PROGRESS,
        extensionOpened(20, newDue),
        ev.accepted({ hours: 21, type: 'delivery_extension' }),
        ev.dueDateExtended({ hours: 21, previousDueAt: DUE, newDueAt: newDue }),
      ];
      given(...history)
        .when(cancel(97, buyer))
        .thenThrows('CANCELLATION_NOT_ALLOWED');
      given(...history)
        .when(cancel(97 + 48, buyer))
        .then([ev.cancelled({ hours: 145, mode: 'forced', initiator: 'buyer', counts: true })]);
    });

    it.each([
      ['on time', IN_PROGRESS, 50],
      ['late but not very late', IN_PROGRESS, 96.9],
      ['delivered', DELIVERED, 200],
      ['in revision after a delivery, past dueAt + 24 h', IN_REVISION, 200],
    ])('refuses when %s: CANCELLATION_NOT_ALLOWED', (_, history, hours) => {
      given(...history)
        .when(cancel(hours, buyer))
        .thenThrows('CANCELLATION_NOT_ALLOWED');
    });

    it('refuses a reason from another list', () => {
      given(...AWAITING)
        .when(cancel(5, buyer, { reason: 'fraud' }))
        .thenThrows('VALIDATION_FAILED', 'reason');
      // The body before the state (api.md: 400 before 409): in progress and not late, still the reason first.
      given(...IN_PROGRESS)
        .when(cancel(5, buyer, { reason: 'fraud' }))
        .thenThrows('VALIDATION_FAILED', 'reason');
    });

    it('refuses countsTowardCompletionRate (support only): 403 before any state check', () => {
      given(...AWAITING)
        .when(cancel(5, buyer, { countsTowardCompletionRate: true }))
        .thenThrows('FORBIDDEN');
      // In progress and not late, a buyer may not cancel at all: still the forbidden field first, not the 409.
      given(...IN_PROGRESS)
        .when(cancel(5, buyer, { countsTowardCompletionRate: false }))
        .thenThrows('FORBIDDEN');
    });
  });

  describe('by support', () => {
    it.each([
      ['awaiting_requirements', AWAITING],
      ['in_progress', IN_PROGRESS],
      ['delivered', DELIVERED],
    ] as const)('cancels an order %s', (status, history) => {
      given(...history)
        .when(cancel(30, support, { reason: 'terms_violation', comment: 'see ticket 42' }))
        .then([
          ev.cancelled({
            hours: 30,
            mode: 'support',
            initiator: 'support',
            reason: 'terms_violation',
            comment: 'see ticket 42',
            previousStatus: status,
            counts: true,
          }),
        ]);
    });

    it.each([
      ['fraud', false],
      ['ordered_by_mistake', false],
      ['terms_violation', true],
      ['other', true],
    ])('[decision] reason %s counts by default: %p', (reason, counts) => {
      given(...IN_PROGRESS)
        .when(cancel(30, support, { reason }))
        .then([ev.cancelled({ hours: 30, mode: 'support', initiator: 'support', reason, counts })]);
    });

    it('chooses whether it counts', () => {
      given(...IN_PROGRESS)
        .when(cancel(30, support, { reason: 'fraud', countsTowardCompletionRate: true }))
        .then([
          ev.cancelled({ hours: 30, mode: 'support', initiator: 'support', reason: 'fraud', counts: true }),
        ]);
      given(...IN_PROGRESS)
        .when(cancel(30, support, { reason: 'other', countsTowardCompletionRate: false }))
        .then([
          ev.cancelled({ hours: 30, mode: 'support', initiator: 'support', reason: 'other', counts: false }),
        ]);
    });

    it('refuses a reason outside the support list', () => {
      given(...IN_PROGRESS)
        .when(cancel(30, support, { reason: 'late_delivery' }))
        .thenThrows('VALIDATION_FAILED', 'reason');
    });
  });

  it.each<[string, OrderEvent]>([
    ['cancellation', cancellationOpened(1, 'buyer', 'other')],
    ['delivery_extension', extensionOpened(1, iso(100))],
  ])('an open %s request blocks it: REQUEST_ALREADY_OPEN', (_, opened) => {
    given(...AWAITING, opened)
      .when(cancel(5, buyer))
      .thenThrows('REQUEST_ALREADY_OPEN');
    given(...AWAITING, opened)
      .when(cancel(5, support))
      .thenThrows('REQUEST_ALREADY_OPEN');
  });

  it('an open order_update request blocks it: REQUEST_ALREADY_OPEN', () => {
    given(...IN_PROGRESS, updateOpened(20))
      .when(cancel(100, buyer))
      .thenThrows('REQUEST_ALREADY_OPEN');
  });

  it.each(Object.entries(TERMINAL))('is unavailable on a %s order: RESOLUTION_CENTER_UNAVAILABLE', (_, h) => {
    given(...h)
      .when(cancel(200, buyer))
      .thenThrows('RESOLUTION_CENTER_UNAVAILABLE');
    given(...h)
      .when(cancel(200, support))
      .thenThrows('RESOLUTION_CENTER_UNAVAILABLE');
  });

  it.each([seller, stranger, system])('refuses $role $id: FORBIDDEN (the seller asks instead)', (actor) => {
    given(...AWAITING)
      .when(cancel(5, actor))
      .thenThrows('FORBIDDEN');
  });
});

// ---- extras -----------------------------------------------------------------------------------------------

describe('extras', () => {
  describe('OfferExtras', () => {
    it.each([
      ['awaiting_requirements', AWAITING],
      ['in_progress', IN_PROGRESS],
      ['in revision', IN_REVISION],
    ])('the seller offers extras when %s, to be answered within 48 h', (_, history) => {
      given(...history)
        .when(offer(20))
        .then([ev.extrasOffered({ hours: 20 })]);
    });

    it('several may be pending, and they do not block requests (nor requests them)', () => {
      const history = [
        ...IN_PROGRESS,
        ev.extrasOffered({ hours: 5 }),
        cancellationOpened(6, 'buyer', 'other'),
      ];
      given(...history)
        .when(offer(20, { offerId: 'offer-2', extraDays: 0 }))
        .then([ev.extrasOffered({ hours: 20, offerId: 'offer-2', extraDays: 0 })]);
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5 }))
        .when(openCancellation(20))
        .then([cancellationOpened(20)]);
    });

    it.each([buyer, support, system])('refuses $role: FORBIDDEN', (actor) => {
      given(...IN_PROGRESS)
        .when(offer(20, {}, actor))
        .thenThrows('FORBIDDEN');
    });

    it.each([
      ['delivered', DELIVERED],
      ['completed', COMPLETED],
      ['cancelled', CANCELLED],
    ])('refuses when %s: INVALID_STATE', (_, history) => {
      given(...history)
        .when(offer(30))
        .thenThrows('INVALID_STATE');
    });

    it.each<[string, Partial<Extract<OrderCommand, { type: 'OfferExtras' }>['data']>]>([
      ['amount', { amount: 0 }],
      ['amount', { amount: 9.99 }],
      ['amount', { amount: -5 }],
      ['extraDays', { extraDays: -1 }],
      ['extraDays', { extraDays: 0.5 }],
      ['extraDays', { extraDays: 366 }],
      ['description', { description: '' }],
      ['offerId', { offerId: '' }],
    ])('refuses a bad %s %p', (field, data) => {
      given(...IN_PROGRESS)
        .when(offer(20, data))
        .thenThrows('VALIDATION_FAILED', field);
    });

    it('refuses reusing an offer id', () => {
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5 }))
        .when(offer(20))
        .thenThrows('VALIDATION_FAILED', 'offerId');
    });

    it('at most 10 pending at once: the 11th is refused (INVALID_STATE) until one is answered or lapses', () => {
      const ten = Array.from({ length: 10 }, (_, i) => ev.extrasOffered({ hours: 2 + i, offerId: `o-${i}` }));
      given(...IN_PROGRESS, ...ten)
        .when(offer(20, { offerId: 'o-10' }))
        .thenThrows('INVALID_STATE');
      const tenPending = given(...IN_PROGRESS, ...ten).state;
      expect(allowedActions(tenPending, seller, at(20))).not.toContain('offer_extras');
      const declined = decide(declineExtras(20, buyer, 'o-3'), tenPending);
      given(...IN_PROGRESS, ...ten, ...declined)
        .when(offer(21, { offerId: 'o-10' }))
        .then([ev.extrasOffered({ hours: 21, offerId: 'o-10' })]);
      // o-0 was offered at hour 2: at hour 50 it has lapsed (48 h), even before the scheduler records it.
      given(...IN_PROGRESS, ...ten)
        .when(offer(50, { offerId: 'o-10' }))
        .then([ev.extrasOffered({ hours: 50, offerId: 'o-10' })]);
    });
  });

  describe('AcceptExtras', () => {
    it('price += amount and dueAt += extra days', () => {
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5, amount: 1500, extraDays: 2 }))
        .when(acceptExtras(6))
        .then([
          ev.extrasAccepted({ hours: 6, newPrice: PRICE + 1500 }),
          ev.dueDateExtended({
            hours: 6,
            previousDueAt: DUE,
            newDueAt: plusDays(DUE, 2),
            source: 'extras',
            sourceId: 'offer-1',
          }),
        ]);
    });

    it('no extra days: the due date stays', () => {
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5, extraDays: 0 }))
        .when(acceptExtras(6))
        .then([ev.extrasAccepted({ hours: 6, extraDays: 0, newPrice: PRICE + 1500 })]);
    });

    it('before the start: the extra days add to the delivery days', () => {
      const history = [...AWAITING, ev.extrasOffered({ hours: 1, extraDays: 2 })];
      given(...history)
        .when(acceptExtras(2))
        .then([ev.extrasAccepted({ hours: 2, newPrice: PRICE + 1500 })]);
      expect(foldOrder([...history, ev.extrasAccepted({ hours: 2, newPrice: PRICE + 1500 })])).toMatchObject({
        deliveryDays: DELIVERY_DAYS + 2,
        dueAt: null,
        price: { amount: PRICE + 1500, currency: 'USD' },
      });
    });

    it('an offer still pending after the delivery may be accepted', () => {
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5, extraDays: 1 }), ev.delivered(10))
        .when(acceptExtras(11))
        .then([
          ev.extrasAccepted({ hours: 11, extraDays: 1, newPrice: PRICE + 1500 }),
          ev.dueDateExtended({
            hours: 11,
            previousDueAt: DUE,
            newDueAt: plusDays(DUE, 1),
            source: 'extras',
            sourceId: 'offer-1',
          }),
        ]);
    });

    it('prices add up over several extras', () => {
      given(
        ...IN_PROGRESS,
        ev.extrasOffered({ hours: 5, extraDays: 0 }),
        ev.extrasOffered({ hours: 5, offerId: 'offer-2', amount: 700, extraDays: 0 }),
        ev.extrasAccepted({ hours: 6, extraDays: 0, newPrice: PRICE + 1500 }),
      )
        .when(acceptExtras(7, buyer, 'offer-2'))
        .then([
          ev.extrasAccepted({
            hours: 7,
            offerId: 'offer-2',
            amount: 700,
            extraDays: 0,
            newPrice: PRICE + 2200,
          }),
        ]);
    });

    it('refuses an unknown offer: OFFER_NOT_FOUND', () => {
      given(...IN_PROGRESS)
        .when(acceptExtras(6))
        .thenThrows('OFFER_NOT_FOUND');
    });

    it.each<[string, OrderEvent]>([
      ['accepted', ev.extrasAccepted({ hours: 6, newPrice: PRICE + 1500 })],
      ['declined', ev.extrasDeclined(6)],
      ['lapsed', ev.extrasLapsed(53)],
    ])('refuses an offer already %s: INVALID_STATE', (_, closing) => {
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5 }), closing)
        .when(acceptExtras(54))
        .thenThrows('INVALID_STATE');
    });

    it('refuses at expiresAt, before the lapse is recorded: INVALID_STATE', () => {
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5 }))
        .when(acceptExtras(53))
        .thenThrows('INVALID_STATE');
    });

    it.each(Object.entries(TERMINAL))('refuses on a %s order: INVALID_STATE', (_, h) => {
      given(...h.slice(0, -1), ev.extrasOffered({ hours: 1.5, extraDays: 0 }), h[h.length - 1])
        .when(acceptExtras(12))
        .thenThrows('INVALID_STATE');
    });

    it.each([seller, support, system])('refuses $role: FORBIDDEN', (actor) => {
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5 }))
        .when(acceptExtras(6, actor))
        .thenThrows('FORBIDDEN');
    });
  });

  describe('DeclineExtras', () => {
    it('declines a pending offer; price and dueAt stay', () => {
      const history = [...IN_PROGRESS, ev.extrasOffered({ hours: 5 })];
      given(...history)
        .when(declineExtras(6))
        .then([ev.extrasDeclined(6)]);
      expect(foldOrder([...history, ev.extrasDeclined(6)])).toMatchObject({
        price: { amount: PRICE },
        dueAt: DUE,
        pendingExtras: [],
      });
    });

    it('refuses unknown (OFFER_NOT_FOUND), answered or lapsed (INVALID_STATE), seller (FORBIDDEN)', () => {
      const history = [...IN_PROGRESS, ev.extrasOffered({ hours: 5 })];
      given(...history)
        .when(declineExtras(6, buyer, 'offer-9'))
        .thenThrows('OFFER_NOT_FOUND');
      given(...history, ev.extrasDeclined(6))
        .when(declineExtras(7))
        .thenThrows('INVALID_STATE');
      given(...history)
        .when(declineExtras(53))
        .thenThrows('INVALID_STATE');
      given(...history)
        .when(declineExtras(6, seller))
        .thenThrows('FORBIDDEN');
    });
  });
});
