// Support cases: opened by a party, mediated by support, closed by withdrawal, resolution or the order's end.
import type {
  AddStatement,
  ClaimSupportCase,
  LapseInformationRequest,
  MarkSupportCaseOverdue,
  OpenSupportCase,
  PostSupportMessage,
  RequestInformation,
  ResolveSupportCase,
  WithdrawSupportCase,
} from '../order.commands';
import type { OrderEvent, SupportCaseResolved } from '../order.events';
import {
  checkAddStatement,
  checkAnswerInformationRequest,
  checkClaimSupportCase,
  checkOpenSupportCase,
  checkPostSupportMessage,
  checkRequestInformation,
  checkResolutionOutcome,
  checkResolveSupportCase,
  checkSupportAgent,
  checkSupportRefundAmount,
  checkWithdrawSupportCase,
  findCase,
  informationRequestAnsweredBy,
  openCaseOf,
  parseIsoInstant,
  partyOf,
} from '../order.rules';
import type { PlacedOrderState } from '../order.state';
import {
  FIRST_RESPONSE_WITHIN_MS,
  INFORMATION_WINDOW_MS,
  MAX_CASE_TEXT,
  MAX_EVIDENCE_BYTES,
  MAX_EVIDENCE_ITEMS,
  SUPPORT_CASE_CATEGORIES,
  SUPPORT_RESOLUTION_OUTCOMES,
  type Evidence,
  type Party,
  type SupportCaseCategory,
  type SupportResolutionOutcome,
} from '../order.types';
import {
  activeStatus,
  enforce,
  enforceCaller,
  invalid,
  isGiven,
  isIntegerIn,
  iso,
  ms,
  requireText,
} from './helpers';
import { refundRecorded } from './refunds';

// ---- input ------------------------------------------------------------------------------------------------

const SHA256 = /^[0-9a-fA-F]{64}$/;
/** [decision] names and content types are short labels: at most 255 characters. */
const MAX_LABEL = 255;

/** 1..10,000 characters, not only whitespace (description, messages, statements, questions, rationale). */
function caseText(value: unknown, field: string): string {
  const text = requireText(value, field);
  if (text.length > MAX_CASE_TEXT) invalid(field, `${field} must be at most ${MAX_CASE_TEXT} characters`);
  return text;
}

const isHttpsUrl = (value: unknown): boolean => {
  if (typeof value !== 'string') return false;
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
};

/** Up to 10 items of file metadata; the files live elsewhere. Absent means none. */
export function evidenceOf(value: unknown): Evidence[] {
  if (!isGiven(value)) return [];
  if (!Array.isArray(value)) return invalid('evidence', 'evidence must be a list');
  if (value.length > MAX_EVIDENCE_ITEMS)
    invalid('evidence', `at most ${MAX_EVIDENCE_ITEMS} pieces of evidence`);
  return value.map((item: unknown, i) => {
    const field = (name: string) => `evidence[${i}].${name}`;
    if (typeof item !== 'object' || item === null) return invalid(`evidence[${i}]`, 'must be an object');
    const e = item as Record<string, unknown>;
    const label = (name: string): string => {
      const text = requireText(e[name], field(name));
      return text.length <= MAX_LABEL ? text : invalid(field(name), `at most ${MAX_LABEL} characters`);
    };
    const name = label('name');
    const contentType = label('contentType');
    if (!isIntegerIn(e.sizeBytes, 0, MAX_EVIDENCE_BYTES)) {
      invalid(field('sizeBytes'), `sizeBytes must be an integer from 0 to ${MAX_EVIDENCE_BYTES}`);
    }
    if (typeof e.sha256 !== 'string' || !SHA256.test(e.sha256)) {
      invalid(field('sha256'), 'sha256 must be 64 hex digits');
    }
    if (!isHttpsUrl(e.url)) invalid(field('url'), 'url must be an https URL');
    return {
      name,
      contentType,
      sizeBytes: e.sizeBytes as number,
      sha256: (e.sha256 as string).toLowerCase(),
      url: e.url as string,
    };
  });
}

