// The decider: timeouts, and input the HTTP layer should already have refused. Times are hours from T0.
import type { OrderCommand } from './order.commands';
import { decide } from './order.decider';
import type { OrderEvent } from './order.events';
import { autoCompletionDueAt } from './order.rules';
import { foldOrder } from './order.state';
import type { Actor } from './order.types';
import { PRICE, buyer, ev, given, iso, plusDays, seller, support } from './testing/given-when-then';
import {
  acceptRequest,
  AWAITING,
  cancellationOpened,
  CANCELLED,
  completeAutomatically,
  COMPLETED,
  DELIVERED,
  DUE,
  expire,
  extensionOpened,
  IN_PROGRESS,
  IN_REVISION,
  lapse,
  open,
  place,
  recordLateness,
  submit,
  updateOpened,
} from './testing/order-fixtures';

// ---- timeouts ---------------------------------------------------------------------------------------------

describe('timeouts', () => {
  it.each<[string, (actor: Actor) => OrderCommand]>([
    ['ExpireRequest', (a) => expire(100, 'req-1', a)],
    ['LapseExtrasOffer', (a) => lapse(100, 'offer-1', a)],
    ['RecordLateness', (a) => recordLateness(100, a)],
    ['CompleteAutomatically', (a) => completeAutomatically(100, a)],
  ])('%s is the system’s: FORBIDDEN for anyone else', (_, make) => {
    for (const actor of [buyer, seller, support]) {
      given(...IN_PROGRESS)
        .when(make(actor))
        .thenThrows('FORBIDDEN');
    }
  });

  describe('ExpireRequest', () => {
    it('a cancellation: auto-accepted, the order is cancelled, mode auto_accepted, counted', () => {
      given(...IN_PROGRESS, cancellationOpened(20, 'buyer', 'seller_unresponsive'))
        .when(expire(68))
        .then([
          ev.expired({ hours: 68, outcome: 'auto_accepted' }),
          ev.cancelled({
            hours: 68,
            mode: 'auto_accepted',
            initiator: 'buyer',
            reason: 'seller_unresponsive',
            comment: 'please',
            requestId: 'req-1',
            counts: true,
          }),
        ]);
    });

    it('a delivery extension: auto-accepted, dueAt moves', () => {
      const proposed = plusDays(DUE, 2);
      given(...IN_PROGRESS, extensionOpened(20, proposed))
        .when(expire(70))
        .then([
          ev.expired({ hours: 70, type: 'delivery_extension', outcome: 'auto_accepted' }),
          ev.dueDateExtended({ hours: 70, previousDueAt: DUE, newDueAt: proposed }),
        ]);
    });

    it('[decision] a delivery extension before the start: the date is kept as agreedDueAt', () => {
      const history = [...AWAITING, extensionOpened(1, iso(200))];
      const expired = ev.expired({ hours: 49, type: 'delivery_extension', outcome: 'auto_accepted' });
      given(...history)
        .when(expire(49))
        .then([expired]);
      expect(foldOrder([...history, expired])).toMatchObject({ dueAt: null, agreedDueAt: iso(200) });
    });

    it('an order update: closed, the order stays as it was', () => {
      given(...IN_PROGRESS, updateOpened(20))
        .when(expire(68))
        .then([ev.expired({ hours: 68, type: 'order_update', outcome: 'closed' })]);
    });

    it.each<[string, OrderEvent[], number]>([
      ['before respondBy', [...IN_PROGRESS, cancellationOpened(20)], 67.9],
      ['for an unknown request', [...IN_PROGRESS, ev.opened({ hours: 20, requestId: 'req-2' })], 100],
      [
        'for a request already answered',
        [...IN_PROGRESS, cancellationOpened(20), ev.declined({ hours: 21 })],
        100,
      ],
      [
        'twice',
        [
          ...IN_PROGRESS,
          updateOpened(20),
          ev.expired({ hours: 68, type: 'order_update', outcome: 'closed' }),
        ],
        69,
      ],
      ['on a completed order', COMPLETED, 100],
    ])('decides nothing %s', (_, history, hours) => {
      given(...history)
        .when(expire(hours))
        .thenNothing();
    });
  });

  describe('LapseExtrasOffer', () => {
    it('lapses a pending offer at expiresAt', () => {
      given(...IN_PROGRESS, ev.extrasOffered({ hours: 5 }))
        .when(lapse(53))
        .then([ev.extrasLapsed(53)]);
    });

    it.each<[string, OrderEvent[], number]>([
      ['before expiresAt', [...IN_PROGRESS, ev.extrasOffered({ hours: 5 })], 52.9],
      ['for an unknown offer', IN_PROGRESS, 100],
      [
        'for an accepted offer',
        [
          ...IN_PROGRESS,
          ev.extrasOffered({ hours: 5 }),
          ev.extrasAccepted({ hours: 6, newPrice: PRICE + 1500 }),
        ],
        100,
      ],
      ['twice', [...IN_PROGRESS, ev.extrasOffered({ hours: 5 }), ev.extrasLapsed(53)], 54],
      ['on a cancelled order', [...AWAITING, ev.extrasOffered({ hours: 1 }), CANCELLED[1]], 100],
    ])('decides nothing %s', (_, history, hours) => {
      given(...history)
        .when(lapse(hours))
        .thenNothing();
    });
  });

  describe('RecordLateness', () => {
    it('records late once now > dueAt', () => {
      given(...IN_PROGRESS)
        .when(recordLateness(74))
        .then([ev.late(74, DUE)]);
    });

    it('records very late once now >= dueAt + 24 h', () => {
      given(...IN_PROGRESS, ev.late(74, DUE))
        .when(recordLateness(97))
        .then([ev.veryLate(97, DUE)]);
    });

    it('records both in one call when both are due', () => {
      given(...IN_PROGRESS)
        .when(recordLateness(100))
        .then([ev.late(100, DUE), ev.veryLate(100, DUE)]);
    });

    it('records again for a moved dueAt', () => {
      const newDue = plusDays(DUE, 1);
      given(
        ...IN_PROGRESS,
        ev.late(74, DUE),
        extensionOpened(74.5, newDue),
        ev.accepted({ hours: 75, type: 'delivery_extension' }),
        ev.dueDateExtended({ hours: 75, previousDueAt: DUE, newDueAt: newDue }),
      )
        .when(recordLateness(98))
        .then([ev.late(98, newDue)]);
    });

    it.each<[string, OrderEvent[], number]>([
      ['at dueAt exactly', IN_PROGRESS, 73],
      ['before dueAt', IN_PROGRESS, 50],
      ['once recorded', [...IN_PROGRESS, ev.late(74, DUE), ev.veryLate(97, DUE)], 200],
      ['without a dueAt', AWAITING, 200],
      ['after the first delivery', DELIVERED, 200],
      ['in revision', IN_REVISION, 200],
      ['on a cancelled order', CANCELLED, 200],
    ])('decides nothing %s', (_, history, hours) => {
      given(...history)
        .when(recordLateness(hours))
        .thenNothing();
    });
  });

  describe('CompleteAutomatically', () => {
    it('completes a delivered order 3 days after the last delivery', () => {
      given(...DELIVERED)
        .when(completeAutomatically(82))
        .then([ev.completed(82, 'auto_completed')]);
    });

    it.each<[string, OrderEvent[], number]>([
      ['before 3 days', DELIVERED, 81.9],
      ['counting from the last delivery', [...IN_REVISION, ev.delivered(20, 2)], 82],
      ['[decision] while a request is open', [...DELIVERED, cancellationOpened(20)], 100],
      ['in progress', IN_PROGRESS, 200],
      ['on a completed order', COMPLETED, 200],
    ])('decides nothing %s', (_, history, hours) => {
      given(...history)
        .when(completeAutomatically(hours))
        .thenNothing();
    });

    // [decision] domain.md: auto-completion waits while a case is open "as for an open request", then is due at
    // max(deliveredAt + 3 d, closedAt). A request is read the same way: the 3-day clock neither pauses nor restarts.
    describe('[decision] after a request closed on a delivered order: due at max(deliveredAt + 3 d, closedAt)', () => {
      const declinedEarly = [...DELIVERED, cancellationOpened(20), ev.declined({ hours: 60 })];
      const declinedLate = [...DELIVERED, cancellationOpened(60), ev.declined({ hours: 100 })];

      it('a request closed within the 3 days neither pauses nor restarts the clock', () => {
        expect(autoCompletionDueAt(foldOrder(declinedEarly))).toBe(iso(82));
        given(...declinedEarly)
          .when(completeAutomatically(82))
          .then([ev.completed(82, 'auto_completed')]);
      });

      it('a request closed after the 3 days: due when it closed, never before (a clock behind the closing one)', () => {
        expect(autoCompletionDueAt(foldOrder(declinedLate))).toBe(iso(100));
        given(...declinedLate)
          .when(completeAutomatically(99))
          .thenNothing();
        given(...declinedLate)
          .when(completeAutomatically(100))
          .then([ev.completed(100, 'auto_completed')]);
      });

      it.each<[string, OrderEvent]>([
        ['accepted', ev.accepted({ hours: 100, type: 'partial_refund', by: 'buyer' })],
        ['withdrawn', ev.withdrawn({ hours: 100 })],
        ['expired', ev.expired({ hours: 100, type: 'partial_refund' })],
      ])('the same when it was %s', (_, closed) => {
        const opened = ev.opened({ hours: 60, type: 'partial_refund', openedBy: 'seller' });
        expect(autoCompletionDueAt(foldOrder([...DELIVERED, opened, closed]))).toBe(iso(100));
      });

      it('a request closed before the last delivery does not count', () => {
        const history = [
          ...IN_REVISION,
          cancellationOpened(13),
          ev.withdrawn({ hours: 15 }),
          ev.delivered(20, 2),
        ];
        expect(autoCompletionDueAt(foldOrder(history))).toBe(iso(92));
      });
    });
  });
});

