import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { READ_STORE, type ReadModels } from '../../../platform/read-store/read-store.port';
import { ALL_CANCELLATION_REASONS, type Caller } from '../../domain/order.types';
import { CANCELLATION_DAILY, type CancellationDailyDoc } from './cancellation-analytics.projection';
import { assertHasRole } from '../access';
import { daysOf } from '../date-range';

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

const zeros = (keys: readonly string[]): Record<string, number> =>
  Object.fromEntries(keys.map((k) => [k, 0]));

@QueryHandler(GetCancellationAnalyticsQuery)
export class GetCancellationAnalyticsHandler implements IQueryHandler<GetCancellationAnalyticsQuery> {
  constructor(@Inject(READ_STORE) private readonly store: ReadModels) {}

  async execute({ from, to, caller }: GetCancellationAnalyticsQuery): Promise<CancellationAnalyticsView> {
    const days = daysOf(from, to); // a malformed range is a 400 before the role's 403 (api.md)
    assertHasRole(caller, ['analyst', 'support'], 'cancellation analytics');
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
