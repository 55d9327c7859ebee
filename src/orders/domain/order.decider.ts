// decide(command, state) -> events. Pure: time arrives as command.now, ids arrive on the command.
// Check order: the order exists (or not, for PlaceOrder) -> the actor may act -> the order's state allows it
// (the guards of order.rules.ts, shared with allowedActions) -> the command's input is valid.
import { DomainError } from './errors';
import type {
  AcceptExtras,
  AcceptRequest,
  CancelOrder,
  CompleteAutomatically,
  DeclineExtras,
  DeclineRequest,
  ExpireRequest,
  LapseExtrasOffer,
  OfferExtras,
  OpenRequest,
  OrderCommand,
  PlaceOrder,
  RecordLateness,
  WithdrawRequest,
} from './order.commands';
import type { DueDateExtended, OrderCancelled, OrderEvent } from './order.events';
import {
  cancellationModeOf,
  checkAcceptDelivery,
  checkAnswerExtras,
  checkAnswerRequest,
  checkCancelWithoutConsent,
  checkDeliver,
  checkOfferExtras,
  checkOpenRequest,
  checkRequestRevision,
  checkStartWithoutRequirements,
  checkSubmitRequirements,
  checkSystem,
  checkWithdrawRequest,
  findRequest,
  isActive,
  isLate,
  isRequestAnswerable,
  isVeryLate,
  parseIsoInstant,
  partyOf,
  reasonsOf,
  type Refusal,
} from './order.rules';
import { isPlaced, type OrderState, type PlacedOrderState } from './order.state';
import {
  ANSWER_WINDOW_MS,
  AUTO_COMPLETE_AFTER_MS,
  DAY_MS,
  type CancellationInitiator,
  type OrderStatus,
  type Party,
} from './order.types';

export const MAX_DELIVERY_DAYS = 365;
/** [decision] extras may add at most as many days as an order may have: keeps every date representable. */
export const MAX_EXTRA_DAYS = 365;
/** [decision] support cancellations for these reasons do not count toward the completion rate by default. */
export const SUPPORT_REASONS_NOT_COUNTED: readonly string[] = ['fraud', 'ordered_by_mistake'];

// ---- helpers ----------------------------------------------------------------------------------------------

const iso = (epochMs: number): string => new Date(epochMs).toISOString();
const ms = (isoString: string): number => Date.parse(isoString);
const addDays = (isoString: string, days: number): string => iso(ms(isoString) + days * DAY_MS);

const enforce = (refusal: Refusal | null): void => {
  if (refusal) throw new DomainError(refusal.code, refusal.message, refusal.field);
};
function invalid(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', message, field);
}
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim().length > 0;
/** Optional input counts as absent when undefined or null (JSON clients send either). */
const isGiven = (value: unknown): boolean => value !== undefined && value !== null;
const requireText = (value: unknown, field: string): string =>
  isText(value) ? value : invalid(field, `${field} is required`);
/** Comments travel verbatim; absent means null. */
const optionalText = (value: unknown, field: string): string | null =>
  !isGiven(value) ? null : typeof value === 'string' ? value : invalid(field, `${field} must be a string`);
const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;

const activeStatus = (state: PlacedOrderState): Exclude<OrderStatus, 'completed' | 'cancelled'> =>
  state.status as Exclude<OrderStatus, 'completed' | 'cancelled'>;

/** Work starts now: the delivery days count from here, but never before a date already agreed on. */
function dueAtOnStart(state: PlacedOrderState, now: Date): string {
  const byDays = now.getTime() + state.deliveryDays * DAY_MS;
  return iso(state.agreedDueAt === null ? byDays : Math.max(byDays, ms(state.agreedDueAt)));
}

/**
 * An accepted extension moves dueAt to the proposed date. Before the start there is no dueAt: evolve keeps the
 * date as agreedDueAt. [decision] It never shortens: extras accepted meanwhile may already have moved dueAt past it.
 */
function extendForRequest(state: PlacedOrderState, requestId: string, now: Date): DueDateExtended[] {
  const proposed = state.openRequest?.proposedDueAt ?? null;
  if (state.dueAt === null || proposed === null || ms(proposed) <= ms(state.dueAt)) return [];
  return [
    {
      type: 'DueDateExtended',
      data: {
        orderId: state.orderId,
        previousDueAt: state.dueAt,
        newDueAt: proposed,
        source: 'delivery_extension',
        sourceId: requestId,
        extendedAt: now.toISOString(),
      },
    },
  ];
}

