// Support resolving a case, the case closing when the order ends otherwise, and auto-completion waiting for it.
// Times are hours from T0.
import type { OrderCommand } from './order.commands';
import { autoCompletionDueAt } from './order.rules';
import { foldOrder } from './order.state';
import type { Actor } from './order.types';
import { decide } from './order.decider';
import {
  at,
  buyer,
  command,
  ev,
  given,
  iso,
  plusDays,
  seller,
  support,
  system,
} from './testing/given-when-then';
import { DELIVERED, DUE, IN_PROGRESS } from './testing/order-fixtures';
import { CASE_ID, caseEv } from './testing/support-case-events';

const DUE_PLUS = (days: number) => plusDays(DUE, days);
const OPEN = [...IN_PROGRESS, caseEv.opened()];
const OPEN_DELIVERED = [...DELIVERED, caseEv.opened()];

type Data = Extract<OrderCommand, { type: 'ResolveSupportCase' }>['data'];
const resolve = (hours: number, data: Partial<Data> & { outcome: string }, actor: Actor = support) =>
  command('ResolveSupportCase', { caseId: CASE_ID, rationale: 'we looked at it', ...data }, actor, hours);
const supportCancelled = (hours: number, counts: boolean, previousStatus: 'in_progress' | 'delivered') =>
  ev.cancelled({
    hours,
    mode: 'support',
    initiator: 'support',
    reason: 'other',
    comment: 'we looked at it',
    previousStatus,
    counts,
  });