const oneOf = <T extends string>(values: readonly T[], value: unknown, field: string): T =>
  (values as readonly unknown[]).includes(value)
    ? (value as T)
    : invalid(field, `${field} must be one of: ${values.join(', ')}`);

// ---- commands ---------------------------------------------------------------------------------------------

export function openSupportCase(command: OpenSupportCase, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  const refusal = checkOpenSupportCase(state, actor);
  enforceCaller(refusal);
  requireText(data.caseId, 'caseId');
  if (findCase(state, data.caseId)) invalid('caseId', `support case ${data.caseId} already exists`);
  const category = oneOf<SupportCaseCategory>(SUPPORT_CASE_CATEGORIES, data.category, 'category');
  const description = caseText(data.description, 'description');
  const evidence = evidenceOf(data.evidence);
  enforce(refusal);
  const party = partyOf(state, actor) as Party;
  return [
    {
      type: 'SupportCaseOpened',
      data: {
        orderId: state.orderId,
        caseId: data.caseId,
        openedBy: { id: actor.id, role: party },
        category,
        description,
        evidence,
        openedAt: now.toISOString(),
        firstResponseDueAt: iso(now.getTime() + FIRST_RESPONSE_WITHIN_MS),
      },
    },
  ];
}

export function claimSupportCase(command: ClaimSupportCase, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkClaimSupportCase(state, actor, data.caseId));
  return [
    {
      type: 'SupportCaseClaimed',
      data: { orderId: state.orderId, caseId: data.caseId, assignee: actor.id, claimedAt: now.toISOString() },
    },
  ];
}

export function postSupportMessage(command: PostSupportMessage, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  const refusal = checkPostSupportMessage(state, actor, data.caseId);
  enforceCaller(refusal);
  const text = caseText(data.text, 'text');
  enforce(refusal);
  return [
    {
      type: 'SupportMessagePosted',
      data: {
        orderId: state.orderId,
        caseId: data.caseId,
        by: { id: actor.id, role: 'support' },
        text,
        postedAt: now.toISOString(),
      },
    },
  ];
}

export function requestInformation(command: RequestInformation, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  const refusal = checkRequestInformation(state, actor, data.caseId);
  enforceCaller(refusal);
  requireText(data.informationRequestId, 'informationRequestId');
  const party = oneOf<Party>(['buyer', 'seller'], data.party, 'party');
  const question = caseText(data.question, 'question');
  enforce(refusal);
  const supportCase = openCaseOf(state)!;
  if (supportCase.thread.some((t) => t.informationRequestId === data.informationRequestId)) {
    invalid('informationRequestId', `information request ${data.informationRequestId} already exists`);
  }
  return [
    {
      type: 'SupportInformationRequested',
      data: {
        orderId: state.orderId,
        caseId: data.caseId,
        informationRequestId: data.informationRequestId,
        by: { id: actor.id, role: 'support' },
        party,
        question,
        requestedAt: now.toISOString(),
        respondBy: iso(now.getTime() + INFORMATION_WINDOW_MS),
      },
    },
  ];
}

export function addStatement(command: AddStatement, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  const refusal = checkAddStatement(state, actor, data.caseId);
  enforceCaller(refusal);
  const text = caseText(data.text, 'text');
  const evidence = evidenceOf(data.evidence);
  let answers = isGiven(data.informationRequestId) ? data.informationRequestId! : null;
  if (answers !== null && typeof answers !== 'string') {
    invalid('informationRequestId', 'informationRequestId must be a string');
  }
  enforce(refusal);
  if (answers !== null) {
    enforce(checkAnswerInformationRequest(state, actor, answers, now));
  } else {
    // The asked party speaking within the window answers the outstanding request, named or not.
    answers = informationRequestAnsweredBy(state, actor, now);
  }
  return [
    {
      type: 'SupportStatementAdded',
      data: {
        orderId: state.orderId,
        caseId: data.caseId,
        by: { id: actor.id, role: partyOf(state, actor) as Party },
        text,
        evidence,
        informationRequestId: answers,
        addedAt: now.toISOString(),
      },
    },
  ];
}

