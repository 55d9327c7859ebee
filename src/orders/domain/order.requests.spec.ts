// The decider, Resolution Center requests: opening them. Times are hours from T0.
import type { OrderEvent } from './order.events';
import type { Actor, RequestType } from './order.types';
import {
  ORDER_ID,
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
  AWAITING,
  cancellationOpened,
  COMPLETED,
  DELIVERED,
  DUE,
  extensionOpened,
  IN_PROGRESS,
  IN_REVISION,
  open,
  openCancellation,
  openExtension,
  openUpdate,
  TERMINAL,
  updateOpened,
} from './testing/order-fixtures';

// ---- Resolution Center requests ---------------------------------------------------------------------------

describe('requests', () => {
  describe('OpenRequest: cancellation', () => {
    it('opens a seller cancellation request with a seller reason, to be answered within 48 h', () => {
      given(...IN_PROGRESS)
        .when(openCancellation(20, seller, 'cannot_deliver'))
        .then([
          {
            type: 'ResolutionRequestOpened',
            data: {
              orderId: ORDER_ID,
              requestId: 'req-1',
              requestType: 'cancellation',
              openedBy: 'seller',
              reason: 'cannot_deliver',
              comment: 'please',
              proposedDueAt: null,
              openedAt: iso(20),
              respondBy: iso(68),
            },
          },
        ]);
    });

    it.each([
      ['awaiting_requirements', AWAITING],
      ['in_progress', IN_PROGRESS],
      ['delivered', DELIVERED],
      ['in revision', IN_REVISION],
    ])('the buyer may open one when %s', (_, history) => {
      given(...history)
        .when(openCancellation(20, buyer, 'no_longer_needed'))
        .then([cancellationOpened(20, 'buyer', 'no_longer_needed')]);
    });

    it('refuses a reason from the other party’s list', () => {
      given(...IN_PROGRESS)
        .when(openCancellation(20, buyer, 'cannot_deliver'))
        .thenThrows('VALIDATION_FAILED', 'reason');
      given(...IN_PROGRESS)
        .when(openCancellation(20, seller, 'late_delivery'))
        .thenThrows('VALIDATION_FAILED', 'reason');
    });

    it('refuses a missing reason', () => {
      given(...IN_PROGRESS)
        .when(open(20, buyer, { requestType: 'cancellation' }))
        .thenThrows('VALIDATION_FAILED', 'reason');
    });

    it('refuses a proposedDueAt', () => {
      given(...IN_PROGRESS)
        .when(
          open(20, buyer, { requestType: 'cancellation', reason: 'other', proposedDueAt: plusDays(DUE, 1) }),
        )
        .thenThrows('VALIDATION_FAILED', 'proposedDueAt');
    });

    it.each([support, stranger, system])('refuses $role $id: FORBIDDEN', (actor) => {
      given(...IN_PROGRESS)
        .when(openCancellation(20, actor, 'other'))
        .thenThrows('FORBIDDEN');
    });
  });

  describe('OpenRequest: any type', () => {
    it.each<[string, Actor, RequestType]>([
      ['cancellation', seller, 'cancellation'],
      ['delivery_extension', seller, 'delivery_extension'],
      ['order_update', buyer, 'order_update'],
    ])('%s needs a comment', (_, actor, requestType) => {
      given(...IN_PROGRESS)
        .when(
          open(20, actor, {
            requestType,
            comment: '',
            reason: requestType === 'cancellation' ? 'other' : undefined,
            proposedDueAt: requestType === 'delivery_extension' ? plusDays(DUE, 1) : undefined,
          }),
        )
        .thenThrows('VALIDATION_FAILED', 'comment');
    });

    it.each(Object.entries(TERMINAL))(
      'is unavailable on a %s order: RESOLUTION_CENTER_UNAVAILABLE',
      (_, h) => {
        given(...h)
          .when(openCancellation(40, buyer, 'other'))
          .thenThrows('RESOLUTION_CENTER_UNAVAILABLE');
        given(...h)
          .when(openUpdate(40))
          .thenThrows('RESOLUTION_CENTER_UNAVAILABLE');
      },
    );

    it('checks the party before the terminal state', () => {
      given(...COMPLETED)
        .when(openExtension(40, plusDays(DUE, 1), buyer))
        .thenThrows('FORBIDDEN');
    });

    it('checks the body after the party and before the state (api.md: 403, then 400, then 409)', () => {
      given(...COMPLETED)
        .when(open(40, buyer, { requestType: 'cancellation', comment: 'x' }))
        .thenThrows('VALIDATION_FAILED', 'reason');
      given(...DELIVERED)
        .when(open(40, seller, { requestType: 'delivery_extension', comment: 'x' }))
        .thenThrows('VALIDATION_FAILED', 'proposedDueAt');
      given(...DELIVERED, cancellationOpened(30, 'buyer', 'other'))
        .when(
          open(40, seller, {
            requestId: 'req-2',
            requestType: 'partial_refund',
            comment: 'x',
            reason: 'other',
          }),
        )
        .thenThrows('VALIDATION_FAILED', 'amount');
    });

    it.each<[string, OrderEvent]>([
      ['cancellation', cancellationOpened(5, 'buyer', 'other')],
      ['delivery_extension', extensionOpened(5)],
      ['order_update', updateOpened(5)],
    ])('allows one open request per order (%s open): REQUEST_ALREADY_OPEN', (_, opened) => {
      given(...IN_PROGRESS, opened)
        .when(open(20, seller, { requestType: 'cancellation', requestId: 'req-2', reason: 'other' }))
        .thenThrows('REQUEST_ALREADY_OPEN');
      given(...IN_PROGRESS, opened)
        .when(open(20, buyer, { requestType: 'order_update', requestId: 'req-2' }))
        .thenThrows('REQUEST_ALREADY_OPEN');
    });

    it('still counts a request open after respondBy until its expiry is recorded', () => {
      given(...IN_PROGRESS, cancellationOpened(5))
        .when(open(60, buyer, { requestType: 'order_update', requestId: 'req-2' }))
        .thenThrows('REQUEST_ALREADY_OPEN');
    });

    it('opens a new request once the previous one is closed', () => {
      given(...IN_PROGRESS, cancellationOpened(5), ev.declined({ hours: 6 }))
        .when(open(20, buyer, { requestType: 'order_update', requestId: 'req-2' }))
        .then([ev.opened({ hours: 20, type: 'order_update', requestId: 'req-2' })]);
    });

    it('refuses reusing a request id', () => {
      given(...IN_PROGRESS, cancellationOpened(5), ev.declined({ hours: 6 }))
        .when(openUpdate(20))
        .thenThrows('VALIDATION_FAILED', 'requestId');
    });
  });

  describe('OpenRequest: delivery_extension', () => {
    it('opens one with a later due date, normalised to ISO UTC', () => {
      given(...IN_PROGRESS)
        .when(openExtension(20, '2025-03-10T10:00:00+02:00'))
        .then([extensionOpened(20, '2025-03-10T08:00:00.000Z')]);
    });

    it('accepts a plain date (UTC midnight)', () => {
      given(...IN_PROGRESS)
        .when(openExtension(20, '2025-03-20'))
        .then([extensionOpened(20, '2025-03-20T00:00:00.000Z')]);
    });

    it('while awaiting requirements, the date must be later than now', () => {
      given(...AWAITING)
        .when(openExtension(2, iso(30)))
        .then([extensionOpened(2, iso(30))]);
      given(...AWAITING)
        .when(openExtension(2, iso(2)))
        .thenThrows('VALIDATION_FAILED', 'proposedDueAt');
    });

    it('[decision] while awaiting requirements, the date must also be later than a date already agreed on', () => {
      const history = [
        ...AWAITING,
        extensionOpened(1, iso(100)),
        ev.accepted({ hours: 2, type: 'delivery_extension' }),
      ];
      given(...history)
        .when(
          open(3, seller, { requestType: 'delivery_extension', requestId: 'req-2', proposedDueAt: iso(90) }),
        )
        .thenThrows('VALIDATION_FAILED', 'proposedDueAt');
    });

    it.each([
      ['equal to the current dueAt', DUE],
      ['before the current dueAt', iso(50)],
      ['not a date', 'next friday'],
      ['an impossible date', '2025-02-30T10:00:00Z'],
      ['without a zone', '2025-03-20T10:00:00'],
    ])('refuses a proposedDueAt %s', (_, proposedDueAt) => {
      given(...IN_PROGRESS)
        .when(openExtension(20, proposedDueAt))
        .thenThrows('VALIDATION_FAILED', 'proposedDueAt');
    });

    it('refuses a missing proposedDueAt', () => {
      given(...IN_PROGRESS)
        .when(open(20, seller, { requestType: 'delivery_extension' }))
        .thenThrows('VALIDATION_FAILED', 'proposedDueAt');
    });

    it('refuses a reason', () => {
      given(...IN_PROGRESS)
        .when(
          open(20, seller, {
            requestType: 'delivery_extension',
            proposedDueAt: plusDays(DUE, 1),
            reason: 'other',
          }),
        )
        .thenThrows('VALIDATION_FAILED', 'reason');
    });

    it.each([buyer, support])('refuses $role: FORBIDDEN (seller only)', (actor) => {
      given(...IN_PROGRESS)
        .when(openExtension(20, plusDays(DUE, 1), actor))
        .thenThrows('FORBIDDEN');
    });

    it.each([
      ['delivered', DELIVERED],
      ['in revision after a delivery', IN_REVISION],
    ])('refuses when %s: INVALID_STATE', (_, history) => {
      given(...history)
        .when(openExtension(20))
        .thenThrows('INVALID_STATE');
    });
  });

  describe('OpenRequest: order_update', () => {
    it('the buyer opens one while in progress', () => {
      given(...IN_PROGRESS)
        .when(openUpdate(20))
        .then([updateOpened(20)]);
    });

    it.each([seller, support])('refuses $role: FORBIDDEN (buyer only)', (actor) => {
      given(...IN_PROGRESS)
        .when(openUpdate(20, actor))
        .thenThrows('FORBIDDEN');
    });

    it.each([
      ['awaiting_requirements', AWAITING],
      ['delivered', DELIVERED],
    ])('refuses when %s: INVALID_STATE', (_, history) => {
      given(...history)
        .when(openUpdate(20))
        .thenThrows('INVALID_STATE');
    });

    it('refuses a reason or a proposedDueAt', () => {
      given(...IN_PROGRESS)
        .when(open(20, buyer, { requestType: 'order_update', reason: 'other' }))
        .thenThrows('VALIDATION_FAILED', 'reason');
      given(...IN_PROGRESS)
        .when(open(20, buyer, { requestType: 'order_update', proposedDueAt: plusDays(DUE, 1) }))
        .thenThrows('VALIDATION_FAILED', 'proposedDueAt');
    });
  });
});
