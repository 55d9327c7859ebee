// Partial refunds: a Resolution Center request of the seller (domain.md "Partial refunds"). Times are hours from T0.
import type { OrderCommand } from './order.commands';
import type { OrderEvent } from './order.events';
import { allowedActions } from './order.rules';
import { foldOrder } from './order.state';
import type { Actor } from './order.types';
import { CASE_ID, caseEv } from './testing/support-case-events';
import { at, buyer, command, ev, given, seller, stranger, support, system } from './testing/given-when-then';

/** The fixtures' order at another price (ev.placed is 50.00, which allows no partial refund). */
const placed = (amount: number): OrderEvent => {
  const e = ev.placed() as Extract<OrderEvent, { type: 'OrderPlaced' }>;
  return { ...e, data: { ...e.data, price: { amount, currency: 'USD' } } };
};
/** 100.00, in progress (requirements at hour 1): each offer and all agreed together at most 60.00. */
const IN_PROGRESS = [placed(10_000), ev.submitted(1)];
const DELIVERED = [...IN_PROGRESS, ev.delivered(10)];

const offer = (
  hours: number,
  data: Partial<Extract<OrderCommand, { type: 'OpenRequest' }>['data']> = {},
  actor: Actor = seller,
) =>
  command(
    'OpenRequest',
    {
      requestId: 'req-1',
      requestType: 'partial_refund',
      reason: 'delay_compensation',
      comment: 'sorry for the delay',
      amount: 2000,
      ...data,
    },
    actor,
    hours,
  );
const accept = (hours: number, actor: Actor = buyer) =>
  command('AcceptRequest', { requestId: 'req-1' }, actor, hours);
const decline = (hours: number) => command('DeclineRequest', { requestId: 'req-1' }, buyer, hours);
const expire = (hours: number) => command('ExpireRequest', { requestId: 'req-1' }, system, hours);
const offered = (hours = 20, amount = 2000) => caseEv.refundOffered({ hours, amount });
const agreed = (hours: number, amount: number, netPrice: number, requestId = 'req-0') => [
  caseEv.refundOffered({ hours, amount, requestId }),
  ev.accepted({ hours: hours + 1, type: 'partial_refund', requestId }),
  caseEv.refunded({ hours: hours + 1, amount, netPrice, sourceId: requestId }),
];