export function withdrawSupportCase(command: WithdrawSupportCase, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkWithdrawSupportCase(state, actor, data.caseId));
  return [
    {
      type: 'SupportCaseWithdrawn',
      data: {
        orderId: state.orderId,
        caseId: data.caseId,
        withdrawnBy: partyOf(state, actor) as Party,
        withdrawnAt: now.toISOString(),
      },
    },
  ];
}

/** Closing the open Resolution Center request, when support's outcome settles what it asked. */
function closeOpenRequest(state: PlacedOrderState, caseId: string, now: Date): OrderEvent[] {
  const open = state.openRequest;
  if (!open) return [];
  return [
    {
      type: 'ResolutionRequestClosed',
      data: {
        orderId: state.orderId,
        requestId: open.requestId,
        requestType: open.type,
        caseId,
        closedAt: now.toISOString(),
      },
    },
  ];
}

/**
 * Check order (api.md: 403, 400, 404, 409): support (403) -> the body: the outcome, the rationale and the outcome's
 * own fields (400) -> the case (404) -> open (409) -> what the order's state allows of the outcome (409) -> the values
 * against the order (REFUND_NOT_ALLOWED; a newDueAt not later than dueAt is a 400).
 */
export function resolveSupportCase(command: ResolveSupportCase, state: PlacedOrderState): OrderEvent[] {
  const { actor, data, now } = command;
  enforce(checkSupportAgent(actor, 'resolve a support case'));
  const outcome = oneOf<SupportResolutionOutcome>(SUPPORT_RESOLUTION_OUTCOMES, data.outcome, 'outcome');
  const rationale = caseText(data.rationale, 'rationale');
  const only = (
    field: 'amount' | 'newDueAt' | 'countsTowardCompletionRate',
    of: SupportResolutionOutcome,
  ) => {
    if (outcome !== of && isGiven(data[field])) invalid(field, `${field} belongs to the ${of} outcome only`);
  };
  only('amount', 'partial_refund');
  only('newDueAt', 'extend_due_date');
  only('countsTowardCompletionRate', 'cancel_order');
  if (outcome === 'partial_refund' && !isIntegerIn(data.amount, 1, Number.MAX_SAFE_INTEGER)) {
    invalid('amount', 'amount must be a positive integer (minor units)');
  }
  let proposedDueAt: number | null = null;
  if (outcome === 'extend_due_date') {
    if (!isGiven(data.newDueAt)) invalid('newDueAt', 'extend_due_date needs newDueAt');
    proposedDueAt = parseIsoInstant(data.newDueAt);
    if (proposedDueAt === null) invalid('newDueAt', 'newDueAt must be an ISO-8601 date');
  }
  // [decision] support says explicitly whether this cancellation counts: no default for a dispute's outcome.
  if (outcome === 'cancel_order' && typeof data.countsTowardCompletionRate !== 'boolean') {
    invalid('countsTowardCompletionRate', 'cancel_order needs countsTowardCompletionRate (boolean)');
  }
  enforce(checkResolveSupportCase(state, actor, data.caseId));
  enforce(checkResolutionOutcome(state, outcome));

  const at = now.toISOString();
  const resolved = (fields: Partial<SupportCaseResolved['data']> = {}): SupportCaseResolved => ({
    type: 'SupportCaseResolved',
    data: {
      orderId: state.orderId,
      caseId: data.caseId,
      outcome,
      rationale,
      resolvedBy: actor.id,
      amount: null,
      newDueAt: null,
      countsTowardCompletionRate: null,
      resolvedAt: at,
      ...fields,
    },
  });

  switch (outcome) {
    case 'no_action':
      return [resolved()];
    case 'partial_refund': {
      const amount = data.amount as number;
      enforce(checkSupportRefundAmount(state, amount));
      return [resolved({ amount }), refundRecorded(state, amount, 'support', data.caseId, now)];
    }
    case 'extend_due_date': {
      const dueAt = state.dueAt!;
      if (proposedDueAt! <= ms(dueAt)) invalid('newDueAt', `newDueAt must be later than ${dueAt}`);
      const newDueAt = iso(proposedDueAt!);
      const extension = state.openRequest?.type === 'delivery_extension';
      return [
        resolved({ newDueAt }),
        ...(extension ? closeOpenRequest(state, data.caseId, now) : []),
        {
          type: 'DueDateExtended',
          data: {
            orderId: state.orderId,
            previousDueAt: dueAt,
            newDueAt,
            source: 'support_case',
            sourceId: data.caseId,
            extendedAt: at,
          },
        },
      ];
    }
    case 'cancel_order': {
      const counts = data.countsTowardCompletionRate as boolean;
      return [
        resolved({ countsTowardCompletionRate: counts }),
        ...closeOpenRequest(state, data.caseId, now),
        {
          type: 'OrderCancelled',
          data: {
            orderId: state.orderId,
            mode: 'support',
            initiator: 'support',
            // [decision] the resolution carries no cancellation reason: `other`, the rationale as the comment.
            reason: 'other',
            comment: rationale,
            requestId: null,
            previousStatus: activeStatus(state),
            countsTowardCompletionRate: counts,
            cancelledAt: at,
          },
        },
      ];
    }
    case 'complete_order':
      // As if the buyer accepted the delivery.
      return [
        resolved(),
        ...closeOpenRequest(state, data.caseId, now),
        {
          type: 'OrderCompleted',
          data: { orderId: state.orderId, completedAt: at, completion: 'accepted_by_buyer' },
        },
      ];
  }
}

