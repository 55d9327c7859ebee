import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { validationFailed } from '../../../http/problem';
import { READ_STORE, type ReadStore } from '../../../platform/read-store/read-store.port';
import { parseIsoInstant } from '../../domain/order.rules';
import { ALL_CANCELLATION_REASONS, DAY_MS, type Caller } from '../../domain/order.types';
import { CANCELLATION_DAILY, type CancellationDailyDoc } from './cancellation-analytics.projection';
import { assertHasRole } from '../access';

export const MAX_ANALYTICS_DAYS = 366;
const MODES = ['unilateral', 'forced', 'mutual', 'auto_accepted', 'support'];
const INITIATORS = ['buyer', 'seller', 'support'];

export interface CancellationAnalyticsView {
  from: string;
  to: string;
  total: number;
  byMode: Record<string, number>;
  byInitiator: Record<string, number>;
  byReason: Record<string, number>;
  daily: { date: string; count: number }[];
}

export class GetCancellationAnalyticsQuery extends Query<CancellationAnalyticsView> {
  constructor(
    readonly from: string,
    readonly to: string,
    readonly caller: Caller,
  ) {
    super();
  }
}

/** Days from..to (YYYY-MM-DD, UTC), both included; 400 for impossible dates, reversed or too long ranges. */
export function daysOf(from: string, to: string): string[] {
  const start = parseIsoInstant(from);
  const end = parseIsoInstant(to);
  const errors = [];
  if (start === null) errors.push({ field: 'from', message: 'from must be a valid date YYYY-MM-DD' });
  if (end === null) errors.push({ field: 'to', message: 'to must be a valid date YYYY-MM-DD' });
  if (errors.length) throw validationFailed(errors);
  if (start! > end!) throw validationFailed([{ field: 'to', message: 'to must not be before from' }]);
  const count = (end! - start!) / DAY_MS + 1;
  if (count > MAX_ANALYTICS_DAYS) {
    throw validationFailed([
      { field: 'to', message: `the range must not exceed ${MAX_ANALYTICS_DAYS} days` },
    ]);
  }
  return Array.from({ length: count }, (_, i) => new Date(start! + i * DAY_MS).toISOString().slice(0, 10));
}

const zeros = (keys: readonly string[]): Record<string, number> =>
  Object.fromEntries(keys.map((k) => [k, 0]));

@QueryHandler(GetCancellationAnalyticsQuery)
export class GetCancellationAnalyticsHandler implements IQueryHandler<GetCancellationAnalyticsQuery> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ from, to, caller }: GetCancellationAnalyticsQuery): Promise<CancellationAnalyticsView> {
    assertHasRole(caller, ['analyst', 'support'], 'cancellation analytics');
    const days = daysOf(from, to);
    const docs = await this.store.find<CancellationDailyDoc>(CANCELLATION_DAILY, {
      date: { $gte: from, $lte: to },
    });
    const byMode = zeros(MODES);
    const byInitiator = zeros(INITIATORS);
    const byReason = zeros(ALL_CANCELLATION_REASONS);
    const perDay = new Map(days.map((d) => [d, 0]));
    let total = 0;
    for (const d of docs) {
      total += d.count;
      byMode[d.mode] = (byMode[d.mode] ?? 0) + d.count;
      byInitiator[d.initiator] = (byInitiator[d.initiator] ?? 0) + d.count;
      byReason[d.reason] = (byReason[d.reason] ?? 0) + d.count;
      perDay.set(d.date, (perDay.get(d.date) ?? 0) + d.count);
    }
    return {
      from,
      to,
      total,
      byMode,
      byInitiator,
      byReason,
      daily: days.map((date) => ({ date, count: perDay.get(date) ?? 0 })),
    };
  }
}
