// The decider, Resolution Center requests: accepting, declining, withdrawing. Times are hours from T0.
import { decide } from './order.decider';
import type { OrderEvent } from './order.events';
import { foldOrder } from './order.state';
import {
  PRICE,
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
  acceptRequest,
  AWAITING,
  cancel,
  cancellationOpened,
  declineRequest,
  DELIVERED,
  DUE,
  extensionOpened,
  IN_PROGRESS,
  updateOpened,
  withdraw,
} from './testing/order-fixtures';

describe('requests', () => {
  describe('AcceptRequest', () => {
    it('a cancellation: the order is cancelled, mode mutual, initiated by the requester', () => {
      given(...IN_PROGRESS, cancellationOpened(20, 'seller', 'cannot_deliver'))
        .when(acceptRequest(30, buyer, 'ok, sad'))
        .then([
          ev.accepted({ hours: 30, by: 'buyer', comment: 'ok, sad' }),
          ev.cancelled({
            hours: 30,
            mode: 'mutual',
            initiator: 'seller',
            reason: 'cannot_deliver',
            comment: 'please',
            requestId: 'req-1',
            previousStatus: 'in_progress',
            counts: true,
          }),
        ]);
    });

    it('a buyer’s cancellation on a delivered order, accepted by the seller', () => {
      given(...DELIVERED, cancellationOpened(20, 'buyer', 'not_as_described'))
        .when(acceptRequest(30, seller))
        .then([
          ev.accepted({ hours: 30, by: 'seller' }),
          ev.cancelled({
            hours: 30,
            mode: 'mutual',
            initiator: 'buyer',
            reason: 'not_as_described',
            comment: 'please',
            requestId: 'req-1',
            previousStatus: 'delivered',
            counts: true,
          }),
        ]);
    });

    it('[decision] a buyer’s cancellation request while awaiting requirements does not count for the seller', () => {
      given(...AWAITING, cancellationOpened(1, 'buyer', 'no_longer_needed'))
        .when(acceptRequest(3, seller))
        .then([
          ev.accepted({ hours: 3, by: 'seller' }),
          ev.cancelled({
            hours: 3,
            mode: 'mutual',
            initiator: 'buyer',
            reason: 'no_longer_needed',
            comment: 'please',
            requestId: 'req-1',
            previousStatus: 'awaiting_requirements',
            counts: false,
          }),
        ]);
    });

    it('a seller’s cancellation request while awaiting requirements counts', () => {
      given(...AWAITING, cancellationOpened(1, 'seller', 'cannot_deliver'))
        .when(acceptRequest(3, buyer))
        .then([
          ev.accepted({ hours: 3, by: 'buyer' }),
          ev.cancelled({
            hours: 3,
            mode: 'mutual',
            initiator: 'seller',
            reason: 'cannot_deliver',
            comment: 'please',
            requestId: 'req-1',
            previousStatus: 'awaiting_requirements',
            counts: true,
          }),
        ]);
    });

    it('a delivery extension: dueAt moves to the proposed date', () => {
      const proposed = plusDays(DUE, 2);
      given(...IN_PROGRESS, extensionOpened(20, proposed))
        .when(acceptRequest(30, buyer))
        .then([
          ev.accepted({ hours: 30, type: 'delivery_extension' }),
          ev.dueDateExtended({ hours: 30, previousDueAt: DUE, newDueAt: proposed }),
        ]);
    });

    it('[decision] a delivery extension before the start: only the acceptance, the date is kept as agreedDueAt', () => {
      const history = [...AWAITING, extensionOpened(1, iso(200))];
      given(...history)
        .when(acceptRequest(2, buyer))
        .then([ev.accepted({ hours: 2, type: 'delivery_extension' })]);
      const state = foldOrder([...history, ev.accepted({ hours: 2, type: 'delivery_extension' })]);
      expect(state).toMatchObject({ dueAt: null, agreedDueAt: iso(200), openRequest: null });
    });

    it('[decision] a delivery extension never shortens a dueAt that extras moved past it', () => {
      const proposed = plusDays(DUE, 1);
      given(
        ...IN_PROGRESS,
        extensionOpened(20, proposed),
        ev.extrasOffered({ hours: 21, extraDays: 3 }),
        ev.extrasAccepted({ hours: 22, extraDays: 3, newPrice: PRICE + 1500 }),
        ev.dueDateExtended({
          hours: 22,
          previousDueAt: DUE,
          newDueAt: plusDays(DUE, 3),
          source: 'extras',
          sourceId: 'offer-1',
        }),
      )
        .when(acceptRequest(30, buyer))
        .then([ev.accepted({ hours: 30, type: 'delivery_extension' })]);
    });

    it('an extension still open after the delivery moves dueAt when accepted', () => {
      const proposed = plusDays(DUE, 2);
      given(...IN_PROGRESS, extensionOpened(5, proposed), ev.delivered(10))
        .when(acceptRequest(12, buyer))
        .then([
          ev.accepted({ hours: 12, type: 'delivery_extension' }),
          ev.dueDateExtended({ hours: 12, previousDueAt: DUE, newDueAt: proposed }),
        ]);
    });

    it('an order update: the seller answers with the update', () => {
      given(...IN_PROGRESS, updateOpened(20))
        .when(acceptRequest(30, seller, 'half way there'))
        .then([ev.accepted({ hours: 30, type: 'order_update', by: 'seller', comment: 'half way there' })]);
    });

    it('an order update needs the update as comment', () => {
      given(...IN_PROGRESS, updateOpened(20))
        .when(acceptRequest(30, seller))
        .thenThrows('VALIDATION_FAILED', 'comment');
      given(...IN_PROGRESS, updateOpened(20))
        .when(acceptRequest(30, seller, '  '))
        .thenThrows('VALIDATION_FAILED', 'comment');
    });

    it("[decision] an order update without the update: 400 before the open request's 409, a closed one is REQUEST_NOT_OPEN", () => {
      // Past respondBy (hour 68), not yet recorded: the timeout wins (409), but the body is malformed first.
      given(...IN_PROGRESS, updateOpened(20))
        .when(acceptRequest(70, seller))
        .thenThrows('VALIDATION_FAILED', 'comment');
      given(...IN_PROGRESS, updateOpened(20))
        .when(acceptRequest(70, seller, 'the update'))
        .thenThrows('REQUEST_NOT_OPEN');
      given(...IN_PROGRESS, updateOpened(20))
        .when(acceptRequest(30, buyer))
        .thenThrows('FORBIDDEN');
      // A closed request's type is not kept: nothing tells the body is malformed for it.
      given(...IN_PROGRESS, updateOpened(20), ev.withdrawn({ hours: 25, type: 'order_update', by: 'buyer' }))
        .when(acceptRequest(30, seller))
        .thenThrows('REQUEST_NOT_OPEN');
    });

    it('refuses an unknown request: REQUEST_NOT_FOUND', () => {
      given(...IN_PROGRESS, cancellationOpened(20))
        .when(acceptRequest(30, buyer, undefined, 'req-404'))
        .thenThrows('REQUEST_NOT_FOUND');
    });

    it.each<[string, OrderEvent]>([
      ['declined', ev.declined({ hours: 25 })],
      ['withdrawn', ev.withdrawn({ hours: 25 })],
      ['expired', ev.expired({ hours: 68 })],
    ])('refuses a request already %s: REQUEST_NOT_OPEN', (_, closing) => {
      given(...IN_PROGRESS, extensionOpened(20), closing)
        .when(acceptRequest(70, buyer))
        .thenThrows('REQUEST_NOT_OPEN');
    });

    it('refuses an accepted request (the order is cancelled): REQUEST_NOT_OPEN', () => {
      const history = [...IN_PROGRESS, cancellationOpened(20)];
      const events = decide(acceptRequest(30, buyer), foldOrder(history));
      given(...history, ...events)
        .when(acceptRequest(31, buyer))
        .thenThrows('REQUEST_NOT_OPEN');
    });

    it('the timeout wins: at respondBy the answer is refused: REQUEST_NOT_OPEN', () => {
      given(...IN_PROGRESS, cancellationOpened(20))
        .when(acceptRequest(68, buyer))
        .thenThrows('REQUEST_NOT_OPEN');
      given(...IN_PROGRESS, cancellationOpened(20))
        .when(acceptRequest(67.99, buyer))
        .then(decide(acceptRequest(67.99, buyer), foldOrder([...IN_PROGRESS, cancellationOpened(20)])));
    });

    it.each([seller, support, stranger, system])(
      'refuses $role $id (not the counterpart): FORBIDDEN',
      (actor) => {
        given(...IN_PROGRESS, cancellationOpened(20, 'seller'))
          .when(acceptRequest(30, actor))
          .thenThrows('FORBIDDEN');
      },
    );
  });

  describe('DeclineRequest', () => {
    it('a cancellation: declined, the order goes on', () => {
      const history = [...IN_PROGRESS, cancellationOpened(20, 'buyer', 'other')];
      given(...history)
        .when(declineRequest(30, seller))
        .then([ev.declined({ hours: 30, by: 'seller' })]);
      expect(foldOrder([...history, ev.declined({ hours: 30, by: 'seller' })])).toMatchObject({
        status: 'in_progress',
        openRequest: null,
        cancellation: null,
      });
    });

    it('a delivery extension: declined, dueAt unchanged', () => {
      const history = [...IN_PROGRESS, extensionOpened(20)];
      const declined = ev.declined({ hours: 30, type: 'delivery_extension' });
      given(...history)
        .when(declineRequest(30, buyer))
        .then([declined]);
      expect(foldOrder([...history, declined]).dueAt).toBe(DUE);
    });

    it('an order update cannot be declined: INVALID_STATE', () => {
      given(...IN_PROGRESS, updateOpened(20))
        .when(declineRequest(30, seller))
        .thenThrows('INVALID_STATE');
    });

    it('refuses an unknown request: REQUEST_NOT_FOUND', () => {
      given(...IN_PROGRESS)
        .when(declineRequest(30, buyer))
        .thenThrows('REQUEST_NOT_FOUND');
    });

    it('refuses a closed request or one past respondBy: REQUEST_NOT_OPEN', () => {
      given(...IN_PROGRESS, cancellationOpened(20), ev.withdrawn({ hours: 21 }))
        .when(declineRequest(30, buyer))
        .thenThrows('REQUEST_NOT_OPEN');
      given(...IN_PROGRESS, cancellationOpened(20))
        .when(declineRequest(70, buyer))
        .thenThrows('REQUEST_NOT_OPEN');
    });

    it.each([seller, support, system])('refuses $role (not the counterpart): FORBIDDEN', (actor) => {
      given(...IN_PROGRESS, cancellationOpened(20, 'seller'))
        .when(declineRequest(30, actor))
        .thenThrows('FORBIDDEN');
    });
  });

  describe('WithdrawRequest', () => {
    it('the requester withdraws an open request', () => {
      given(...IN_PROGRESS, cancellationOpened(20, 'seller'))
        .when(withdraw(30, seller))
        .then([ev.withdrawn({ hours: 30, by: 'seller' })]);
    });

    it('after withdrawing, the buyer may cancel without consent again', () => {
      const history = [
        ...AWAITING,
        cancellationOpened(1, 'buyer', 'other'),
        ev.withdrawn({ hours: 2, by: 'buyer' }),
      ];
      given(...history)
        .when(cancel(3, buyer))
        .then([
          ev.cancelled({
            hours: 3,
            mode: 'unilateral',
            initiator: 'buyer',
            previousStatus: 'awaiting_requirements',
            counts: false,
          }),
        ]);
    });

    it.each([buyer, support, system])('refuses $role (not the requester): FORBIDDEN', (actor) => {
      given(...IN_PROGRESS, cancellationOpened(20, 'seller'))
        .when(withdraw(30, actor))
        .thenThrows('FORBIDDEN');
    });

    it('refuses an unknown request: REQUEST_NOT_FOUND', () => {
      given(...IN_PROGRESS)
        .when(withdraw(30, seller))
        .thenThrows('REQUEST_NOT_FOUND');
    });

    it('refuses a closed request or one past respondBy: REQUEST_NOT_OPEN', () => {
      given(...IN_PROGRESS, cancellationOpened(20), ev.declined({ hours: 21 }))
        .when(withdraw(30, seller))
        .thenThrows('REQUEST_NOT_OPEN');
      given(...IN_PROGRESS, cancellationOpened(20))
        .when(withdraw(68, seller))
        .thenThrows('REQUEST_NOT_OPEN');
    });
  });
});
