import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../platform/clock/clock.port';
import { READ_STORE, type Filter, type ReadModels } from '../../../platform/read-store/read-store.port';
import type { Caller, OrderStatus, Party, RequestType } from '../../domain/order.types';
import { ORDER_PAGES, orderStateOf, type OrderPageDoc } from '../order-page/order-page.projection';
import { decodeCursor, encodeCursor } from '../cursor';
import { headlineOf, liveOpenRequest, type OrderHeadline } from '../order-page/order-page.view';

export interface OrderSummary extends OrderHeadline {
  role: Party;
  cancelledAt: string | null;
  openRequest: { requestId: string; type: RequestType; openedBy: Party; respondBy: string } | null;
  revision: number;
}

export interface OrderList {
  items: OrderSummary[];
  nextCursor: string | null;
}

export class ListMyOrdersQuery extends Query<OrderList> {
  constructor(
    readonly caller: Caller,
    readonly options: { as?: Party; status?: OrderStatus; limit?: number; cursor?: string },
  ) {
    super();
  }
}

export const DEFAULT_PAGE_SIZE = 20;

export function summaryOf(doc: OrderPageDoc, role: Party, now: Date): OrderSummary {
  const state = orderStateOf(doc);
  const open = liveOpenRequest(state, now);
  // Object.assign, not a spread of headlineOf(): the spread is the slow path on Node 20 (as on the order page).
  return Object.assign(headlineOf(state, now), {
    role,
    cancelledAt: state.cancellation?.at ?? null,
    openRequest: open
      ? { requestId: open.requestId, type: open.type, openedBy: open.openedBy, respondBy: open.respondBy }
      : null,
    revision: doc.revision,
  });
}

@QueryHandler(ListMyOrdersQuery)
export class ListMyOrdersHandler implements IQueryHandler<ListMyOrdersQuery> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadModels,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, options }: ListMyOrdersQuery): Promise<OrderList> {
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeCursor(options.cursor);
    const sides: Party[] = options.as ? [options.as] : ['buyer', 'seller'];
    // One indexed query per side (a buyer never sells to themselves), merged newest first.
    const rows: { doc: OrderPageDoc; role: Party }[] = [];
    for (const role of sides) {
      const filter: Filter = { [role === 'buyer' ? 'buyerId' : 'sellerId']: caller.userId };
      if (options.status) filter.status = options.status;
      if (after !== null) filter.sortKey = { $lt: after };
      const docs = await this.store.find<OrderPageDoc>(ORDER_PAGES, filter, {
        sort: { sortKey: -1 },
        limit: limit + 1,
      });
      for (const doc of docs) rows.push({ doc, role });
    }
    rows.sort((a, b) => (a.doc.sortKey < b.doc.sortKey ? 1 : a.doc.sortKey > b.doc.sortKey ? -1 : 0));
    const page = rows.slice(0, limit);
    const now = this.clock.now();
    return {
      items: page.map((r) => summaryOf(r.doc, r.role, now)),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].doc.sortKey) : null,
    };
  }
}
