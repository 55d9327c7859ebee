// The order completion rate of a seller (domain.md): pure arithmetic over the seller's ended orders.
//   rate = completed / (completed + counted cancellations), over orders that ENDED in the last 60 days (rolling,
//   [asOf - 60 days, asOf], both ends included), null when nothing counted ended.
//   Counted cancellations: mutual, auto_accepted, forced, and support cancellations marked as counting.
//   Excluded (reported, not in the rate): a cancellation recorded as not counting (the buyer cancelling while the
//   order awaited requirements; support marking it so), and a mutual/auto_accepted cancellation after which the
//   same buyer ordered from the same seller again within 14 days (`reorderedBy`, set when that order is placed).
import { DAY_MS } from '../../domain/order.types';

export const COMPLETION_RATE_WINDOW_DAYS = 60;
export const REORDER_EXCLUSION_DAYS = 14;

export interface EndedOrder {
  outcome: 'completed' | 'cancelled';
  /** ISO-8601: completedAt or cancelledAt. */
  endedAt: string;
  cancellation: {
    mode: string;
    countsTowardCompletionRate: boolean;
  } | null;
  /** The order the same buyer placed with the same seller within 14 days of this cancellation, if any. */
  reorderedBy: string | null;
}

export type ExclusionReason = 'not_counting' | 'reordered_within_14_days';
export type Classification =
  { kind: 'completed' } | { kind: 'cancelled' } | { kind: 'excluded'; reason: ExclusionReason };

const REORDER_EXCLUDABLE_MODES = new Set(['mutual', 'auto_accepted']);

/** A mutual or auto-accepted cancellation is excluded once the buyer reorders within 14 days of it. */
export const isReorderExcludable = (cancellation: EndedOrder['cancellation']): boolean =>
  cancellation !== null &&
  cancellation.countsTowardCompletionRate &&
  REORDER_EXCLUDABLE_MODES.has(cancellation.mode);

/** Is a reorder placed at `placedAt` within the exclusion window of a cancellation at `cancelledAt`? */
export function withinReorderWindow(cancelledAt: string, placedAt: string): boolean {
  const gap = Date.parse(placedAt) - Date.parse(cancelledAt);
  return gap >= 0 && gap <= REORDER_EXCLUSION_DAYS * DAY_MS;
}

export function classify(order: EndedOrder): Classification {
  if (order.outcome === 'completed') return { kind: 'completed' };
  const c = order.cancellation;
  if (!c || !c.countsTowardCompletionRate) return { kind: 'excluded', reason: 'not_counting' };
  if (order.reorderedBy !== null && REORDER_EXCLUDABLE_MODES.has(c.mode)) {
    return { kind: 'excluded', reason: 'reordered_within_14_days' };
  }
  return { kind: 'cancelled' };
}

export interface CompletionRate {
  windowDays: number;
  /** ISO-8601: the window is [from, asOf]. */
  from: string;
  asOf: string;
  completed: number;
  cancelled: number;
  excluded: number;
  /** completed / (completed + cancelled); null when nothing counted ended in the window. */
  rate: number | null;
}

/** The first instant of the window ending at `asOf`. */
export const windowStart = (asOf: Date, windowDays = COMPLETION_RATE_WINDOW_DAYS): Date =>
  new Date(asOf.getTime() - windowDays * DAY_MS);

export function completionRate(
  orders: Iterable<EndedOrder>,
  asOf: Date,
  windowDays = COMPLETION_RATE_WINDOW_DAYS,
): CompletionRate {
  const to = asOf.getTime();
  const from = windowStart(asOf, windowDays).getTime();
  let completed = 0;
  let cancelled = 0;
  let excluded = 0;
  for (const order of orders) {
    const ended = Date.parse(order.endedAt);
    if (!(ended >= from && ended <= to)) continue;
    const c = classify(order);
    if (c.kind === 'completed') completed++;
    else if (c.kind === 'cancelled') cancelled++;
    else excluded++;
  }
  const counted = completed + cancelled;
  return {
    windowDays,
    from: new Date(from).toISOString(),
    asOf: asOf.toISOString(),
    completed,
    cancelled,
    excluded,
    rate: counted === 0 ? null : completed / counted,
  };
}