/** When the order ends otherwise while a case is open, the case closes with outcome settled_by_parties. */
export function settledByParties(state: PlacedOrderState, caseId: string, now: Date): SupportCaseResolved {
  return {
    type: 'SupportCaseResolved',
    data: {
      orderId: state.orderId,
      caseId,
      outcome: 'settled_by_parties',
      rationale: null,
      resolvedBy: null,
      amount: null,
      newDueAt: null,
      countsTowardCompletionRate: null,
      resolvedAt: now.toISOString(),
    },
  };
}

// ---- timeouts: idempotent, [] when there is nothing (left) to do ------------------------------------------

/**
 * Overdue once: no claim or message before firstResponseDueAt, and not marked yet. [decision] Only a claim or a
 * message is a first response (domain.md); an information request alone is not, nor a late claim: once the 24 h
 * passed without one, the case is overdue even if the scheduler runs after a late response.
 */
export function markSupportCaseOverdue(
  command: MarkSupportCaseOverdue,
  state: PlacedOrderState,
): OrderEvent[] {
  const { data, now } = command;
  const open = openCaseOf(state);
  if (open?.caseId !== data.caseId || open.overdue) return [];
  const due = ms(open.firstResponseDueAt);
  if (now.getTime() < due) return [];
  if (open.firstRespondedAt !== null && ms(open.firstRespondedAt) < due) return [];
  return [
    {
      type: 'SupportCaseMarkedOverdue',
      data: {
        orderId: state.orderId,
        caseId: open.caseId,
        firstResponseDueAt: open.firstResponseDueAt,
        markedAt: now.toISOString(),
      },
    },
  ];
}

export function lapseInformationRequest(
  command: LapseInformationRequest,
  state: PlacedOrderState,
): OrderEvent[] {
  const { data, now } = command;
  const open = openCaseOf(state);
  const request = open?.caseId === data.caseId ? open.informationRequest : null;
  if (!request || request.id !== data.informationRequestId || now.getTime() < ms(request.respondBy))
    return [];
  return [
    {
      type: 'SupportInformationRequestLapsed',
      data: {
        orderId: state.orderId,
        caseId: data.caseId,
        informationRequestId: request.id,
        party: request.party,
        lapsedAt: now.toISOString(),
      },
    },
  ];
}
