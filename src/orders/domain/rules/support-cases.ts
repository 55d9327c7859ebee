// Who may do what on a support case (domain.md "Support cases"). Check order: the caller's role (403), then the
// case (404 CASE_NOT_FOUND), then its state (409): a caller learns nothing about a case it may not act on.
import type { OrderState } from '../order.state';
import type { CaseRecord } from '../support-case.state';
import type { Actor, SupportResolutionOutcome } from '../order.types';
import { isActive, ms, partyOf, refuse, type Refusal } from './common';

export const findCase = (state: OrderState, caseId: string): CaseRecord | undefined =>
  state.supportCases.find((c) => c.caseId === caseId);

/** The open case, if any (only the latest case can be open). */
export const openCaseOf = (state: OrderState) =>
  state.supportCase?.status === 'open' ? state.supportCase : null;

export const checkSupportAgent = (actor: Actor, what: string): Refusal | null =>
  actor.role === 'support' ? null : refuse('FORBIDDEN', `only support may ${what}`);

const requireAnyParty = (state: OrderState, actor: Actor, what: string): Refusal | null =>
  partyOf(state, actor) !== null ? null : refuse('FORBIDDEN', `only the buyer or the seller may ${what}`);

/** 404 for an unknown case, 409 for one resolved or withdrawn. */
export function requireOpenCase(state: OrderState, caseId: string): Refusal | null {
  const record = findCase(state, caseId);
  if (!record) return refuse('CASE_NOT_FOUND', `support case ${caseId} not found`);
  if (record.status !== 'open' || openCaseOf(state)?.caseId !== caseId) {
    return refuse('CASE_NOT_OPEN', `support case ${caseId} is ${record.status}`);
  }
  return null;
}

export function checkOpenSupportCase(state: OrderState, actor: Actor): Refusal | null {
  return (
    requireAnyParty(state, actor, 'open a support case') ??
    (isActive(state)
      ? null
      : refuse('INVALID_STATE', `cannot open a support case while the order is ${state.status}`)) ??
    (openCaseOf(state) ? refuse('CASE_ALREADY_OPEN', 'a support case is open on this order already') : null)
  );
}

/** Any support agent may claim; [decision] claiming a case one already holds is refused (nothing would change). */
export const checkClaimSupportCase = (state: OrderState, actor: Actor, caseId: string): Refusal | null =>
  checkSupportAgent(actor, 'claim a support case') ??
  requireOpenCase(state, caseId) ??
  (openCaseOf(state)?.assignee === actor.id
    ? refuse('INVALID_STATE', `support case ${caseId} is yours already`)
    : null);

export const checkPostSupportMessage = (state: OrderState, actor: Actor, caseId: string): Refusal | null =>
  checkSupportAgent(actor, 'post a support message') ?? requireOpenCase(state, caseId);

/**
 * [decision] At most one outstanding information request per case: a second waits until the first is answered
 * or lapsed, so "what waits on whom" in the queue has one answer and a party never has two deadlines at once.
 */
export const checkRequestInformation = (state: OrderState, actor: Actor, caseId: string): Refusal | null =>
  checkSupportAgent(actor, 'request information') ??
  requireOpenCase(state, caseId) ??
  (openCaseOf(state)?.informationRequest
    ? refuse('INVALID_STATE', 'an information request is outstanding: wait for its answer or lapse')
    : null);

export const checkAddStatement = (state: OrderState, actor: Actor, caseId: string): Refusal | null =>
  requireAnyParty(state, actor, 'add a statement') ?? requireOpenCase(state, caseId);

/**
 * The outstanding information request a statement by this actor answers without naming it: the one put to their
 * party, before its respondBy. domain.md: "the party answers with a statement"; only silence lapses.
 */
export function informationRequestAnsweredBy(state: OrderState, actor: Actor, now: Date): string | null {
  const request = openCaseOf(state)?.informationRequest;
  return request && request.party === partyOf(state, actor) && now.getTime() < ms(request.respondBy)
    ? request.id
    : null;
}

/**
 * A statement answering an information request: it must be the outstanding one, addressed to this party, before
 * its respondBy (the timeout wins, as for requests). [decision] Anything else is INVALID_STATE; the party may still
 * add the statement without informationRequestId.
 */
export function checkAnswerInformationRequest(
  state: OrderState,
  actor: Actor,
  informationRequestId: string,
  now: Date,
): Refusal | null {
  const request = openCaseOf(state)?.informationRequest;
  if (!request || request.id !== informationRequestId) {
    return refuse('INVALID_STATE', `information request ${informationRequestId} is not outstanding`);
  }
  if (request.party !== partyOf(state, actor)) {
    return refuse(
      'INVALID_STATE',
      `information request ${informationRequestId} was put to the ${request.party}`,
    );
  }
  if (now.getTime() >= ms(request.respondBy)) {
    return refuse('INVALID_STATE', `information request ${informationRequestId} has lapsed`);
  }
  return null;
}

/** Only the party who opened the case withdraws it (the other party learns it exists first: 404 before 403). */
export function checkWithdrawSupportCase(state: OrderState, actor: Actor, caseId: string): Refusal | null {
  const party = partyOf(state, actor);
  if (party === null) return refuse('FORBIDDEN', 'only the party who opened a support case withdraws it');
  const record = findCase(state, caseId);
  if (!record) return refuse('CASE_NOT_FOUND', `support case ${caseId} not found`);
  if (record.openedBy !== party) {
    return refuse('FORBIDDEN', 'only the party who opened a support case withdraws it');
  }
  return requireOpenCase(state, caseId);
}

export const checkResolveSupportCase = (state: OrderState, actor: Actor, caseId: string): Refusal | null =>
  checkSupportAgent(actor, 'resolve a support case') ?? requireOpenCase(state, caseId);

/** What the order's state allows of an outcome (its input is validated by the decider). */
export function checkResolutionOutcome(state: OrderState, outcome: SupportResolutionOutcome): Refusal | null {
  switch (outcome) {
    case 'complete_order':
      return state.status === 'delivered'
        ? null
        : refuse('INVALID_STATE', `only a delivered order can be completed (it is ${state.status})`);
    case 'extend_due_date':
      return state.dueAt !== null
        ? null
        : refuse('INVALID_STATE', 'the work has not started: there is no due date to extend');
    case 'partial_refund':
      return (state.netPrice?.amount ?? 0) > 0
        ? null
        : refuse('REFUND_NOT_ALLOWED', 'nothing is left to refund on this order');
    case 'cancel_order':
    case 'no_action':
      return null;
  }
}