describe('resolving a support case', () => {
  it('no_action: the case closes, the order goes on', () => {
    given(...OPEN)
      .when(resolve(30, { outcome: 'no_action' }))
      .then([caseEv.resolved({ hours: 30 })]);
    expect(foldOrder([...OPEN, caseEv.resolved({ hours: 30 })]).supportCase).toMatchObject({
      status: 'resolved',
      resolution: { outcome: 'no_action', rationale: 'we looked at it', at: iso(30) },
      closedAt: iso(30),
    });
  });

  describe('cancel_order', () => {
    it('cancels with mode and initiator support, counting as support says', () => {
      for (const counts of [true, false]) {
        given(...OPEN)
          .when(resolve(30, { outcome: 'cancel_order', countsTowardCompletionRate: counts }))
          .then([
            caseEv.resolved({ hours: 30, outcome: 'cancel_order', countsTowardCompletionRate: counts }),
            supportCancelled(30, counts, 'in_progress'),
          ]);
      }
    });

    it('[decision] support must say whether it counts: VALIDATION_FAILED without it', () => {
      given(...OPEN)
        .when(resolve(30, { outcome: 'cancel_order' }))
        .thenThrows('VALIDATION_FAILED', 'countsTowardCompletionRate');
    });

    it('closes an open Resolution Center request first', () => {
      given(...OPEN, ev.opened({ hours: 25, type: 'delivery_extension', proposedDueAt: plusDays(DUE, 2) }))
        .when(resolve(30, { outcome: 'cancel_order', countsTowardCompletionRate: true }))
        .then([
          caseEv.resolved({ hours: 30, outcome: 'cancel_order', countsTowardCompletionRate: true }),
          caseEv.requestClosed({ hours: 30, requestType: 'delivery_extension' }),
          supportCancelled(30, true, 'in_progress'),
        ]);
    });
  });

  describe('partial_refund', () => {
    it('refunds any amount up to the price minus earlier refunds: the 60 % cap does not bind support', () => {
      given(...OPEN)
        .when(resolve(30, { outcome: 'partial_refund', amount: 5000 }))
        .then([
          caseEv.resolved({ hours: 30, outcome: 'partial_refund', amount: 5000 }),
          caseEv.refunded({ hours: 30, amount: 5000, netPrice: 0, by: 'support' }),
        ]);
    });

    it('counts extras in the price and earlier refunds against it', () => {
      const history = [
        ...IN_PROGRESS,
        ev.extrasOffered({ hours: 2, amount: 1500, extraDays: 0 }),
        ev.extrasAccepted({ hours: 3, amount: 1500, extraDays: 0, newPrice: 6500 }),
        caseEv.opened(),
      ];
      given(...history)
        .when(resolve(30, { outcome: 'partial_refund', amount: 6500 }))
        .then([
          caseEv.resolved({ hours: 30, outcome: 'partial_refund', amount: 6500 }),
          caseEv.refunded({ hours: 30, amount: 6500, netPrice: 0, by: 'support' }),
        ]);
      given(...history)
        .when(resolve(30, { outcome: 'partial_refund', amount: 6501 }))
        .thenThrows('REFUND_NOT_ALLOWED');
    });

    it('VALIDATION_FAILED without a positive whole amount; an amount belongs to this outcome only', () => {
      given(...OPEN)
        .when(resolve(30, { outcome: 'partial_refund', amount: 0 }))
        .thenThrows('VALIDATION_FAILED', 'amount');
      given(...OPEN)
        .when(resolve(30, { outcome: 'no_action', amount: 100 }))
        .thenThrows('VALIDATION_FAILED', 'amount');
    });
  });

  describe('extend_due_date', () => {
    it('moves dueAt to a later date', () => {
      given(...OPEN)
        .when(resolve(30, { outcome: 'extend_due_date', newDueAt: DUE_PLUS(1) }))
        .then([
          caseEv.resolved({ hours: 30, outcome: 'extend_due_date', newDueAt: DUE_PLUS(1) }),
          ev.dueDateExtended({
            hours: 30,
            previousDueAt: DUE,
            newDueAt: DUE_PLUS(1),
            source: 'support_case',
            sourceId: CASE_ID,
          }),
        ]);
    });

    it('closes an open delivery extension request, but no other request', () => {
      const extension = ev.opened({ hours: 25, type: 'delivery_extension', proposedDueAt: DUE_PLUS(2) });
      const [resolved, closed] = given(...OPEN, extension)
        .when(resolve(30, { outcome: 'extend_due_date', newDueAt: DUE_PLUS(1) }))
        .then([
          caseEv.resolved({ hours: 30, outcome: 'extend_due_date', newDueAt: DUE_PLUS(1) }),
          caseEv.requestClosed({ hours: 30, requestType: 'delivery_extension' }),
          ev.dueDateExtended({
            hours: 30,
            previousDueAt: DUE,
            newDueAt: DUE_PLUS(1),
            source: 'support_case',
            sourceId: CASE_ID,
          }),
        ]);
      expect([resolved.type, closed.type]).toEqual(['SupportCaseResolved', 'ResolutionRequestClosed']);
      const cancellation = ev.opened({ hours: 25, type: 'cancellation', openedBy: 'buyer' });
      const events = decide(
        resolve(30, { outcome: 'extend_due_date', newDueAt: DUE_PLUS(1) }),
        foldOrder([...OPEN, cancellation]),
      );
      expect(events.map((e) => e.type)).toEqual(['SupportCaseResolved', 'DueDateExtended']);
    });

    it('VALIDATION_FAILED for a date not later than dueAt; INVALID_STATE before the work started', () => {
      given(...OPEN)
        .when(resolve(30, { outcome: 'extend_due_date', newDueAt: DUE }))
        .thenThrows('VALIDATION_FAILED', 'newDueAt');
      given(ev.placed(), caseEv.opened())
        .when(resolve(30, { outcome: 'extend_due_date', newDueAt: DUE_PLUS(1) }))
        .thenThrows('INVALID_STATE');
    });
  });

  describe('complete_order', () => {
    it('completes a delivered order as if the buyer accepted, closing an open request', () => {
      given(...OPEN_DELIVERED, ev.opened({ hours: 25, type: 'cancellation', openedBy: 'buyer' }))
        .when(resolve(30, { outcome: 'complete_order' }))
        .then([
          caseEv.resolved({ hours: 30, outcome: 'complete_order' }),
          caseEv.requestClosed({ hours: 30 }),
          ev.completed(30, 'accepted_by_buyer'),
        ]);
    });

    it('only when delivered: INVALID_STATE', () => {
      given(...OPEN)
        .when(resolve(30, { outcome: 'complete_order' }))
        .thenThrows('INVALID_STATE');
    });
  });

  it("api.md's order: 403, then the body (400), then the case (404), then its state (409)", () => {
    given(...OPEN)
      .when(resolve(30, { outcome: 'bogus', caseId: 'nope' }, buyer))
      .thenThrows('FORBIDDEN');
    given(...OPEN)
      .when(resolve(30, { outcome: 'bogus', caseId: 'nope' }))
      .thenThrows('VALIDATION_FAILED', 'outcome');
    given(...OPEN, caseEv.withdrawn(25))
      .when(resolve(30, { outcome: 'cancel_order' }))
      .thenThrows('VALIDATION_FAILED', 'countsTowardCompletionRate');
    given(...OPEN)
      .when(resolve(30, { outcome: 'no_action', rationale: '' }))
      .thenThrows('VALIDATION_FAILED', 'rationale');
    given(...OPEN)
      .when(resolve(30, { outcome: 'no_action', caseId: 'nope' }))
      .thenThrows('CASE_NOT_FOUND');
    given(...OPEN, caseEv.withdrawn(25))
      .when(resolve(30, { outcome: 'no_action' }))
      .thenThrows('CASE_NOT_OPEN');
    // In progress: complete_order is not allowed (409), but an amount it does not take is malformed first.
    given(...OPEN)
      .when(resolve(30, { outcome: 'complete_order', amount: 100 }))
      .thenThrows('VALIDATION_FAILED', 'amount');
  });
});

