import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../platform/clock/clock.port';
import { ProjectionEngine } from '../../../platform/projections/projection-engine';
import { READ_STORE, type ReadModels } from '../../../platform/read-store/read-store.port';
import { DomainError } from '../../domain/errors';
import type { Caller } from '../../domain/order.types';
import { ORDER_PAGES, ORDERS_PROJECTION, type OrderPageDoc } from '../order-page/order-page.projection';
import { assertMayReadOrder } from '../access';
import { OrderPageDocCache } from './order-page.cache';
import { orderPageView, type OrderPageView } from './order-page.view';

export class GetOrderPageQuery extends Query<OrderPageView> {
  constructor(
    readonly orderId: string,
    readonly caller: Caller,
  ) {
    super();
  }
}

const PROJECTIONS = [ORDERS_PROJECTION];

@QueryHandler(GetOrderPageQuery)
export class GetOrderPageHandler implements IQueryHandler<GetOrderPageQuery> {
  /** Reading and parsing the document is most of a page's cost; the view is still computed per caller and clock. */
  private readonly docs = new OrderPageDocCache();

  constructor(
    @Inject(READ_STORE) private readonly store: ReadModels,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly engine: ProjectionEngine,
  ) {}

  async execute({ orderId, caller }: GetOrderPageQuery): Promise<OrderPageView> {
    const doc = await this.read(orderId);
    if (!doc) throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} not found`);
    assertMayReadOrder(doc, caller);
    return orderPageView(doc, caller, this.clock.now());
  }

  private async read(orderId: string): Promise<OrderPageDoc | null> {
    const router = this.engine.router;
    const before = router.resolve(ORDER_PAGES);
    const position = await this.engine.currentPosition(PROJECTIONS);
    // The store maps the collection when get() is called, i.e. now: `collection` is the one read.
    const collection = router.resolve(ORDER_PAGES);
    // A generation swap in between: `position` may be the old generation's.
    if (collection !== before) return this.store.get<OrderPageDoc>(ORDER_PAGES, orderId);
    const cached = this.docs.get(position, collection, orderId);
    if (cached) return cached;
    const doc = await this.store.get<OrderPageDoc>(ORDER_PAGES, orderId);
    if (doc) this.docs.set(position, collection, orderId, doc);
    return doc;
  }
}