/** A cancellation request accepted by the counterpart (mutual) or by the timeout (auto_accepted). */
function cancelForRequest(
  state: PlacedOrderState,
  mode: 'mutual' | 'auto_accepted',
  now: Date,
): OrderCancelled {
  const open = state.openRequest!;
  const previousStatus = activeStatus(state);
  return {
    type: 'OrderCancelled',
    data: {
      orderId: state.orderId,
      mode,
      initiator: open.openedBy,
      reason: open.reason ?? 'other',
      comment: open.comment,
      requestId: open.requestId,
      previousStatus,
      // [decision] A buyer who cancels before the requirements are in (here through a request) never costs the
      // seller: the same exclusion as the buyer's unilateral cancellation while awaiting requirements.
      countsTowardCompletionRate: !(open.openedBy === 'buyer' && previousStatus === 'awaiting_requirements'),
      cancelledAt: now.toISOString(),
    },
  };
}

// ---- commands ---------------------------------------------------------------------------------------------

function placeOrder(command: PlaceOrder, state: OrderState): OrderEvent[] {
  if (state.exists)
    throw new DomainError('ORDER_ALREADY_EXISTS', `order ${command.data.orderId} already exists`);
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
  if (typeof data.price.currency !== 'string' || !/^[A-Z]{3}$/.test(data.price.currency)) {
    invalid('price.currency', 'price.currency must be an ISO-4217 code');
  }
  if (!isIntegerIn(data.deliveryDays, 1, MAX_DELIVERY_DAYS)) {
    invalid('deliveryDays', `deliveryDays must be an integer from 1 to ${MAX_DELIVERY_DAYS}`);
  }
  if (typeof data.requirementsNeeded !== 'boolean')
    invalid('requirementsNeeded', 'requirementsNeeded must be a boolean');
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

function openRequest(command: OpenRequest, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkOpenRequest(state, actor, data.requestType));
  const party = partyOf(state, actor) as Party;
  requireText(data.requestId, 'requestId');
  if (findRequest(state, data.requestId)) invalid('requestId', `request ${data.requestId} already exists`);
  const comment = requireText(data.comment, 'comment');

  let reason: string | null = null;
  if (data.requestType === 'cancellation') {
    if (!isGiven(data.reason)) invalid('reason', 'a cancellation request needs a reason');
    if (!reasonsOf(party).includes(data.reason as string)) {
      invalid('reason', `reason must be one of: ${reasonsOf(party).join(', ')}`);
    }
    reason = data.reason as string;
  } else if (isGiven(data.reason)) {
    invalid('reason', `a ${data.requestType} request takes no reason`);
  }

  let proposedDueAt: string | null = null;
  if (data.requestType === 'delivery_extension') {
    if (!isGiven(data.proposedDueAt)) invalid('proposedDueAt', 'a delivery extension needs proposedDueAt');
    const proposed = parseIsoInstant(data.proposedDueAt);
    if (proposed === null) return invalid('proposedDueAt', 'proposedDueAt must be an ISO-8601 date');
    // Later than the current dueAt; before the start, later than now and than any date already agreed on.
    const floor =
      state.dueAt !== null
        ? ms(state.dueAt)
        : Math.max(now.getTime(), state.agreedDueAt === null ? -Infinity : ms(state.agreedDueAt));
    if (proposed <= floor) {
      invalid('proposedDueAt', `proposedDueAt must be later than ${iso(floor)}`);
    }
    proposedDueAt = iso(proposed);
  } else if (isGiven(data.proposedDueAt)) {
    invalid('proposedDueAt', `a ${data.requestType} request takes no proposedDueAt`);
  }

  const openedAt = now.toISOString();
  return [
    {
      type: 'ResolutionRequestOpened',
      data: {
        orderId: state.orderId,
        requestId: data.requestId,
        requestType: data.requestType,
        openedBy: party,
        reason,
        comment,
        proposedDueAt,
        openedAt,
        respondBy: iso(now.getTime() + ANSWER_WINDOW_MS),
      },
    },
  ];
}

function acceptRequest(command: AcceptRequest, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkAnswerRequest(state, actor, data.requestId, now, 'accept'));
  const open = state.openRequest!;
  // The update itself is the answer to an order_update request.
  if (open.type === 'order_update') requireText(data.comment, 'comment');
  const accepted: OrderEvent = {
    type: 'ResolutionRequestAccepted',
    data: {
      orderId: state.orderId,
      requestId: open.requestId,
      requestType: open.type,
      acceptedBy: partyOf(state, actor) as Party,
      comment: optionalText(data.comment, 'comment'),
      acceptedAt: now.toISOString(),
    },
  };
  switch (open.type) {
    case 'cancellation':
      return [accepted, cancelForRequest(state, 'mutual', now)];
    case 'delivery_extension':
      return [accepted, ...extendForRequest(state, open.requestId, now)];
    case 'order_update':
      return [accepted];
  }
}

