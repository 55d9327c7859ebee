// Who may do what now: resolveActor, lateness and the order page's allowedActions.
import type { OrderEvent } from './order.events';
import { allowedActions, latenessOf, parseIsoInstant, resolveActor, type AllowedAction } from './order.rules';
import { foldOrder, initialOrderState } from './order.state';
import type { Actor, Caller } from './order.types';
import {
  BUYER_ID,
  SELLER_ID,
  at,
  buyer,
  ev,
  plusDays,
  seller,
  stranger,
  support,
  system,
} from './testing/given-when-then';
import {
  AWAITING,
  CANCELLED,
  COMPLETED,
  DELIVERED,
  DUE,
  IN_PROGRESS,
  IN_REVISION,
} from './testing/order-fixtures';

describe('resolveActor', () => {
  const state = foldOrder(IN_PROGRESS);
  it.each<[string, Caller, Actor | null]>([
    ['the buyer', { userId: BUYER_ID, roles: [] }, buyer],
    ['the seller', { userId: SELLER_ID, roles: [] }, seller],
    ['a support agent', { userId: 'agent-1', roles: ['support'] }, support],
    ['a party who is also support acts as the party', { userId: BUYER_ID, roles: ['support'] }, buyer],
    ['an auditor', { userId: 'aud-1', roles: ['auditor'] }, null],
    ['an analyst', { userId: 'an-1', roles: ['analyst'] }, null],
    ['a stranger', { userId: 'x', roles: [] }, null],
  ])('%s', (_, caller, actor) => {
    expect(resolveActor(state, caller)).toEqual(actor);
  });

  it('nobody is a party of a missing order', () => {
    expect(resolveActor(initialOrderState, { userId: BUYER_ID, roles: [] })).toBeNull();
  });
});

describe('lateness', () => {
  it.each<[string, OrderEvent[], number, ReturnType<typeof latenessOf>]>([
    ['no dueAt yet', AWAITING, 500, null],
    ['before dueAt', IN_PROGRESS, 50, 'on_time'],
    ['at dueAt', IN_PROGRESS, 73, 'on_time'],
    ['after dueAt', IN_PROGRESS, 73.01, 'late'],
    ['just before dueAt + 24 h', IN_PROGRESS, 96.99, 'late'],
    ['at dueAt + 24 h', IN_PROGRESS, 97, 'very_late'],
    ['[decision] after the first delivery', DELIVERED, 500, 'on_time'],
    ['[decision] in revision after a delivery', IN_REVISION, 500, 'on_time'],
    ['completed', COMPLETED, 500, null],
    ['cancelled', CANCELLED, 500, null],
    ['missing order', [], 500, null],
  ])('%s', (_, history, hours, lateness) => {
    expect(latenessOf(foldOrder(history), at(hours))).toBe(lateness);
  });

  it('counts from a moved dueAt', () => {
    const newDue = plusDays(DUE, 1);
    const state = foldOrder([
      ...IN_PROGRESS,
      ev.opened({ hours: 20, type: 'delivery_extension', proposedDueAt: newDue }),
      ev.accepted({ hours: 21, type: 'delivery_extension' }),
      ev.dueDateExtended({ hours: 21, previousDueAt: DUE, newDueAt: newDue }),
    ]);
    expect(latenessOf(state, at(98))).toBe('late');
    expect(latenessOf(state, at(121))).toBe('very_late');
  });
});

