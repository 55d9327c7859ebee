// Who may read what (api.md "Queries"): decided from the caller's id against the order's parties and roles.
import { DomainError } from '../domain/errors';
import type { Caller, StaffRole } from '../domain/order.types';

/** Parties, support and auditors read an order; anyone else gets 403. */
export function assertMayReadOrder(order: { buyerId: string; sellerId: string }, caller: Caller): void {
  if (caller.userId === order.buyerId || caller.userId === order.sellerId) return;
  if (caller.roles.includes('support') || caller.roles.includes('auditor')) return;
  throw new DomainError('FORBIDDEN', "only the order's parties, support and auditors read this order");
}

export function assertHasRole(caller: Caller, roles: readonly StaffRole[], what: string): void {
  if (roles.some((r) => caller.roles.includes(r))) return;
  throw new DomainError('FORBIDDEN', `only ${roles.join(' or ')} may read ${what}`);
}
