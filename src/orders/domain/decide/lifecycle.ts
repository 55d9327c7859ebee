// Placing an order and its way through the lifecycle: requirements, start, delivery, acceptance, revision.
import { isCurrencyCode } from '../currencies';
import { DomainError } from '../errors';
import type { PlaceOrder } from '../order.commands';
import type { OrderEvent } from '../order.events';
import type { OrderState, PlacedOrderState } from '../order.state';
import { DAY_MS } from '../order.types';
import { MAX_DELIVERY_DAYS, addDays, invalid, isIntegerIn, iso, ms, requireText } from './helpers';

/** Work starts now: the delivery days count from here, but never before a date already agreed on. */
export function dueAtOnStart(state: PlacedOrderState, now: Date): string {
  const byDays = now.getTime() + state.deliveryDays * DAY_MS;
  return iso(state.agreedDueAt === null ? byDays : Math.max(byDays, ms(state.agreedDueAt)));
}

export function placeOrder(command: PlaceOrder, state: OrderState): OrderEvent[] {
  const { actor, data, now } = command;
  if (actor.role !== 'buyer' || actor.id !== data.buyerId) {
    throw new DomainError('FORBIDDEN', 'only the buyer places an order, for themselves');
  }
  requireText(data.orderId, 'orderId');
  requireText(data.sellerId, 'sellerId');
  if (data.sellerId === data.buyerId) invalid('sellerId', 'a buyer cannot order from themselves');
  requireText(data.title, 'title');
  if (typeof data.price !== 'object' || data.price === null) invalid('price', 'price is required');
  if (!isIntegerIn(data.price.amount, 1, Number.MAX_SAFE_INTEGER)) {
    invalid('price.amount', 'price.amount must be a positive integer (minor units)');
  }
  if (!isCurrencyCode(data.price.currency)) {
    invalid('price.currency', 'price.currency must be an ISO 4217 currency code');
  }
  if (!isIntegerIn(data.deliveryDays, 1, MAX_DELIVERY_DAYS)) {
    invalid('deliveryDays', `deliveryDays must be an integer from 1 to ${MAX_DELIVERY_DAYS}`);
  }
  if (typeof data.requirementsNeeded !== 'boolean')
    invalid('requirementsNeeded', 'requirementsNeeded must be a boolean');
  // api.md: the body (400) before the conflict (409).
  if (state.exists) throw new DomainError('ORDER_ALREADY_EXISTS', `order ${data.orderId} already exists`);
  const placedAt = now.toISOString();
  return [
    {
      type: 'OrderPlaced',
      data: {
        orderId: data.orderId,
        buyerId: data.buyerId,
        sellerId: data.sellerId,
        title: data.title,
        price: { amount: data.price.amount, currency: data.price.currency },
        deliveryDays: data.deliveryDays,
        requirementsNeeded: data.requirementsNeeded,
        placedAt,
        // Without requirements the work starts at placement.
        dueAt: data.requirementsNeeded ? null : addDays(placedAt, data.deliveryDays),
      },
    },
  ];
}
