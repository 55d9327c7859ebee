// Resolution Center requests (cancellation, delivery_extension, order_update, partial_refund) and the
// cancellation without consent.
import { DomainError } from '../errors';
import type {
  AcceptRequest,
  CancelOrder,
  DeclineRequest,
  ExpireRequest,
  OpenRequest,
  WithdrawRequest,
} from '../order.commands';
import type { DueDateExtended, OrderCancelled, OrderEvent } from '../order.events';
import {
  cancellationModeOf,
  checkAnswerRequest,
  checkCancelWithoutConsentCaller,
  checkCancellableWithoutConsent,
  checkRequestOpenable,
  checkRequestOpener,
  checkPartialRefundAmount,
  checkWithdrawRequest,
  openerOf,
  isActive,
  isRequestAnswerable,
  isSupportOnly,
  parseIsoInstant,
  partyOf,
  reasonsOf,
} from '../order.rules';
import type { PlacedOrderState } from '../order.state';
import {
  ANSWER_WINDOW_MS,
  PARTIAL_REFUND_REASONS,
  type CancellationInitiator,
  type Party,
} from '../order.types';
import {
  SUPPORT_REASONS_NOT_COUNTED,
  activeStatus,
  enforce,
  enforceCaller,
  invalid,
  isGiven,
  isIntegerIn,
  iso,
  ms,
  optionalText,
  requireText,
} from './helpers';
import { refundRecorded } from './refunds';

/**
 * An accepted extension moves dueAt to the proposed date. Before the start there is no dueAt: evolve keeps the
 * date as agreedDueAt. [decision] It never shortens: extras accepted meanwhile may already have moved dueAt past it.
 */
export function extendForRequest(state: PlacedOrderState, requestId: string, now: Date): DueDateExtended[] {
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
export function cancelForRequest(
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

export function openRequest(command: OpenRequest, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  // api.md's order of checks: who (403), then the body (400), then the order's state (409).
  enforce(checkRequestOpener(state, actor, data.requestType));
  const party = partyOf(state, actor) as Party;
  requireText(data.requestId, 'requestId');
  // Closed requests are kept as lines (OrderState.closedRequests).
  if (data.requestId.includes('\n')) invalid('requestId', 'requestId is one line');
  if (openerOf(state, data.requestId)) invalid('requestId', `request ${data.requestId} already exists`);
  const comment = requireText(data.comment, 'comment');

  let reason: string | null = null;
  if (data.requestType === 'cancellation') {
    if (!isGiven(data.reason)) invalid('reason', 'a cancellation request needs a reason');
    if (!reasonsOf(party).includes(data.reason as string)) {
      invalid('reason', `reason must be one of: ${reasonsOf(party).join(', ')}`);
    }
    reason = data.reason as string;
  } else if (data.requestType !== 'partial_refund' && isGiven(data.reason)) {
    invalid('reason', `a ${data.requestType} request takes no reason`);
  }

  // A partial refund's reason is confidential: kept apart from `reason`, which travels to the counterpart.
  let partialRefund: { amount: number; confidentialReason: string } | null = null;
  if (data.requestType === 'partial_refund') {
    if (!isGiven(data.reason)) invalid('reason', 'a partial refund request needs a reason');
    if (!(PARTIAL_REFUND_REASONS as readonly unknown[]).includes(data.reason)) {
      invalid('reason', `reason must be one of: ${PARTIAL_REFUND_REASONS.join(', ')}`);
    }
    if (!isIntegerIn(data.amount, 1, Number.MAX_SAFE_INTEGER)) {
      invalid('amount', 'amount must be a positive integer (minor units)');
    }
    partialRefund = { amount: data.amount, confidentialReason: data.reason as string };
  } else if (isGiven(data.amount)) {
    invalid('amount', `a ${data.requestType} request takes no amount`);
  }

  let proposed: number | null = null;
  if (data.requestType === 'delivery_extension') {
    if (!isGiven(data.proposedDueAt)) invalid('proposedDueAt', 'a delivery extension needs proposedDueAt');
    proposed = parseIsoInstant(data.proposedDueAt);
    if (proposed === null) return invalid('proposedDueAt', 'proposedDueAt must be an ISO-8601 date');
  } else if (isGiven(data.proposedDueAt)) {
    invalid('proposedDueAt', `a ${data.requestType} request takes no proposedDueAt`);
  }

  // The body is well formed: now the order's state, then what the state makes of the values.
  enforce(checkRequestOpenable(state, data.requestType));
  if (partialRefund) enforce(checkPartialRefundAmount(state, partialRefund.amount));
  let proposedDueAt: string | null = null;
  if (proposed !== null) {
    // Later than the current dueAt; before the start, later than now and than any date already agreed on.
    const floor =
      state.dueAt !== null
        ? ms(state.dueAt)
        : Math.max(now.getTime(), state.agreedDueAt === null ? -Infinity : ms(state.agreedDueAt));
    if (proposed <= floor) {
      invalid('proposedDueAt', `proposedDueAt must be later than ${iso(floor)}`);
    }
    proposedDueAt = iso(proposed);
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
        ...(partialRefund ?? {}),
      },
    },
  ];
}