describe('parseIsoInstant', () => {
  it.each([
    ['2025-03-10T08:00:00.000Z', Date.UTC(2025, 2, 10, 8)],
    ['2025-03-10T10:00+02:00', Date.UTC(2025, 2, 10, 8)],
    ['2025-03-10', Date.UTC(2025, 2, 10)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('reads %s', (value, expected) => {
    expect(parseIsoInstant(value)).toBe(expected);
  });

  it.each([
    '2025-02-29T00:00:00Z',
    '2025-13-01',
    '2025-03-10T24:00:00Z',
    '2025-03-10T10:00:00',
    'tomorrow',
    '',
    42,
  ])('refuses %p', (value) => {
    expect(parseIsoInstant(value)).toBeNull();
  });
});

describe('allowedActions', () => {
  const actions = (history: OrderEvent[], actor: Actor | null, hours: number): AllowedAction[] =>
    allowedActions(foldOrder(history), actor, at(hours));

  it.each<[string, OrderEvent[], number, Record<'buyer' | 'seller' | 'support', AllowedAction[]>]>([
    [
      'awaiting requirements',
      AWAITING,
      1,
      {
        buyer: ['submit_requirements', 'open_cancellation_request', 'cancel_without_consent'],
        seller: [
          'start_without_requirements',
          'open_cancellation_request',
          'open_delivery_extension_request',
          'offer_extras',
        ],
        support: ['cancel_without_consent'],
      },
    ],
    [
      'in progress, on time',
      IN_PROGRESS,
      20,
      {
        buyer: ['open_cancellation_request', 'open_order_update_request'],
        seller: ['deliver', 'open_cancellation_request', 'open_delivery_extension_request', 'offer_extras'],
        support: ['cancel_without_consent'],
      },
    ],
    [
      'in progress, late but not very late',
      IN_PROGRESS,
      90,
      {
        buyer: ['open_cancellation_request', 'open_order_update_request'],
        seller: ['deliver', 'open_cancellation_request', 'open_delivery_extension_request', 'offer_extras'],
        support: ['cancel_without_consent'],
      },
    ],
    [
      'in progress, very late',
      IN_PROGRESS,
      97,
      {
        buyer: ['open_cancellation_request', 'open_order_update_request', 'cancel_without_consent'],
        seller: ['deliver', 'open_cancellation_request', 'open_delivery_extension_request', 'offer_extras'],
        support: ['cancel_without_consent'],
      },
    ],
    [
      'delivered',
      DELIVERED,
      200,
      {
        buyer: ['accept_delivery', 'request_revision', 'open_cancellation_request'],
        seller: ['open_cancellation_request'],
        support: ['cancel_without_consent'],
      },
    ],
    [
      'in revision, past dueAt + 24 h (no longer late)',
      IN_REVISION,
      200,
      {
        buyer: ['open_cancellation_request', 'open_order_update_request'],
        seller: ['deliver', 'open_cancellation_request', 'offer_extras'],
        support: ['cancel_without_consent'],
      },
    ],
    ['completed', COMPLETED, 20, { buyer: [], seller: [], support: [] }],
    ['cancelled', CANCELLED, 20, { buyer: [], seller: [], support: [] }],
  ])('%s', (_, history, hours, expected) => {
    // Either party may open a support case on any active order (the fixtures' 50.00 allows no partial refund).
    const active = ![COMPLETED, CANCELLED].includes(history);
    const party = (list: AllowedAction[]): AllowedAction[] =>
      active ? [...list, 'open_support_case'] : list;
    expect(actions(history, buyer, hours)).toEqual(party(expected.buyer));
    expect(actions(history, seller, hours)).toEqual(party(expected.seller));
    expect(actions(history, support, hours)).toEqual(expected.support);
  });

  it.each<[string, Actor | null]>([
    ['nobody (auditors, strangers)', null],
    ['the system', system],
    ['a buyer of another order', stranger],
  ])('is empty for %s', (_, actor) => {
    expect(actions(AWAITING, actor, 1)).toEqual([]);
  });

  it('is empty on a missing order', () => {
    expect(actions([], support, 1)).toEqual([]);
  });

  describe('with an open request', () => {
    const sellerCancellation = [
      ...IN_PROGRESS,
      ev.opened({ hours: 80, type: 'cancellation', openedBy: 'seller' }),
    ];

    it('the counterpart may accept or decline it, the requester withdraw it; nobody opens another or cancels', () => {
      expect(actions(sellerCancellation, buyer, 97)).toEqual([
        'accept_request',
        'decline_request',
        'open_support_case',
      ]);
      expect(actions(sellerCancellation, seller, 90)).toEqual([
        'deliver',
        'withdraw_request',
        'offer_extras',
        'open_support_case',
      ]);
      expect(actions(sellerCancellation, support, 90)).toEqual([]);
    });

    it('after respondBy nobody answers or withdraws it (the timeout wins), and it still blocks', () => {
      expect(actions(sellerCancellation, buyer, 128)).toEqual(['open_support_case']);
      expect(actions(sellerCancellation, seller, 128)).toEqual([
        'deliver',
        'offer_extras',
        'open_support_case',
      ]);
    });

    it('an order update is accepted (with the update), never declined', () => {
      const update = [...IN_PROGRESS, ev.opened({ hours: 20, type: 'order_update', openedBy: 'buyer' })];
      expect(actions(update, seller, 30)).toEqual([
        'deliver',
        'accept_request',
        'offer_extras',
        'open_support_case',
      ]);
      expect(actions(update, buyer, 30)).toEqual(['withdraw_request', 'open_support_case']);
    });

    it('[decision] the buyer cannot accept a delivery while a request is open', () => {
      const history = [...DELIVERED, ev.opened({ hours: 20, type: 'cancellation', openedBy: 'buyer' })];
      expect(actions(history, buyer, 30)).toEqual([
        'request_revision',
        'withdraw_request',
        'open_support_case',
      ]);
    });
  });

  describe('with pending extras', () => {
    const offered = [...IN_PROGRESS, ev.extrasOffered({ hours: 5 })];

    it('the buyer may accept or decline them until they expire', () => {
      expect(actions(offered, buyer, 52)).toEqual([
        'open_cancellation_request',
        'open_order_update_request',
        'accept_extras',
        'decline_extras',
        'open_support_case',
      ]);
      expect(actions(offered, buyer, 53)).toEqual([
        'open_cancellation_request',
        'open_order_update_request',
        'open_support_case',
      ]);
    });

    it('not once answered', () => {
      expect(actions([...offered, ev.extrasDeclined(6)], buyer, 7)).not.toContain('accept_extras');
    });
  });
});