function declineRequest(command: DeclineRequest, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkAnswerRequest(state, actor, data.requestId, now, 'decline'));
  const open = state.openRequest!;
  return [
    {
      type: 'ResolutionRequestDeclined',
      data: {
        orderId: state.orderId,
        requestId: open.requestId,
        requestType: open.type,
        declinedBy: partyOf(state, actor) as Party,
        comment: optionalText(data.comment, 'comment'),
        declinedAt: now.toISOString(),
      },
    },
  ];
}

function withdrawRequest(command: WithdrawRequest, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkWithdrawRequest(state, actor, data.requestId, now));
  const open = state.openRequest!;
  return [
    {
      type: 'ResolutionRequestWithdrawn',
      data: {
        orderId: state.orderId,
        requestId: open.requestId,
        requestType: open.type,
        withdrawnBy: open.openedBy,
        withdrawnAt: now.toISOString(),
      },
    },
  ];
}

function cancelOrder(command: CancelOrder, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkCancelWithoutConsent(state, actor, now));
  const mode = cancellationModeOf(state, actor);
  const initiator: CancellationInitiator = mode === 'support' ? 'support' : 'buyer';
  const reasons = reasonsOf(initiator === 'support' ? 'support' : 'buyer');
  if (typeof data.reason !== 'string' || !reasons.includes(data.reason)) {
    invalid('reason', `reason must be one of: ${reasons.join(', ')}`);
  }
  let counts: boolean;
  if (mode === 'support') {
    if (isGiven(data.countsTowardCompletionRate) && typeof data.countsTowardCompletionRate !== 'boolean') {
      invalid('countsTowardCompletionRate', 'countsTowardCompletionRate must be a boolean');
    }
    counts = data.countsTowardCompletionRate ?? !SUPPORT_REASONS_NOT_COUNTED.includes(data.reason);
  } else {
    if (isGiven(data.countsTowardCompletionRate)) {
      invalid('countsTowardCompletionRate', 'only support decides whether a cancellation counts');
    }
    // Cancelling while awaiting requirements never counts; a very late order's forced cancellation does.
    counts = mode === 'forced';
  }
  return [
    {
      type: 'OrderCancelled',
      data: {
        orderId: state.orderId,
        mode,
        initiator,
        reason: data.reason,
        comment: optionalText(data.comment, 'comment'),
        requestId: null,
        previousStatus: activeStatus(state),
        countsTowardCompletionRate: counts,
        cancelledAt: now.toISOString(),
      },
    },
  ];
}

function offerExtras(command: OfferExtras, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkOfferExtras(state, actor));
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

function acceptExtras(command: AcceptExtras, state: PlacedOrderState): OrderEvent[] {
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

function declineExtras(command: DeclineExtras, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkAnswerExtras(state, actor, data.offerId, now));
  return [
    {
      type: 'ExtrasDeclined',
      data: { orderId: state.orderId, offerId: data.offerId, declinedAt: now.toISOString() },
    },
  ];
}

// ---- timeouts: idempotent, [] when there is nothing (left) to do ------------------------------------------

function expireRequest(command: ExpireRequest, state: PlacedOrderState): OrderEvent[] {
  const { data, now } = command;
  const open = state.openRequest;
  if (
    !isActive(state) ||
    open?.requestId !== data.requestId ||
    isRequestAnswerable(state, open.requestId, now)
  ) {
    return [];
  }
  const expired = (outcome: 'auto_accepted' | 'closed'): OrderEvent => ({
    type: 'ResolutionRequestExpired',
    data: {
      orderId: state.orderId,
      requestId: open.requestId,
      requestType: open.type,
      outcome,
      expiredAt: now.toISOString(),
    },
  });
  switch (open.type) {
    case 'cancellation':
      return [expired('auto_accepted'), cancelForRequest(state, 'auto_accepted', now)];
    case 'delivery_extension':
      return [expired('auto_accepted'), ...extendForRequest(state, open.requestId, now)];
    case 'order_update':
      return [expired('closed')];
  }
}

