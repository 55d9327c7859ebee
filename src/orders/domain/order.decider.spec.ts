// The decider, slice by slice: every rule and every refusal with its code. Times are hours from T0.
import type { OrderCommand } from './order.commands';
import { decide } from './order.decider';
import type { OrderEvent } from './order.events';
import { foldOrder } from './order.state';
import {
  BUYER_ID,
  DELIVERY_DAYS,
  ORDER_ID,
  PRICE,
  SELLER_ID,
  buyer,
  command,
  ev,
  given,
  iso,
  plusDays,
  seller,
  stranger,
  support,
  system,
} from './testing/given-when-then';
import type { Actor, RequestType } from './order.types';

// ---- fixtures ---------------------------------------------------------------------------------------------

const AWAITING = [ev.placed()];
/** Requirements submitted at hour 1: due at hour 73. */
const IN_PROGRESS = [ev.placed(), ev.submitted(1)];
const DUE = iso(73);
const DELIVERED = [...IN_PROGRESS, ev.delivered(10)];
const IN_REVISION = [...DELIVERED, ev.revision(12)];
const COMPLETED = [...DELIVERED, ev.completed(11)];
const CANCELLED = [
  ev.placed(),
  ev.cancelled({
    hours: 2,
    mode: 'unilateral',
    initiator: 'buyer',
    previousStatus: 'awaiting_requirements',
    counts: false,
  }),
];
const TERMINAL = { completed: COMPLETED, cancelled: CANCELLED };

const place = (data: Partial<Extract<OrderCommand, { type: 'PlaceOrder' }>['data']> = {}, actor = buyer) =>
  command(
    'PlaceOrder',
    {
      orderId: ORDER_ID,
      buyerId: BUYER_ID,
      sellerId: SELLER_ID,
      title: 'A logo',
      price: { amount: PRICE, currency: 'USD' },
      deliveryDays: DELIVERY_DAYS,
      requirementsNeeded: true,
      ...data,
    },
    actor,
    0,
  );
const submit = (hours = 2, actor = buyer, text = 'the brief') =>
  command('SubmitRequirements', { text }, actor, hours);
const start = (hours = 2, actor = seller) => command('StartWithoutRequirements', {}, actor, hours);
const deliver = (hours = 20, actor = seller, message = 'here it is') =>
  command('DeliverOrder', { message }, actor, hours);
const acceptDelivery = (hours = 30, actor = buyer) => command('AcceptDelivery', {}, actor, hours);
const revise = (hours = 30, actor = buyer, message = 'bigger, please') =>
  command('RequestRevision', { message }, actor, hours);
const open = (
  hours: number,
  actor: Actor,
  data: Partial<Extract<OrderCommand, { type: 'OpenRequest' }>['data']> & { requestType: RequestType },
) => command('OpenRequest', { requestId: 'req-1', comment: 'please', ...data }, actor, hours);
const openCancellation = (hours = 20, actor = seller, reason = 'cannot_deliver') =>
  open(hours, actor, { requestType: 'cancellation', reason });
const openExtension = (hours = 20, proposedDueAt = plusDays(DUE, 2), actor = seller) =>
  open(hours, actor, { requestType: 'delivery_extension', proposedDueAt });
const openUpdate = (hours = 20, actor = buyer) => open(hours, actor, { requestType: 'order_update' });
const acceptRequest = (hours: number, actor: Actor, comment?: string, requestId = 'req-1') =>
  command('AcceptRequest', comment === undefined ? { requestId } : { requestId, comment }, actor, hours);
const declineRequest = (hours: number, actor: Actor, requestId = 'req-1') =>
  command('DeclineRequest', { requestId }, actor, hours);
const withdraw = (hours: number, actor: Actor, requestId = 'req-1') =>
  command('WithdrawRequest', { requestId }, actor, hours);