describe('the order ends otherwise while a case is open: settled_by_parties, in the same decision', () => {
  it('the buyer accepts the delivery', () => {
    given(...OPEN_DELIVERED)
      .when(command('AcceptDelivery', {}, buyer, 30))
      .then([ev.completed(30), caseEv.settled(30)]);
  });

  it('a cancellation request is accepted', () => {
    given(
      ...OPEN,
      ev.opened({ hours: 25, type: 'cancellation', openedBy: 'seller', reason: 'cannot_deliver' }),
    )
      .when(command('AcceptRequest', { requestId: 'req-1' }, buyer, 30))
      .then([
        ev.accepted({ hours: 30 }),
        ev.cancelled({
          hours: 30,
          mode: 'mutual',
          initiator: 'seller',
          reason: 'cannot_deliver',
          comment: 'please',
          requestId: 'req-1',
          counts: true,
        }),
        caseEv.settled(30),
      ]);
  });

  it('support cancels the order without the case', () => {
    given(...OPEN)
      .when(command('CancelOrder', { reason: 'fraud' }, support, 30))
      .then([
        ev.cancelled({ hours: 30, mode: 'support', initiator: 'support', reason: 'fraud', counts: false }),
        caseEv.settled(30),
      ]);
    expect(foldOrder([...OPEN, caseEv.settled(30)]).supportCase?.resolution).toEqual({
      outcome: 'settled_by_parties',
      rationale: null,
      at: iso(30),
    });
  });
});

describe('auto-completion and support cases', () => {
  const complete = (hours: number, actor: Actor = system) =>
    command('CompleteAutomatically', {}, actor, hours);

  it('waits while a case is open, idempotently', () => {
    given(...OPEN_DELIVERED)
      .when(complete(200))
      .thenNothing();
    expect(autoCompletionDueAt(foldOrder(OPEN_DELIVERED))).toBeNull();
  });

  it('after it closes, completion is due at max(deliveredAt + 3 d, closedAt)', () => {
    const closedLate = [...OPEN_DELIVERED, caseEv.withdrawn(100)];
    expect(autoCompletionDueAt(foldOrder(closedLate))).toBe(iso(100));
    given(...closedLate)
      .when(complete(100))
      .then([ev.completed(100, 'auto_completed')]);
    const closedEarly = [...OPEN_DELIVERED, caseEv.resolved({ hours: 30 })];
    expect(autoCompletionDueAt(foldOrder(closedEarly))).toBe(iso(82));
    given(...closedEarly)
      .when(complete(81))
      .thenNothing();
  });

  it('an order completed after a partial refund counts as completed', () => {
    const history = [
      ...OPEN_DELIVERED,
      caseEv.resolved({ hours: 30, outcome: 'partial_refund', amount: 1000 }),
      caseEv.refunded({ hours: 30, amount: 1000, netPrice: 4000, by: 'support' }),
    ];
    given(...history)
      .when(command('AcceptDelivery', {}, buyer, 31))
      .then([ev.completed(31)]);
  });

  it('the seller can still deliver while a case is open', () => {
    given(...OPEN)
      .when(command('DeliverOrder', { message: 'here' }, seller, 30))
      .then([
        {
          type: 'OrderDelivered',
          data: { orderId: 'order-1', message: 'here', deliveredAt: at(30).toISOString(), deliveryNumber: 1 },
        },
      ]);
  });
});
