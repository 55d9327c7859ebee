import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../clock/clock.port';
import { READ_STORE, type ReadStore } from '../../../read-store/read-store.port';
import { DomainError } from '../../domain/errors';
import type { Caller } from '../../domain/order.types';
import { ORDER_PAGES, type OrderPageDoc } from '../../projections/orders/orders.projection';
import { assertMayReadOrder } from '../access';
import { orderPageView, type OrderPageView } from './order-page.view';

export class GetOrderPageQuery extends Query<OrderPageView> {
  constructor(
    readonly orderId: string,
    readonly caller: Caller,
  ) {
    super();
  }
}

@QueryHandler(GetOrderPageQuery)
export class GetOrderPageHandler implements IQueryHandler<GetOrderPageQuery> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ orderId, caller }: GetOrderPageQuery): Promise<OrderPageView> {
    const doc = await this.store.get<OrderPageDoc>(ORDER_PAGES, orderId);
    if (!doc) throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} not found`);
    assertMayReadOrder(doc, caller);
    return orderPageView(doc, caller, this.clock.now());
  }
}
