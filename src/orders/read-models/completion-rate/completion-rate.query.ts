import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../platform/clock/clock.port';
import { READ_STORE, type ReadModels } from '../../../platform/read-store/read-store.port';
import type { Caller } from '../../domain/order.types';
import { completionRate, windowStart, type EndedOrder } from './completion-rate';
import { SELLER_ORDERS, type SellerOrderDoc } from './seller-stats.projection';
import { DomainError } from '../../domain/errors';

export interface CompletionRateView {
  sellerId: string;
  windowDays: number;
  asOf: string;
  completed: number;
  cancelled: number;
  excluded: number;
  rate: number | null;
}

export class GetCompletionRateQuery extends Query<CompletionRateView> {
  constructor(
    readonly sellerId: string,
    readonly caller: Caller,
  ) {
    super();
  }
}

@QueryHandler(GetCompletionRateQuery)
export class GetCompletionRateHandler implements IQueryHandler<GetCompletionRateQuery> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadModels,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ sellerId, caller }: GetCompletionRateQuery): Promise<CompletionRateView> {
    const allowed =
      caller.userId === sellerId || caller.roles.includes('support') || caller.roles.includes('analyst');
    if (!allowed)
      throw new DomainError('FORBIDDEN', 'only the seller, support and analysts read a completion rate');
    const asOf = this.clock.now();
    const ended = await this.store.find<SellerOrderDoc>(SELLER_ORDERS, {
      sellerId,
      endedAt: { $gte: windowStart(asOf).toISOString(), $lte: asOf.toISOString() },
    });
    const r = completionRate(ended as EndedOrder[], asOf);
    return {
      sellerId,
      windowDays: r.windowDays,
      asOf: r.asOf,
      completed: r.completed,
      cancelled: r.cancelled,
      excluded: r.excluded,
      rate: r.rate,
    };
  }
}