// ---- input the HTTP layer should already have refused ---------------------------------------------------

describe('input hygiene', () => {
  it('refuses a non-boolean requirementsNeeded', () => {
    given()
      .when(place({ requirementsNeeded: 'yes' as unknown as boolean }))
      .thenThrows('VALIDATION_FAILED', 'requirementsNeeded');
  });

  it('refuses a comment that is not a string', () => {
    given(...IN_PROGRESS, cancellationOpened(20))
      .when(acceptRequest(30, buyer, 42 as unknown as string))
      .thenThrows('VALIDATION_FAILED', 'comment');
  });

  it('treats a null optional field as absent', () => {
    given(...IN_PROGRESS)
      .when(open(20, buyer, { requestType: 'order_update', reason: null as unknown as undefined }))
      .then([updateOpened(20)]);
  });

  it('keeps comments verbatim', () => {
    given(...IN_PROGRESS)
      .when(open(20, buyer, { requestType: 'order_update', comment: '  <b>now</b>  ' }))
      .then([ev.opened({ hours: 20, type: 'order_update', comment: '  <b>now</b>  ' })]);
  });

  it('a broken clock is a programming error, not a refusal', () => {
    expect(() => decide({ ...submit(2), now: new Date(Number.NaN) }, foldOrder(AWAITING))).toThrow(TypeError);
  });
});