const cancel = (
  hours: number,
  actor: Actor,
  data: Partial<Extract<OrderCommand, { type: 'CancelOrder' }>['data']> = {},
) => command('CancelOrder', { reason: 'other', ...data }, actor, hours);
const offer = (
  hours = 20,
  data: Partial<Extract<OrderCommand, { type: 'OfferExtras' }>['data']> = {},
  actor = seller,
) =>
  command(
    'OfferExtras',
    { offerId: 'offer-1', description: 'a second concept', amount: 1500, extraDays: 2, ...data },
    actor,
    hours,
  );
const acceptExtras = (hours: number, actor = buyer, offerId = 'offer-1') =>
  command('AcceptExtras', { offerId }, actor, hours);
const declineExtras = (hours: number, actor = buyer, offerId = 'offer-1') =>
  command('DeclineExtras', { offerId }, actor, hours);
const expire = (hours: number, requestId = 'req-1', actor = system) =>
  command('ExpireRequest', { requestId }, actor, hours);
const lapse = (hours: number, offerId = 'offer-1', actor = system) =>
  command('LapseExtrasOffer', { offerId }, actor, hours);
const recordLateness = (hours: number, actor = system) => command('RecordLateness', {}, actor, hours);
const completeAutomatically = (hours: number, actor = system) =>
  command('CompleteAutomatically', {}, actor, hours);

const cancellationOpened = (hours = 20, openedBy: 'buyer' | 'seller' = 'seller', reason = 'cannot_deliver') =>
  ev.opened({ hours, type: 'cancellation', openedBy, reason });
const extensionOpened = (hours = 20, proposedDueAt = plusDays(DUE, 2)) =>
  ev.opened({ hours, type: 'delivery_extension', openedBy: 'seller', proposedDueAt });
const updateOpened = (hours = 20) => ev.opened({ hours, type: 'order_update', openedBy: 'buyer' });

// ---- lifecycle --------------------------------------------------------------------------------------------

