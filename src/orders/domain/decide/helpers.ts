// Shared by the decider's feature files: input checks, time arithmetic, turning a rule's refusal into an error.
import { DomainError } from '../errors';
import type { Refusal } from '../order.rules';
import type { PlacedOrderState } from '../order.state';
import { DAY_MS, type OrderStatus } from '../order.types';

export const MAX_DELIVERY_DAYS = 365;
/** [decision] extras may add at most as many days as an order may have: keeps every date representable. */
export const MAX_EXTRA_DAYS = 365;
/** [decision] support cancellations for these reasons do not count toward the completion rate by default. */
export const SUPPORT_REASONS_NOT_COUNTED: readonly string[] = ['fraud', 'ordered_by_mistake'];

// ---- helpers ----------------------------------------------------------------------------------------------

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();
export const ms = (isoString: string): number => Date.parse(isoString);
export const addDays = (isoString: string, days: number): string => iso(ms(isoString) + days * DAY_MS);

export const enforce = (refusal: Refusal | null): void => {
  if (refusal) throw new DomainError(refusal.code, refusal.message, refusal.field);
};
/**
 * The caller's half of a guard (its 403, which every guard checks first) before the body; the rest of the guard
 * (404, 409) after it: api.md's order of checks, with the guard the order page's allowedActions shares.
 */
export const enforceCaller = (refusal: Refusal | null): void => {
  if (refusal?.code === 'FORBIDDEN') enforce(refusal);
};
export function invalid(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', message, field);
}
export const isText = (value: unknown): value is string =>
  typeof value === 'string' && value.trim().length > 0;
/** Optional input counts as absent when undefined or null (JSON clients send either). */
export const isGiven = (value: unknown): boolean => value !== undefined && value !== null;
export const requireText = (value: unknown, field: string): string =>
  isText(value) ? value : invalid(field, `${field} is required`);
/** Comments travel verbatim; absent means null. */
export const optionalText = (value: unknown, field: string): string | null =>
  !isGiven(value) ? null : typeof value === 'string' ? value : invalid(field, `${field} must be a string`);
export const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;

export const activeStatus = (state: PlacedOrderState): Exclude<OrderStatus, 'completed' | 'cancelled'> =>
  state.status as Exclude<OrderStatus, 'completed' | 'cancelled'>;
