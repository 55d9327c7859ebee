import { DAY_MS } from '../../domain/order.types';
import {
  classify,
  completionRate,
  isReorderExcludable,
  withinReorderWindow,
  type EndedOrder,
} from './completion-rate';

const AS_OF = new Date('2025-06-30T12:00:00.000Z');
const daysAgo = (d: number, extraMs = 0): string =>
  new Date(AS_OF.getTime() - d * DAY_MS - extraMs).toISOString();

const completed = (endedAt: string): EndedOrder => ({
  outcome: 'completed',
  endedAt,
  cancellation: null,
  reorderedBy: null,
});
const cancelled = (
  endedAt: string,
  mode: string,
  counts = true,
  reorderedBy: string | null = null,
): EndedOrder => ({
  outcome: 'cancelled',
  endedAt,
  cancellation: { mode, countsTowardCompletionRate: counts },
  reorderedBy,
});

describe('completion rate', () => {
  it('is null when nothing ended, not 100 %', () => {
    expect(completionRate([], AS_OF)).toMatchObject({ completed: 0, cancelled: 0, excluded: 0, rate: null });
  });

  it('is null when only excluded cancellations ended, which are still reported', () => {
    const r = completionRate(
      [cancelled(daysAgo(1), 'unilateral', false), cancelled(daysAgo(2), 'support', false)],
      AS_OF,
    );
    expect(r).toMatchObject({ completed: 0, cancelled: 0, excluded: 2, rate: null });
  });

  it('is completed / (completed + counted cancellations)', () => {
    const r = completionRate(
      [
        completed(daysAgo(1)),
        completed(daysAgo(2)),
        completed(daysAgo(3)),
        cancelled(daysAgo(4), 'mutual'),
        cancelled(daysAgo(5), 'unilateral', false),
      ],
      AS_OF,
    );
    expect(r).toMatchObject({ completed: 3, cancelled: 1, excluded: 1, rate: 0.75, windowDays: 60 });
    expect(r.asOf).toBe(AS_OF.toISOString());
  });

  it('counts mutual, auto_accepted, forced and counting support cancellations', () => {
    const r = completionRate(
      [
        completed(daysAgo(1)),
        cancelled(daysAgo(1), 'mutual'),
        cancelled(daysAgo(1), 'auto_accepted'),
        cancelled(daysAgo(1), 'forced'),
        cancelled(daysAgo(1), 'support', true),
      ],
      AS_OF,
    );
    expect(r).toMatchObject({ completed: 1, cancelled: 4, excluded: 0, rate: 0.2 });
  });

  it('excludes: awaiting-requirements buyer cancellations, support not counting, reorders within 14 days', () => {
    expect(classify(cancelled(daysAgo(1), 'unilateral', false))).toEqual({
      kind: 'excluded',
      reason: 'not_counting',
    });
    expect(classify(cancelled(daysAgo(1), 'support', false))).toEqual({
      kind: 'excluded',
      reason: 'not_counting',
    });
    expect(classify(cancelled(daysAgo(1), 'mutual', true, 'order-2'))).toEqual({
      kind: 'excluded',
      reason: 'reordered_within_14_days',
    });
    expect(classify(cancelled(daysAgo(1), 'auto_accepted', true, 'order-2'))).toEqual({
      kind: 'excluded',
      reason: 'reordered_within_14_days',
    });
    // A reorder excludes only mutual and auto-accepted cancellations.
    expect(classify(cancelled(daysAgo(1), 'forced', true, 'order-2'))).toEqual({ kind: 'cancelled' });
    expect(classify(completed(daysAgo(1)))).toEqual({ kind: 'completed' });
  });

  it('the 60-day window: ended exactly 60 days ago counts, a millisecond earlier does not, nor the future', () => {
    const r = completionRate(
      [
        completed(daysAgo(60)),
        cancelled(daysAgo(60, 1), 'mutual'),
        completed(AS_OF.toISOString()),
        completed(new Date(AS_OF.getTime() + 1).toISOString()),
      ],
      AS_OF,
    );
    expect(r).toMatchObject({ completed: 2, cancelled: 0, rate: 1 });
    expect(r.from).toBe(daysAgo(60));
  });

  it('the window rolls with the clock: the same orders give another rate later', () => {
    const orders = [completed(daysAgo(10)), cancelled(daysAgo(59), 'mutual')];
    expect(completionRate(orders, AS_OF).rate).toBe(0.5);
    const later = new Date(AS_OF.getTime() + 2 * DAY_MS);
    expect(completionRate(orders, later)).toMatchObject({ completed: 1, cancelled: 0, rate: 1 });
    const muchLater = new Date(AS_OF.getTime() + 51 * DAY_MS);
    expect(completionRate(orders, muchLater).rate).toBeNull();
  });

  it('the 14-day reorder window: from the cancellation up to 14 days after, inclusive', () => {
    const at = '2025-06-01T00:00:00.000Z';
    expect(withinReorderWindow(at, at)).toBe(true);
    expect(withinReorderWindow(at, '2025-06-15T00:00:00.000Z')).toBe(true);
    expect(withinReorderWindow(at, '2025-06-15T00:00:00.001Z')).toBe(false);
    expect(withinReorderWindow(at, '2025-05-31T23:59:59.999Z')).toBe(false);
    expect(isReorderExcludable({ mode: 'mutual', countsTowardCompletionRate: true })).toBe(true);
    expect(isReorderExcludable({ mode: 'auto_accepted', countsTowardCompletionRate: true })).toBe(true);
    expect(isReorderExcludable({ mode: 'forced', countsTowardCompletionRate: true })).toBe(false);
    expect(isReorderExcludable({ mode: 'support', countsTowardCompletionRate: true })).toBe(false);
    expect(isReorderExcludable(null)).toBe(false);
  });
});
