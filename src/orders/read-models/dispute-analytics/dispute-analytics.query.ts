import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { READ_STORE, type ReadModels } from '../../../platform/read-store/read-store.port';
import {
  SUPPORT_CASE_CATEGORIES,
  SUPPORT_RESOLUTION_OUTCOMES,
  type Caller,
  type SupportCaseOutcome,
} from '../../domain/order.types';
import { assertHasRole } from '../access';
import { daysOf } from '../date-range';
import { DISPUTE_CASES, type DisputeCaseDoc } from './dispute-analytics.projection';

export const CASE_OUTCOMES: readonly SupportCaseOutcome[] = [
  ...SUPPORT_RESOLUTION_OUTCOMES,
  'settled_by_parties',
];

export interface DisputeAnalyticsView {
  from: string;
  to: string;
  opened: number;
  resolved: number;
  withdrawn: number;
  overdue: number;
  byOutcome: Record<string, number>;
  byCategory: Record<string, number>;
  medianMinutesToFirstResponse: number | null;
  medianMinutesToResolution: number | null;
}

export class GetDisputeAnalyticsQuery extends Query<DisputeAnalyticsView> {
  constructor(
    readonly from: string,
    readonly to: string,
    readonly caller: Caller,
  ) {
    super();
  }
}

/** The median of `values` (the mean of the middle two for an even count), null for none. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const minutesBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 60_000;
const zeros = (keys: readonly string[]): Record<string, number> =>
  Object.fromEntries(keys.map((k) => [k, 0]));

/**
 * The figures over the cases opened in the range (by their UTC day of opening), whatever became of them since.
 * `resolved` counts every resolved case, `settled_by_parties` included (as a case's status does);
 * [decision] medianMinutesToResolution only support's resolutions (settled_by_parties is the order ending
 * elsewhere, not support resolving); medianMinutesToFirstResponse the cases support responded to. Minutes are
 * exact (fractions kept); null when no case qualifies.
 */
export function disputeFigures(
  from: string,
  to: string,
  cases: readonly DisputeCaseDoc[],
): DisputeAnalyticsView {
  const byOutcome = zeros(CASE_OUTCOMES);
  const byCategory = zeros(SUPPORT_CASE_CATEGORIES);
  const toFirstResponse: number[] = [];
  const toResolution: number[] = [];
  let resolved = 0;
  let withdrawn = 0;
  let overdue = 0;
  for (const c of cases) {
    byCategory[c.category] = (byCategory[c.category] ?? 0) + 1;
    if (c.overdue) overdue++;
    if (c.firstRespondedAt !== null) toFirstResponse.push(minutesBetween(c.openedAt, c.firstRespondedAt));
    if (c.status === 'withdrawn') withdrawn++;
    if (c.status === 'resolved' && c.outcome !== null) {
      resolved++;
      byOutcome[c.outcome] = (byOutcome[c.outcome] ?? 0) + 1;
      if (c.outcome !== 'settled_by_parties' && c.closedAt !== null) {
        toResolution.push(minutesBetween(c.openedAt, c.closedAt));
      }
    }
  }
  return {
    from,
    to,
    opened: cases.length,
    resolved,
    withdrawn,
    overdue,
    byOutcome,
    byCategory,
    medianMinutesToFirstResponse: median(toFirstResponse),
    medianMinutesToResolution: median(toResolution),
  };
}

@QueryHandler(GetDisputeAnalyticsQuery)
export class GetDisputeAnalyticsHandler implements IQueryHandler<GetDisputeAnalyticsQuery> {
  constructor(@Inject(READ_STORE) private readonly store: ReadModels) {}

  async execute({ from, to, caller }: GetDisputeAnalyticsQuery): Promise<DisputeAnalyticsView> {
    daysOf(from, to); // validates the range: a 400 before the role's 403 (api.md)
    assertHasRole(caller, ['analyst', 'support'], 'dispute analytics');
    const cases = await this.store.find<DisputeCaseDoc>(DISPUTE_CASES, {
      openedDay: { $gte: from, $lte: to },
    });
    return disputeFigures(from, to, cases);
  }
}
