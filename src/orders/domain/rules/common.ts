// The small vocabulary every guard shares: refusals, who is which party, whether the order is active.
// order.rules.ts re-exports what others use; the feature rules (refunds, support cases) build on it.
import type { DomainErrorCode } from '../errors';
import type { OrderState } from '../order.state';
import { ACTIVE_STATUSES, type Actor, type Party } from '../order.types';

export interface Refusal {
  code: DomainErrorCode;
  message: string;
  field?: string;
}
export const refuse = (code: DomainErrorCode, message: string): Refusal => ({ code, message });

export const ms = (iso: string): number => Date.parse(iso);

/** The party the actor is on this order: both the role and the id must match. */
export function partyOf(state: OrderState, actor: Actor): Party | null {
  if (actor.role === 'buyer' && actor.id === state.buyerId) return 'buyer';
  if (actor.role === 'seller' && actor.id === state.sellerId) return 'seller';
  return null;
}

export const requireParty = (state: OrderState, actor: Actor, party: Party, what: string): Refusal | null =>
  partyOf(state, actor) === party ? null : refuse('FORBIDDEN', `only the ${party} may ${what}`);

export const isActive = (state: OrderState): boolean =>
  state.exists && state.status !== null && ACTIVE_STATUSES.includes(state.status);
