// Who may do what now: the ONE place these rules live. `decide` runs the guard of a command before validating
// its input; `allowedActions` runs the same guards, so the order page shows exactly the buttons that will work.
// A guard returns the refusal (code + message) or null; it never throws, so listing actions stays cheap.
import { closedRequestOpener, type OrderState } from './order.state';
import { isActive, ms, partyOf, refuse, requireParty, type Refusal } from './rules/common';
import { checkPartialRefundAmount, checkPartialRefundAvailable } from './rules/refunds';
import {
  checkAddStatement,
  checkClaimSupportCase,
  checkOpenSupportCase,
  checkPostSupportMessage,
  checkRequestInformation,
  checkResolveSupportCase,
  checkWithdrawSupportCase,
  openCaseOf,
} from './rules/support-cases';
import {
  AUTO_COMPLETE_AFTER_MS,
  BUYER_CANCELLATION_REASONS,
  SELLER_CANCELLATION_REASONS,
  SUPPORT_CANCELLATION_REASONS,
  VERY_LATE_AFTER_MS,
  type Actor,
  type Caller,
  type Lateness,
  type OrderStatus,
  type Party,
  type RequestType,
} from './order.types';

export { isActive, partyOf, type Refusal } from './rules/common';
export * from './rules/refunds';
export * from './rules/support-cases';

/**
 * The order page's buttons. Issue 17 added: open_partial_refund_request (seller), open_support_case (parties),
 * claim_support_case, post_support_message, request_information, resolve_support_case (support),
 * add_statement (parties), withdraw_support_case (the case's opener).
 */
export type AllowedAction =
  | 'submit_requirements'
  | 'start_without_requirements'
  | 'deliver'
  | 'accept_delivery'
  | 'request_revision'
  | 'open_cancellation_request'
  | 'open_delivery_extension_request'
  | 'open_order_update_request'
  | 'accept_request'
  | 'decline_request'
  | 'withdraw_request'
  | 'cancel_without_consent'
  | 'offer_extras'
  | 'accept_extras'
  | 'decline_extras'
  | 'open_partial_refund_request'
  | 'open_support_case'
  | 'claim_support_case'
  | 'post_support_message'
  | 'request_information'
  | 'add_statement'
  | 'withdraw_support_case'
  | 'resolve_support_case';

export const ALLOWED_ACTIONS: readonly AllowedAction[] = [
  'submit_requirements',
  'start_without_requirements',
  'deliver',
  'accept_delivery',
  'request_revision',
  'open_cancellation_request',
  'open_delivery_extension_request',
  'open_order_update_request',
  'accept_request',
  'decline_request',
  'withdraw_request',
  'cancel_without_consent',
  'offer_extras',
  'accept_extras',
  'decline_extras',
  'open_partial_refund_request',
  'open_support_case',
  'claim_support_case',
  'post_support_message',
  'request_information',
  'add_statement',
  'withdraw_support_case',
  'resolve_support_case',
];

// ---- time -------------------------------------------------------------------------------------------------

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Epoch ms of an ISO-8601 date (`2025-03-01`, UTC midnight) or date-time with a zone (`…Z`, `…+02:00`),
 * or null. Stricter than Date.parse, which accepts `2025-02-30` and many non-ISO shapes.
 */
