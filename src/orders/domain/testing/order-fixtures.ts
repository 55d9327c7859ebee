// Fixtures of the decider specs: orders at each stage and a builder per command. Times are hours from T0.
// Part of the build like given-when-then.ts (no jest here).
import type { OrderCommand } from '../order.commands';
import type { Actor, RequestType } from '../order.types';
import {
  BUYER_ID,
  DELIVERY_DAYS,
  ORDER_ID,
  PRICE,
  SELLER_ID,
  buyer,
  command,
  ev,
  iso,
  plusDays,
  seller,
  system,
} from './given-when-then';

// ---- orders ---------------------------------------------------------------------------------------------

export const AWAITING = [ev.placed()];
/** Requirements submitted at hour 1: due at hour 73. */
export const IN_PROGRESS = [ev.placed(), ev.submitted(1)];
export const DUE = iso(73);
export const DELIVERED = [...IN_PROGRESS, ev.delivered(10)];
export const IN_REVISION = [...DELIVERED, ev.revision(12)];
export const COMPLETED = [...DELIVERED, ev.completed(11)];
export const CANCELLED = [
  ev.placed(),
  ev.cancelled({
    hours: 2,
    mode: 'unilateral',
    initiator: 'buyer',
    previousStatus: 'awaiting_requirements',
    counts: false,
  }),
];
export const TERMINAL = { completed: COMPLETED, cancelled: CANCELLED };

export const place = (
  data: Partial<Extract<OrderCommand, { type: 'PlaceOrder' }>['data']> = {},
  actor = buyer,
) =>
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
export const submit = (hours = 2, actor = buyer, text = 'the brief') =>
  command('SubmitRequirements', { text }, actor, hours);
export const start = (hours = 2, actor = seller) => command('StartWithoutRequirements', {}, actor, hours);
export const deliver = (hours = 20, actor = seller, message = 'here it is') =>
  command('DeliverOrder', { message }, actor, hours);
export const acceptDelivery = (hours = 30, actor = buyer) => command('AcceptDelivery', {}, actor, hours);
export const revise = (hours = 30, actor = buyer, message = 'bigger, please') =>
  command('RequestRevision', { message }, actor, hours);
export const open = (
  hours: number,
  actor: Actor,
  data: Partial<Extract<OrderCommand, { type: 'OpenRequest' }>['data']> & { requestType: RequestType },
) => command('OpenRequest', { requestId: 'req-1', comment: 'please', ...data }, actor, hours);
export const openCancellation = (hours = 20, actor = seller, reason = 'cannot_deliver') =>
  open(hours, actor, { requestType: 'cancellation', reason });
export const openExtension = (hours = 20, proposedDueAt = plusDays(DUE, 2), actor = seller) =>
  open(hours, actor, { requestType: 'delivery_extension', proposedDueAt });
export const openUpdate = (hours = 20, actor = buyer) => open(hours, actor, { requestType: 'order_update' });
export const acceptRequest = (hours: number, actor: Actor, comment?: string, requestId = 'req-1') =>
  command('AcceptRequest', comment === undefined ? { requestId } : { requestId, comment }, actor, hours);
export const declineRequest = (hours: number, actor: Actor, requestId = 'req-1') =>
  command('DeclineRequest', { requestId }, actor, hours);
export const withdraw = (hours: number, actor: Actor, requestId = 'req-1') =>
  command('WithdrawRequest', { requestId }, actor, hours);
export const cancel = (
  hours: number,
  actor: Actor,
  data: Partial<Extract<OrderCommand, { type: 'CancelOrder' }>['data']> = {},
) => command('CancelOrder', { reason: 'other', ...data }, actor, hours);
export const offer = (
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
export const acceptExtras = (hours: number, actor = buyer, offerId = 'offer-1') =>
  command('AcceptExtras', { offerId }, actor, hours);
export const declineExtras = (hours: number, actor = buyer, offerId = 'offer-1') =>
  command('DeclineExtras', { offerId }, actor, hours);
export const expire = (hours: number, requestId = 'req-1', actor = system) =>
  command('ExpireRequest', { requestId }, actor, hours);
export const lapse = (hours: number, offerId = 'offer-1', actor = system) =>
  command('LapseExtrasOffer', { offerId }, actor, hours);
export const recordLateness = (hours: number, actor = system) => command('RecordLateness', {}, actor, hours);
export const completeAutomatically = (hours: number, actor = system) =>
  command('CompleteAutomatically', {}, actor, hours);

export const cancellationOpened = (
  hours = 20,
  openedBy: 'buyer' | 'seller' = 'seller',
  reason = 'cannot_deliver',
) => ev.opened({ hours, type: 'cancellation', openedBy, reason });
export const extensionOpened = (hours = 20, proposedDueAt = plusDays(DUE, 2)) =>
  ev.opened({ hours, type: 'delivery_extension', openedBy: 'seller', proposedDueAt });
export const updateOpened = (hours = 20) => ev.opened({ hours, type: 'order_update', openedBy: 'buyer' });