describe('lifecycle', () => {
  describe('PlaceOrder', () => {
    it('places an order awaiting requirements, without a dueAt', () => {
      given().when(place()).then([ev.placed()]);
    });

    it('starts the work at placement when no requirements are needed', () => {
      given()
        .when(place({ requirementsNeeded: false }))
        .then([ev.placed({ requirementsNeeded: false })]);
      expect(foldOrder([ev.placed({ requirementsNeeded: false })])).toMatchObject({
        status: 'in_progress',
        dueAt: plusDays(iso(0), DELIVERY_DAYS),
      });
    });

    it('refuses an order id that exists: ORDER_ALREADY_EXISTS (before anything else)', () => {
      given(ev.placed()).when(place({}, seller)).thenThrows('ORDER_ALREADY_EXISTS');
    });

    it.each<[string, Actor]>([
      ['the seller', { id: BUYER_ID, role: 'seller' }],
      ['another buyer', stranger],
      ['support', support],
      ['the system', system],
    ])('refuses %s placing it for the buyer: FORBIDDEN', (_, actor) => {
      given().when(place({}, actor)).thenThrows('FORBIDDEN');
    });

    it('refuses ordering from oneself', () => {
      given()
        .when(place({ sellerId: BUYER_ID }))
        .thenThrows('VALIDATION_FAILED', 'sellerId');
    });

    it.each([0, 366, 1.5, -3, Number.NaN])('refuses deliveryDays %p', (deliveryDays) => {
      given().when(place({ deliveryDays })).thenThrows('VALIDATION_FAILED', 'deliveryDays');
    });

    it.each([1, 365])('accepts deliveryDays %p', (deliveryDays) => {
      given()
        .when(place({ deliveryDays }))
        .then([ev.placed({ deliveryDays })]);
    });

    it.each([0, -1, 12.5])('refuses price.amount %p', (amount) => {
      given()
        .when(place({ price: { amount, currency: 'USD' } }))
        .thenThrows('VALIDATION_FAILED', 'price.amount');
    });

    it('refuses a malformed currency', () => {
      given()
        .when(place({ price: { amount: 100, currency: 'usd' } }))
        .thenThrows('VALIDATION_FAILED', 'price.currency');
    });

    it.each(['', '   '])('refuses an empty title %p', (title) => {
      given().when(place({ title })).thenThrows('VALIDATION_FAILED', 'title');
    });

    it('refuses an empty sellerId', () => {
      given()
        .when(place({ sellerId: '' }))
        .thenThrows('VALIDATION_FAILED', 'sellerId');
    });
  });

  describe('any command but PlaceOrder on a missing order', () => {
    it.each<OrderCommand>([
      submit(),
      start(),
      deliver(),
      acceptDelivery(),
      revise(),
      openCancellation(),
      acceptRequest(20, buyer),
      declineRequest(20, buyer),
      withdraw(20, seller),
      cancel(20, buyer),
      offer(),
      acceptExtras(20),
      declineExtras(20),
      expire(100),
      lapse(100),
      recordLateness(100),
      completeAutomatically(100),
    ])('$type is ORDER_NOT_FOUND', (cmd) => {
      given().when(cmd).thenThrows('ORDER_NOT_FOUND');
    });
  });

  describe('SubmitRequirements', () => {
    it('starts the work: dueAt = now + delivery days', () => {
      given(...AWAITING)
        .when(submit(2))
        .then([ev.submitted(2, plusDays(iso(2), 3))]);
    });

    it('counts the extra days of extras accepted before the start', () => {
      given(
        ...AWAITING,
        ev.extrasOffered({ hours: 1, extraDays: 2 }),
        ev.extrasAccepted({ hours: 1.5, extraDays: 2, newPrice: PRICE + 1500 }),
      )
        .when(submit(2))
        .then([ev.submitted(2, plusDays(iso(2), 5))]);
    });

    it('[decision] keeps a delivery extension agreed while awaiting requirements when it is later', () => {
      const agreed = plusDays(iso(2), 10);
      given(
        ...AWAITING,
        extensionOpened(1, agreed),
        ev.accepted({ hours: 1.5, type: 'delivery_extension', by: 'buyer' }),
      )
        .when(submit(2))
        .then([ev.submitted(2, agreed)]);
    });

    it('[decision] ignores an agreed date that the delivery days already pass', () => {
      given(
        ...AWAITING,
        extensionOpened(1, iso(5)),
        ev.expired({ hours: 49, type: 'delivery_extension', outcome: 'auto_accepted' }),
      )
        .when(submit(50))
        .then([ev.submitted(50, plusDays(iso(50), 3))]);
    });

    it.each([seller, support, stranger, system])('refuses $role $id: FORBIDDEN', (actor) => {
      given(...AWAITING)
        .when(submit(2, actor))
        .thenThrows('FORBIDDEN');
    });

    it.each([
      ['in_progress', IN_PROGRESS],
      ['delivered', DELIVERED],
      ['completed', COMPLETED],
      ['cancelled', CANCELLED],
    ])('refuses when %s: INVALID_STATE', (_, history) => {
      given(...history)
        .when(submit(30))
        .thenThrows('INVALID_STATE');
    });

    it('refuses empty requirements', () => {
      given(...AWAITING)
        .when(submit(2, buyer, ' '))
        .thenThrows('VALIDATION_FAILED', 'text');
    });
  });

  describe('StartWithoutRequirements', () => {
    it('starts the work: dueAt = now + delivery days', () => {
      given(...AWAITING)
        .when(start(5))
        .then([ev.started(5, plusDays(iso(5), 3))]);
    });

    it('[decision] keeps a delivery extension agreed while awaiting requirements when it is later', () => {
      const agreed = plusDays(iso(5), 4);
      given(...AWAITING, extensionOpened(1, agreed), ev.accepted({ hours: 2, type: 'delivery_extension' }))
        .when(start(5))
        .then([ev.started(5, agreed)]);
    });

    it.each([buyer, support, system])('refuses $role: FORBIDDEN', (actor) => {
      given(...AWAITING)
        .when(start(2, actor))
        .thenThrows('FORBIDDEN');
    });

    it.each([
      ['in_progress', IN_PROGRESS],
      ['completed', COMPLETED],
      ['cancelled', CANCELLED],
    ])('refuses when %s: INVALID_STATE', (_, history) => {
      given(...history)
        .when(start(30))
        .thenThrows('INVALID_STATE');
    });
  });

  describe('DeliverOrder', () => {
    it('delivers an order in progress (delivery number 1)', () => {
      given(...IN_PROGRESS)
        .when(deliver(10))
        .then([ev.delivered(10, 1)]);
    });

    it('numbers the deliveries after a revision', () => {
      given(...IN_REVISION)
        .when(deliver(20))
        .then([ev.delivered(20, 2)]);
    });

    it('delivers while a request is open (requests do not block the work)', () => {
      given(...IN_PROGRESS, cancellationOpened(5, 'buyer', 'no_longer_needed'))
        .when(deliver(10))
        .then([ev.delivered(10, 1)]);
    });

    it.each([buyer, support, system])('refuses $role: FORBIDDEN', (actor) => {
      given(...IN_PROGRESS)
        .when(deliver(10, actor))
        .thenThrows('FORBIDDEN');
    });

    it.each([
      ['awaiting_requirements', AWAITING],
      ['delivered', DELIVERED],
      ['completed', COMPLETED],
      ['cancelled', CANCELLED],
    ])('refuses when %s: INVALID_STATE', (_, history) => {
      given(...history)
        .when(deliver(30))
        .thenThrows('INVALID_STATE');
    });

    it('refuses an empty message', () => {
      given(...IN_PROGRESS)
        .when(deliver(10, seller, ''))
        .thenThrows('VALIDATION_FAILED', 'message');
    });
  });

  describe('AcceptDelivery', () => {
    it('completes the order, accepted by the buyer', () => {
      given(...DELIVERED)
        .when(acceptDelivery(30))
        .then([ev.completed(30, 'accepted_by_buyer')]);
    });

    it.each([seller, support, stranger, system])('refuses $role $id: FORBIDDEN', (actor) => {
      given(...DELIVERED)
        .when(acceptDelivery(30, actor))
        .thenThrows('FORBIDDEN');
    });

    it.each([
      ['awaiting_requirements', AWAITING],
      ['in_progress', IN_PROGRESS],
      ['in revision', IN_REVISION],
      ['completed', COMPLETED],
      ['cancelled', CANCELLED],
    ])('refuses when %s: INVALID_STATE', (_, history) => {
      given(...history)
        .when(acceptDelivery(30))
        .thenThrows('INVALID_STATE');
    });

    it('[decision] refuses while a request is open: REQUEST_ALREADY_OPEN (answer or withdraw it first)', () => {
      given(...DELIVERED, cancellationOpened(20))
        .when(acceptDelivery(30))
        .thenThrows('REQUEST_ALREADY_OPEN');
    });
  });

  describe('RequestRevision', () => {
    it('sends a delivered order back in progress', () => {
      given(...DELIVERED)
        .when(revise(12))
        .then([ev.revision(12)]);
      expect(foldOrder([...DELIVERED, ev.revision(12)]).status).toBe('in_progress');
    });

    it.each([seller, support, system])('refuses $role: FORBIDDEN', (actor) => {
      given(...DELIVERED)
        .when(revise(12, actor))
        .thenThrows('FORBIDDEN');
    });

    it.each([
      ['awaiting_requirements', AWAITING],
      ['in_progress', IN_PROGRESS],
      ['completed', COMPLETED],
      ['cancelled', CANCELLED],
    ])('refuses when %s: INVALID_STATE', (_, history) => {
      given(...history)
        .when(revise(30))
        .thenThrows('INVALID_STATE');
    });

    it('refuses an empty message', () => {
      given(...DELIVERED)
        .when(revise(12, buyer, ''))
        .thenThrows('VALIDATION_FAILED', 'message');
    });
  });
});

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
    });

    it('refuses countsTowardCompletionRate (support only)', () => {
      given(...AWAITING)
        .when(cancel(5, buyer, { countsTowardCompletionRate: true }))
        .thenThrows('VALIDATION_FAILED', 'countsTowardCompletionRate');
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