export function acceptRequest(command: AcceptRequest, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  const refusal = checkAnswerRequest(state, actor, data.requestId, now, 'accept');
  enforceCaller(refusal);
  // The update itself is the answer to an order_update request: without it the body is malformed (400), before
  // the request's 409 (past respondBy). [decision] A closed request's type is not kept: REQUEST_NOT_OPEN.
  const asked = state.openRequest?.requestId === data.requestId ? state.openRequest : null;
  if (asked?.type === 'order_update') requireText(data.comment, 'comment');
  const comment = optionalText(data.comment, 'comment');
  enforce(refusal);
  const open = state.openRequest!;
  const accepted: OrderEvent = {
    type: 'ResolutionRequestAccepted',
    data: {
      orderId: state.orderId,
      requestId: open.requestId,
      requestType: open.type,
      acceptedBy: partyOf(state, actor) as Party,
      comment,
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
    case 'partial_refund':
      return [accepted, refundRecorded(state, open.amount ?? 0, 'request', open.requestId, now)];
  }
}

export function declineRequest(command: DeclineRequest, state: PlacedOrderState): OrderEvent[] {
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

export function withdrawRequest(command: WithdrawRequest, state: PlacedOrderState): OrderEvent[] {
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

export function cancelOrder(command: CancelOrder, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  // A field only support may send: 403 before any state check (api.md "Order of checks").
  if (actor.role !== 'support' && isSupportOnly(command)) {
    throw new DomainError('FORBIDDEN', 'only support decides whether a cancellation counts');
  }
  // Who (403), then the body (400), then the order's state (409): api.md's order of checks.
  enforce(checkCancelWithoutConsentCaller(state, actor));
  const initiator: CancellationInitiator = actor.role === 'support' ? 'support' : 'buyer';
  const reasons = reasonsOf(initiator);
  if (typeof data.reason !== 'string' || !reasons.includes(data.reason)) {
    invalid('reason', `reason must be one of: ${reasons.join(', ')}`);
  }
  if (isGiven(data.countsTowardCompletionRate) && typeof data.countsTowardCompletionRate !== 'boolean') {
    invalid('countsTowardCompletionRate', 'countsTowardCompletionRate must be a boolean');
  }
  enforce(checkCancellableWithoutConsent(state, actor, now));
  const mode = cancellationModeOf(state, actor);
  // Support decides (by default by reason); cancelling while awaiting requirements never counts, a forced one does.
  const counts =
    mode === 'support'
      ? (data.countsTowardCompletionRate ?? !SUPPORT_REASONS_NOT_COUNTED.includes(data.reason))
      : mode === 'forced';
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

export function expireRequest(command: ExpireRequest, state: PlacedOrderState): OrderEvent[] {
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
    // [decision] domain.md: an unanswered partial refund offer lapses; nothing is refunded.
    case 'partial_refund':
      return [expired('closed')];
  }
}
