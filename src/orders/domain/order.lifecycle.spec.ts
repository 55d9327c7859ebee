// The decider, lifecycle: placing, requirements, start, delivery, acceptance, revision. Times are hours from T0.
import type { OrderCommand } from './order.commands';
import { foldOrder } from './order.state';
import type { Actor } from './order.types';
import {
  BUYER_ID,
  DELIVERY_DAYS,
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
  acceptDelivery,
  acceptExtras,
  acceptRequest,
  AWAITING,
  cancel,
  cancellationOpened,
  CANCELLED,
  completeAutomatically,
  COMPLETED,
  declineExtras,
  declineRequest,
  deliver,
  DELIVERED,
  expire,
  extensionOpened,
  IN_PROGRESS,
  IN_REVISION,
  lapse,
  offer,
  openCancellation,
  place,
  recordLateness,
  revise,
  start,
  submit,
  withdraw,
} from './testing/order-fixtures';

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

    it('refuses an order id that exists: ORDER_ALREADY_EXISTS, after the caller and the body (api.md: 403, 400, 409)', () => {
      given(ev.placed()).when(place()).thenThrows('ORDER_ALREADY_EXISTS');
      given(ev.placed()).when(place({}, seller)).thenThrows('FORBIDDEN');
      given(ev.placed())
        .when(place({ title: '   ' }))
        .thenThrows('VALIDATION_FAILED', 'title');
      given(ev.placed())
        .when(place({ sellerId: BUYER_ID }))
        .thenThrows('VALIDATION_FAILED', 'sellerId');
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

  it('checks a text after the caller and before the state (api.md: 403, then 400, then 409)', () => {
    given(...IN_PROGRESS)
      .when(submit(2, buyer, ' '))
      .thenThrows('VALIDATION_FAILED', 'text');
    given(...DELIVERED)
      .when(deliver(12, seller, ' '))
      .thenThrows('VALIDATION_FAILED', 'message');
    given(...IN_PROGRESS)
      .when(revise(12, buyer, ' '))
      .thenThrows('VALIDATION_FAILED', 'message');
    given(...DELIVERED)
      .when(offer(12, { description: ' ' }))
      .thenThrows('VALIDATION_FAILED', 'description');
    given(...IN_PROGRESS)
      .when(submit(2, seller, ' '))
      .thenThrows('FORBIDDEN');
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
