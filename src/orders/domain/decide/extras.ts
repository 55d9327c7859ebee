// Extras offers: offered by the seller, accepted or declined by the buyer, lapsing after 48 h.
import type { AcceptExtras, DeclineExtras, LapseExtrasOffer, OfferExtras } from '../order.commands';
import type { OrderEvent } from '../order.events';
import { checkAnswerExtras, checkOfferExtras, isActive } from '../order.rules';
import type { PlacedOrderState } from '../order.state';
import { ANSWER_WINDOW_MS } from '../order.types';
import {
  MAX_EXTRA_DAYS,
  addDays,
  enforce,
  enforceCaller,
  invalid,
  isIntegerIn,
  iso,
  ms,
  requireText,
} from './helpers';

export function offerExtras(command: OfferExtras, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  const refusal = checkOfferExtras(state, actor, now);
  enforceCaller(refusal);
  requireText(data.offerId, 'offerId');
  if (state.offers.some((o) => o.offerId === data.offerId)) {
    invalid('offerId', `extras offer ${data.offerId} already exists`);
  }
  const description = requireText(data.description, 'description');
  if (!isIntegerIn(data.amount, 1, Number.MAX_SAFE_INTEGER - state.price.amount)) {
    invalid('amount', 'amount must be a positive integer (minor units)');
  }
  if (!isIntegerIn(data.extraDays, 0, MAX_EXTRA_DAYS)) {
    invalid('extraDays', `extraDays must be an integer from 0 to ${MAX_EXTRA_DAYS}`);
  }
  enforce(refusal);
  return [
    {
      type: 'ExtrasOffered',
      data: {
        orderId: state.orderId,
        offerId: data.offerId,
        description,
        amount: data.amount,
        extraDays: data.extraDays,
        offeredAt: now.toISOString(),
        expiresAt: iso(now.getTime() + ANSWER_WINDOW_MS),
      },
    },
  ];
}

export function acceptExtras(command: AcceptExtras, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkAnswerExtras(state, actor, data.offerId, now));
  const offer = state.pendingExtras.find((o) => o.offerId === data.offerId)!;
  const events: OrderEvent[] = [
    {
      type: 'ExtrasAccepted',
      data: {
        orderId: state.orderId,
        offerId: offer.offerId,
        amount: offer.amount,
        extraDays: offer.extraDays,
        newPrice: { amount: state.price.amount + offer.amount, currency: state.price.currency },
        acceptedAt: now.toISOString(),
      },
    },
  ];
  // Before the start there is no dueAt: evolve adds the days to the delivery days instead.
  if (offer.extraDays > 0 && state.dueAt !== null) {
    events.push({
      type: 'DueDateExtended',
      data: {
        orderId: state.orderId,
        previousDueAt: state.dueAt,
        newDueAt: addDays(state.dueAt, offer.extraDays),
        source: 'extras',
        sourceId: offer.offerId,
        extendedAt: now.toISOString(),
      },
    });
  }
  return events;
}

export function declineExtras(command: DeclineExtras, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkAnswerExtras(state, actor, data.offerId, now));
  return [
    {
      type: 'ExtrasDeclined',
      data: { orderId: state.orderId, offerId: data.offerId, declinedAt: now.toISOString() },
    },
  ];
}

export function lapseExtrasOffer(command: LapseExtrasOffer, state: PlacedOrderState): OrderEvent[] {
  const { data, now } = command;
  const offer = state.pendingExtras.find((o) => o.offerId === data.offerId);
  if (!isActive(state) || !offer || now.getTime() < ms(offer.expiresAt)) return [];
  return [
    {
      type: 'ExtrasOfferLapsed',
      data: { orderId: state.orderId, offerId: offer.offerId, lapsedAt: now.toISOString() },
    },
  ];
}