export function parseIsoInstant(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = ISO_INSTANT.exec(value);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

// ---- who is who -------------------------------------------------------------------------------------------

/** buyer if caller.userId === buyerId, seller if === sellerId, else support if roles include it, else null. */
export function resolveActor(state: OrderState, caller: Caller): Actor | null {
  if (state.exists && caller.userId === state.buyerId) return { id: caller.userId, role: 'buyer' };
  if (state.exists && caller.userId === state.sellerId) return { id: caller.userId, role: 'seller' };
  if (caller.roles.includes('support')) return { id: caller.userId, role: 'support' };
  return null;
}

/** The support-only commands, and a cancellation carrying support's countsTowardCompletionRate: anyone else's 403. */
export function isSupportOnly(command: { type: string; data?: unknown }): boolean {
  if (command.type === 'CancelOrder') {
    const counts = (command.data as { countsTowardCompletionRate?: unknown }).countsTowardCompletionRate;
    return counts !== undefined && counts !== null;
  }
  return SUPPORT_ONLY_COMMANDS.includes(command.type);
}
const SUPPORT_ONLY_COMMANDS: readonly string[] = [
  'ClaimSupportCase',
  'PostSupportMessage',
  'RequestInformation',
  'ResolveSupportCase',
];

/** Timeouts are the scheduler's. */
export const checkSystem = (actor: Actor): Refusal | null =>
  actor.role === 'system' ? null : refuse('FORBIDDEN', 'only the system acts on timeouts');

// ---- order facts ------------------------------------------------------------------------------------------

const requireStatus = (state: OrderState, statuses: readonly OrderStatus[], what: string): Refusal | null =>
  state.status !== null && statuses.includes(state.status)
    ? null
    : refuse('INVALID_STATE', `cannot ${what} while the order is ${state.status}`);

export const everDelivered = (state: OrderState): boolean => state.firstDeliveredAt !== null;

/** Lateness counts only before the first delivery, and only once there is a dueAt. */
const countsForLateness = (state: OrderState): state is OrderState & { dueAt: string } =>
  isActive(state) && !everDelivered(state) && state.dueAt !== null;

export const isLate = (state: OrderState, now: Date): boolean =>
  countsForLateness(state) && now.getTime() > ms(state.dueAt);

export const isVeryLate = (state: OrderState, now: Date): boolean =>
  countsForLateness(state) && now.getTime() >= ms(state.dueAt) + VERY_LATE_AFTER_MS;

/** null when there is no dueAt yet or the order ended; 'on_time' after the first delivery (also in revision). */
export function latenessOf(state: OrderState, now: Date): Lateness | null {
  if (!isActive(state) || state.dueAt === null) return null;
  if (isVeryLate(state, now)) return 'very_late';
  if (isLate(state, now)) return 'late';
  return 'on_time';
}

/** Who opened the request `requestId`, open or closed; null for an id never used. */
export const openerOf = (state: OrderState, requestId: string): Party | null =>
  state.requests.find((r) => r.requestId === requestId)?.openedBy ?? closedRequestOpener(state, requestId);

/** Open and answerable right now: once respondBy has passed the timeout wins, even before it is recorded. */
export function isRequestAnswerable(state: OrderState, requestId: string, now: Date): boolean {
  const open = state.openRequest;
  return isActive(state) && open?.requestId === requestId && now.getTime() < ms(open.respondBy);
}

/**
 * When CompleteAutomatically will complete the order: 3 days after the last delivery, and not before the last
 * request or support case closed: max(deliveredAt + 3 d, requestClosedAt, caseClosedAt). null while not
 * delivered, or while a request or a case is open (they wait; the schedule asks again when they close).
 * [decision] The 3-day clock neither pauses nor restarts for a request: it simply waits, as for a case.
 */
export function autoCompletionDueAt(state: OrderState): string | null {
  if (state.status !== 'delivered' || state.deliveredAt === null) return null;
  if (state.openRequest || openCaseOf(state)) return null;
  let due = ms(state.deliveredAt) + AUTO_COMPLETE_AFTER_MS;
  for (const closedAt of [state.requestClosedAt, state.supportCase?.closedAt]) {
    if (closedAt) due = Math.max(due, ms(closedAt));
  }
  return new Date(due).toISOString();
}

// ---- lifecycle --------------------------------------------------------------------------------------------

export const checkSubmitRequirements = (state: OrderState, actor: Actor): Refusal | null =>
  requireParty(state, actor, 'buyer', 'submit the requirements') ??
  requireStatus(state, ['awaiting_requirements'], 'submit requirements');

export const checkStartWithoutRequirements = (state: OrderState, actor: Actor): Refusal | null =>
  requireParty(state, actor, 'seller', 'start without requirements') ??
  requireStatus(state, ['awaiting_requirements'], 'start without requirements');

export const checkDeliver = (state: OrderState, actor: Actor): Refusal | null =>
  requireParty(state, actor, 'seller', 'deliver') ?? requireStatus(state, ['in_progress'], 'deliver');

export const checkAcceptDelivery = (state: OrderState, actor: Actor): Refusal | null =>
  requireParty(state, actor, 'buyer', 'accept the delivery') ??
  requireStatus(state, ['delivered'], 'accept a delivery') ??
  // [decision] a completed order must not leave a request open forever: answer or withdraw it first.
  (state.openRequest
    ? refuse('REQUEST_ALREADY_OPEN', 'a request is open: answer or withdraw it first')
    : null);

export const checkRequestRevision = (state: OrderState, actor: Actor): Refusal | null =>
  requireParty(state, actor, 'buyer', 'request a revision') ??
  requireStatus(state, ['delivered'], 'request a revision');

// ---- Resolution Center requests ---------------------------------------------------------------------------

const OPENED_BY: Record<RequestType, readonly Party[]> = {
  cancellation: ['buyer', 'seller'],
  delivery_extension: ['seller'],
  order_update: ['buyer'],
  partial_refund: ['seller'],
};

/** Who may open a request of this type (403). The decider checks the body next (400), then the state. */
export function checkRequestOpener(state: OrderState, actor: Actor, type: RequestType): Refusal | null {
  const party = partyOf(state, actor);
  return party === null || !OPENED_BY[type].includes(party)
    ? refuse('FORBIDDEN', `only the ${OPENED_BY[type].join(' or ')} may open a ${type} request`)
    : null;
}

export const checkOpenRequest = (state: OrderState, actor: Actor, type: RequestType): Refusal | null =>
  checkRequestOpener(state, actor, type) ?? checkRequestOpenable(state, type);

/** Whether the order's state lets a request of this type be opened now (409). */
export function checkRequestOpenable(state: OrderState, type: RequestType): Refusal | null {
  if (!isActive(state)) {
    return refuse(
      'RESOLUTION_CENTER_UNAVAILABLE',
      `the Resolution Center is closed for ${state.status} orders`,
    );
  }
  if (state.openRequest) return refuse('REQUEST_ALREADY_OPEN', 'another request is open on this order');
  if (type === 'delivery_extension') {
    return (
      requireStatus(state, ['awaiting_requirements', 'in_progress'], 'ask for a delivery extension') ??
      (everDelivered(state)
        ? refuse('INVALID_STATE', 'a delivery extension can only be asked before the first delivery')
        : null)
    );
  }
  if (type === 'order_update') return requireStatus(state, ['in_progress'], 'ask for an order update');
  if (type === 'partial_refund') return checkPartialRefundAvailable(state);
  return null;
}

/** Reasons the opener of a cancellation (request) may give. */
export const reasonsOf = (role: 'buyer' | 'seller' | 'support'): readonly string[] =>
  role === 'buyer'
    ? BUYER_CANCELLATION_REASONS
    : role === 'seller'
      ? SELLER_CANCELLATION_REASONS
      : SUPPORT_CANCELLATION_REASONS;

export function checkAnswerRequest(
  state: OrderState,
  actor: Actor,
  requestId: string,
  now: Date,
  answer: 'accept' | 'decline',
): Refusal | null {
  const party = partyOf(state, actor);
  if (party === null) return refuse('FORBIDDEN', 'only the buyer or the seller answers requests');
  const openedBy = openerOf(state, requestId);
  if (!openedBy) return refuse('REQUEST_NOT_FOUND', `request ${requestId} not found`);
  if (openedBy === party) return refuse('FORBIDDEN', 'only the counterpart answers a request');
  if (!isRequestAnswerable(state, requestId, now)) {
    return refuse('REQUEST_NOT_OPEN', `request ${requestId} is no longer open`);
  }
  const type = state.openRequest?.type; // answerable: it is the open one
  if (answer === 'decline' && type === 'order_update') {
    return refuse('INVALID_STATE', 'an order update request is answered by posting the update, not declined');
  }
  // [decision] Support may have refunded meanwhile: an offer that no longer fits is refused (declined or lapses).
  if (answer === 'accept' && type === 'partial_refund') {
    return checkPartialRefundAmount(state, state.openRequest?.amount ?? 0);
  }
  return null;
}

export function checkWithdrawRequest(
  state: OrderState,
  actor: Actor,
  requestId: string,
  now: Date,
): Refusal | null {
  const party = partyOf(state, actor);
  if (party === null) return refuse('FORBIDDEN', 'only the requester withdraws a request');
  const openedBy = openerOf(state, requestId);
  if (!openedBy) return refuse('REQUEST_NOT_FOUND', `request ${requestId} not found`);
  if (openedBy !== party) return refuse('FORBIDDEN', 'only the requester withdraws a request');
  if (!isRequestAnswerable(state, requestId, now)) {
    return refuse('REQUEST_NOT_OPEN', `request ${requestId} is no longer open`);
  }
  return null;
}

// ---- cancellation without consent -------------------------------------------------------------------------

/** Who may cancel without consent (403). The decider checks the body next (400), then the state. */
export const checkCancelWithoutConsentCaller = (state: OrderState, actor: Actor): Refusal | null =>
  actor.role === 'support' || partyOf(state, actor) === 'buyer'
    ? null
    : refuse('FORBIDDEN', 'only the buyer or support may cancel without consent (the seller asks)');

export const checkCancelWithoutConsent = (state: OrderState, actor: Actor, now: Date): Refusal | null =>
  checkCancelWithoutConsentCaller(state, actor) ?? checkCancellableWithoutConsent(state, actor, now);

/** Whether the order's state lets this caller cancel it without consent now (409). */
export function checkCancellableWithoutConsent(state: OrderState, actor: Actor, now: Date): Refusal | null {
  const isSupport = actor.role === 'support';
  if (!isActive(state)) {
    return refuse(
      'RESOLUTION_CENTER_UNAVAILABLE',
      `the Resolution Center is closed for ${state.status} orders`,
    );
  }
  if (state.openRequest)
    return refuse('REQUEST_ALREADY_OPEN', 'a request is open: withdraw or answer it first');
  if (isSupport || state.status === 'awaiting_requirements' || isVeryLate(state, now)) return null;
  return refuse('CANCELLATION_NOT_ALLOWED', 'the order is neither awaiting requirements nor very late');
}

/** The mode of a cancellation `checkCancelWithoutConsent` allowed. */
export const cancellationModeOf = (state: OrderState, actor: Actor): 'support' | 'unilateral' | 'forced' =>
  actor.role === 'support' ? 'support' : state.status === 'awaiting_requirements' ? 'unilateral' : 'forced';

// ---- extras -----------------------------------------------------------------------------------------------

/** [decision] Extras offers pending at once on one order: enough for any real negotiation, and a bounded stream. */
export const MAX_PENDING_EXTRAS = 10;

export const checkOfferExtras = (state: OrderState, actor: Actor, now: Date): Refusal | null =>
  requireParty(state, actor, 'seller', 'offer extras') ??
  requireStatus(state, ['awaiting_requirements', 'in_progress'], 'offer extras') ??
  (state.pendingExtras.filter((o) => now.getTime() < ms(o.expiresAt)).length >= MAX_PENDING_EXTRAS
    ? refuse(
        'INVALID_STATE',
        `${MAX_PENDING_EXTRAS} extras offers are pending already: the buyer answers one (or it lapses) first`,
      )
    : null);

export function checkAnswerExtras(
  state: OrderState,
  actor: Actor,
  offerId: string,
  now: Date,
): Refusal | null {
  const forbidden = requireParty(state, actor, 'buyer', 'answer an extras offer');
  if (forbidden) return forbidden;
  const offer = state.offers.find((o) => o.offerId === offerId);
  if (!offer) return refuse('OFFER_NOT_FOUND', `extras offer ${offerId} not found`);
  if (!isActive(state)) return refuse('INVALID_STATE', `the order is ${state.status}`);
  const pending = state.pendingExtras.find((o) => o.offerId === offerId);
  if (offer.outcome !== 'pending' || !pending) {
    return refuse('INVALID_STATE', `extras offer ${offerId} is ${offer.outcome}`);
  }
  if (now.getTime() >= ms(pending.expiresAt))
    return refuse('INVALID_STATE', `extras offer ${offerId} has lapsed`);
  return null;
}

// ---- the order page's buttons -----------------------------------------------------------------------------

/** Exactly the actions whose command would be accepted right now for this actor (with valid input). */
export function allowedActions(state: OrderState, actor: Actor | null, now: Date): AllowedAction[] {
  if (actor === null || actor.role === 'system' || !state.exists) return [];
  const open = state.openRequest;
  const ok = (refusal: Refusal | null): boolean => refusal === null;
  const caseId = state.supportCase?.caseId ?? null;
  const onCase = (check: (id: string) => Refusal | null) => (): boolean =>
    caseId !== null && ok(check(caseId));
  const anyOffer = (): boolean =>
    state.pendingExtras.some((o) => ok(checkAnswerExtras(state, actor, o.offerId, now)));
  const checks: Record<AllowedAction, () => boolean> = {
    submit_requirements: () => ok(checkSubmitRequirements(state, actor)),
    start_without_requirements: () => ok(checkStartWithoutRequirements(state, actor)),
    deliver: () => ok(checkDeliver(state, actor)),
    accept_delivery: () => ok(checkAcceptDelivery(state, actor)),
    request_revision: () => ok(checkRequestRevision(state, actor)),
    open_cancellation_request: () => ok(checkOpenRequest(state, actor, 'cancellation')),
    open_delivery_extension_request: () => ok(checkOpenRequest(state, actor, 'delivery_extension')),
    open_order_update_request: () => ok(checkOpenRequest(state, actor, 'order_update')),
    accept_request: () =>
      open !== null && ok(checkAnswerRequest(state, actor, open.requestId, now, 'accept')),
    decline_request: () =>
      open !== null && ok(checkAnswerRequest(state, actor, open.requestId, now, 'decline')),
    withdraw_request: () => open !== null && ok(checkWithdrawRequest(state, actor, open.requestId, now)),
    cancel_without_consent: () => ok(checkCancelWithoutConsent(state, actor, now)),
    offer_extras: () => ok(checkOfferExtras(state, actor, now)),
    accept_extras: anyOffer,
    decline_extras: anyOffer,
    open_partial_refund_request: () => ok(checkOpenRequest(state, actor, 'partial_refund')),
    open_support_case: () => ok(checkOpenSupportCase(state, actor)),
    claim_support_case: onCase((id) => checkClaimSupportCase(state, actor, id)),
    post_support_message: onCase((id) => checkPostSupportMessage(state, actor, id)),
    request_information: onCase((id) => checkRequestInformation(state, actor, id)),
    add_statement: onCase((id) => checkAddStatement(state, actor, id)),
    withdraw_support_case: onCase((id) => checkWithdrawSupportCase(state, actor, id)),
    resolve_support_case: onCase((id) => checkResolveSupportCase(state, actor, id)),
  };
  return ALLOWED_ACTIONS.filter((action) => checks[action]());
}