describe('partial refunds', () => {
  describe('OpenRequest: partial_refund', () => {
    it('the seller offers an amount; the reason is kept apart as confidential', () => {
      given(...IN_PROGRESS)
        .when(offer(20))
        .then([offered(20)]);
      expect(foldOrder([...IN_PROGRESS, offered(20)]).openRequest).toMatchObject({
        type: 'partial_refund',
        reason: null,
        confidentialReason: 'delay_compensation',
        amount: 2000,
      });
    });

    it.each([
      ['awaiting requirements', [placed(10_000)]],
      ['delivered', DELIVERED],
    ])('on any active order: %s', (_, history) => {
      given(...history)
        .when(offer(20))
        .then([offered(20)]);
    });

    it.each<[string, Actor]>([
      ['the buyer (who asks the seller instead)', buyer],
      ['support', support],
      ['a stranger', stranger],
    ])('only the seller: FORBIDDEN for %s', (_, actor) => {
      given(...IN_PROGRESS)
        .when(offer(20, {}, actor))
        .thenThrows('FORBIDDEN');
    });

    it('not on an ended order: RESOLUTION_CENTER_UNAVAILABLE', () => {
      given(...DELIVERED, ev.completed(11))
        .when(offer(20))
        .thenThrows('RESOLUTION_CENTER_UNAVAILABLE');
    });

    it('one open request per order applies: REQUEST_ALREADY_OPEN', () => {
      given(...IN_PROGRESS, ev.opened({ hours: 5, type: 'cancellation', openedBy: 'buyer' }))
        .when(offer(20, { requestId: 'req-2' }))
        .thenThrows('REQUEST_ALREADY_OPEN');
    });

    it.each([
      ['a primary price of exactly 50.00 (it must be over)', [placed(5000), ev.submitted(1)], 2000],
      ['less than 5.00', IN_PROGRESS, 499],
      ['more than 60 % of the primary price', IN_PROGRESS, 6001],
    ])('REFUND_NOT_ALLOWED for %s', (_, history, amount) => {
      given(...history)
        .when(offer(20, { amount }))
        .thenThrows('REFUND_NOT_ALLOWED');
    });

    it('the limits themselves are allowed: 5.00 and 60 %', () => {
      for (const amount of [500, 6000]) {
        given(...IN_PROGRESS)
          .when(offer(20, { amount }))
          .then([offered(20, amount)]);
      }
    });

    it('the 60 % is of the primary price: extras do not raise it', () => {
      const withExtras = [
        ...IN_PROGRESS,
        ev.extrasOffered({ hours: 2, amount: 5000, extraDays: 0 }),
        ev.extrasAccepted({ hours: 3, amount: 5000, extraDays: 0, newPrice: 15_000 }),
      ];
      given(...withExtras)
        .when(offer(20, { amount: 6001 }))
        .thenThrows('REFUND_NOT_ALLOWED');
    });

    it('[decision] all agreed partial refunds together stay within 60 % of the primary price', () => {
      const history = [...IN_PROGRESS, ...agreed(5, 4000, 6000)];
      given(...history)
        .when(offer(20, { amount: 2001 }))
        .thenThrows('REFUND_NOT_ALLOWED');
      given(...history)
        .when(offer(20, { amount: 2000 }))
        .then([offered(20, 2000)]);
    });

    it('no room left for the 5.00 minimum: REFUND_NOT_ALLOWED, and the button is gone', () => {
      const history = [...IN_PROGRESS, ...agreed(5, 5600, 4400)];
      given(...history)
        .when(offer(20, { amount: 500 }))
        .thenThrows('REFUND_NOT_ALLOWED');
      expect(allowedActions(foldOrder(history), seller, at(20))).not.toContain('open_partial_refund_request');
      expect(allowedActions(foldOrder(IN_PROGRESS), seller, at(20))).toContain('open_partial_refund_request');
    });

    it('never more than is left of the price after support refunds', () => {
      const history = [
        ...IN_PROGRESS,
        caseEv.opened({ hours: 2 }),
        caseEv.resolved({ hours: 3, outcome: 'partial_refund', amount: 9000 }),
        caseEv.refunded({ hours: 3, amount: 9000, netPrice: 1000, by: 'support', sourceId: CASE_ID }),
      ];
      given(...history)
        .when(offer(20, { amount: 1001 }))
        .thenThrows('REFUND_NOT_ALLOWED');
    });

    it.each<[string, Partial<Extract<OrderCommand, { type: 'OpenRequest' }>['data']>, string]>([
      ['no amount', { amount: undefined }, 'amount'],
      ['an amount that is not whole minor units', { amount: 500.5 }, 'amount'],
      ['no reason', { reason: undefined }, 'reason'],
      ['a cancellation reason', { reason: 'cannot_deliver' }, 'reason'],
    ])('VALIDATION_FAILED for %s', (_, data, field) => {
      given(...IN_PROGRESS)
        .when(offer(20, data))
        .thenThrows('VALIDATION_FAILED', field);
    });

    it('other request types take no amount', () => {
      given(...IN_PROGRESS)
        .when(
          command(
            'OpenRequest',
            { requestId: 'req-1', requestType: 'cancellation', reason: 'other', comment: 'c', amount: 500 },
            seller,
            20,
          ),
        )
        .thenThrows('VALIDATION_FAILED', 'amount');
    });
  });

  describe('answering', () => {
    it('accepted by the buyer: the refund is recorded, the order goes on in its state', () => {
      const events = given(...IN_PROGRESS, offered(20))
        .when(accept(30))
        .then([
          ev.accepted({ hours: 30, type: 'partial_refund' }),
          caseEv.refunded({ hours: 30, amount: 2000, netPrice: 8000 }),
        ]);
      expect(foldOrder([...IN_PROGRESS, offered(20), ...events])).toMatchObject({
        status: 'in_progress',
        openRequest: null,
        refunds: [{ amount: 2000, at: at(30).toISOString(), by: 'request' }],
        netPrice: { amount: 8000, currency: 'USD' },
        price: { amount: 10_000, currency: 'USD' },
      });
    });

    it('the net price is the price with extras minus the refunds', () => {
      const history = [
        ...IN_PROGRESS,
        ev.extrasOffered({ hours: 2, amount: 5000, extraDays: 0 }),
        ev.extrasAccepted({ hours: 3, amount: 5000, extraDays: 0, newPrice: 15_000 }),
        offered(20),
      ];
      given(...history)
        .when(accept(30))
        .then([
          ev.accepted({ hours: 30, type: 'partial_refund' }),
          caseEv.refunded({ hours: 30, amount: 2000, netPrice: 13_000 }),
        ]);
    });

    it('only the buyer answers: FORBIDDEN for the seller', () => {
      given(...IN_PROGRESS, offered(20))
        .when(accept(30, seller))
        .thenThrows('FORBIDDEN');
    });

    it('declined: the order goes on, nothing refunded', () => {
      given(...IN_PROGRESS, offered(20))
        .when(decline(30))
        .then([ev.declined({ hours: 30, type: 'partial_refund' })]);
    });

    it('[decision] no answer within 48 h: the offer lapses, nothing is refunded', () => {
      given(...IN_PROGRESS, offered(20))
        .when(expire(68))
        .then([ev.expired({ hours: 68, type: 'partial_refund', outcome: 'closed' })]);
      given(...IN_PROGRESS, offered(20))
        .when(expire(67))
        .thenNothing();
    });

    it('after respondBy the buyer can no longer accept: REQUEST_NOT_OPEN', () => {
      given(...IN_PROGRESS, offered(20))
        .when(accept(68))
        .thenThrows('REQUEST_NOT_OPEN');
    });

    it('[decision] an offer that no longer fits (support refunded meanwhile) cannot be accepted: REFUND_NOT_ALLOWED', () => {
      const history = [
        ...IN_PROGRESS,
        offered(20, 2000),
        caseEv.opened({ hours: 21 }),
        caseEv.resolved({ hours: 22, outcome: 'partial_refund', amount: 9000 }),
        caseEv.refunded({ hours: 22, amount: 9000, netPrice: 1000, by: 'support', sourceId: CASE_ID }),
      ];
      given(...history)
        .when(accept(30))
        .thenThrows('REFUND_NOT_ALLOWED');
      expect(allowedActions(foldOrder(history), buyer, at(30))).toContain('decline_request');
      expect(allowedActions(foldOrder(history), buyer, at(30))).not.toContain('accept_request');
    });

    it('the seller may withdraw the offer', () => {
      given(...IN_PROGRESS, offered(20))
        .when(command('WithdrawRequest', { requestId: 'req-1' }, seller, 25))
        .then([ev.withdrawn({ hours: 25, type: 'partial_refund', by: 'seller' })]);
    });
  });
});