function lapseExtrasOffer(command: LapseExtrasOffer, state: PlacedOrderState): OrderEvent[] {
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

function recordLateness(command: RecordLateness, state: PlacedOrderState): OrderEvent[] {
  const { now } = command;
  const events: OrderEvent[] = [];
  const dueAt = state.dueAt;
  if (dueAt === null) return events;
  const recordedAt = now.toISOString();
  if (isLate(state, now) && state.lateRecordedForDueAt !== dueAt) {
    events.push({ type: 'OrderBecameLate', data: { orderId: state.orderId, dueAt, recordedAt } });
  }
  if (isVeryLate(state, now) && state.veryLateRecordedForDueAt !== dueAt) {
    events.push({ type: 'OrderBecameVeryLate', data: { orderId: state.orderId, dueAt, recordedAt } });
  }
  return events;
}

function completeAutomatically(command: CompleteAutomatically, state: PlacedOrderState): OrderEvent[] {
  const { now } = command;
  if (state.status !== 'delivered' || state.deliveredAt === null) return [];
  if (now.getTime() < ms(state.deliveredAt) + AUTO_COMPLETE_AFTER_MS) return [];
  // [decision] an open request waits for its answer (or timeout); the scheduler retries after it closes.
  if (state.openRequest) return [];
  return [
    {
      type: 'OrderCompleted',
      data: { orderId: state.orderId, completedAt: now.toISOString(), completion: 'auto_completed' },
    },
  ];
}

// ---- decide -----------------------------------------------------------------------------------------------

const assertNever = (x: never): never => {
  throw new Error(`unknown order command ${JSON.stringify(x)}`);
};

/** The events a command causes on the order, or a DomainError with the contract's code. */
export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  // A caller's bug, not a refusal: every recorded time derives from it.
  if (!(command.now instanceof Date) || Number.isNaN(command.now.getTime())) {
    throw new TypeError('command.now must be a valid Date');
  }
  if (command.type === 'PlaceOrder') return placeOrder(command, state);
  if (!isPlaced(state)) throw new DomainError('ORDER_NOT_FOUND', 'order not found');
  const { actor, now } = command;
  const at = now.toISOString();
  switch (command.type) {
    case 'SubmitRequirements': {
      enforce(checkSubmitRequirements(state, actor));
      const text = requireText(command.data.text, 'text');
      return [
        {
          type: 'RequirementsSubmitted',
          data: { orderId: state.orderId, text, submittedAt: at, dueAt: dueAtOnStart(state, now) },
        },
      ];
    }
    case 'StartWithoutRequirements':
      enforce(checkStartWithoutRequirements(state, actor));
      return [
        {
          type: 'WorkStartedWithoutRequirements',
          data: { orderId: state.orderId, startedAt: at, dueAt: dueAtOnStart(state, now) },
        },
      ];
    case 'DeliverOrder': {
      enforce(checkDeliver(state, actor));
      const message = requireText(command.data.message, 'message');
      return [
        {
          type: 'OrderDelivered',
          data: { orderId: state.orderId, message, deliveredAt: at, deliveryNumber: state.deliveryCount + 1 },
        },
      ];
    }
    case 'AcceptDelivery':
      enforce(checkAcceptDelivery(state, actor));
      return [
        {
          type: 'OrderCompleted',
          data: { orderId: state.orderId, completedAt: at, completion: 'accepted_by_buyer' },
        },
      ];
    case 'RequestRevision': {
      enforce(checkRequestRevision(state, actor));
      const message = requireText(command.data.message, 'message');
      return [{ type: 'RevisionRequested', data: { orderId: state.orderId, message, requestedAt: at } }];
    }
    case 'OpenRequest':
      return openRequest(command, state);
    case 'AcceptRequest':
      return acceptRequest(command, state);
    case 'DeclineRequest':
      return declineRequest(command, state);
    case 'WithdrawRequest':
      return withdrawRequest(command, state);
    case 'CancelOrder':
      return cancelOrder(command, state);
    case 'OfferExtras':
      return offerExtras(command, state);
    case 'AcceptExtras':
      return acceptExtras(command, state);
    case 'DeclineExtras':
      return declineExtras(command, state);
    case 'ExpireRequest':
      enforce(checkSystem(actor));
      return expireRequest(command, state);
    case 'LapseExtrasOffer':
      enforce(checkSystem(actor));
      return lapseExtrasOffer(command, state);
    case 'RecordLateness':
      enforce(checkSystem(actor));
      return recordLateness(command, state);
    case 'CompleteAutomatically':
      enforce(checkSystem(actor));
      return completeAutomatically(command, state);
    default:
      return assertNever(command);
  }
}
