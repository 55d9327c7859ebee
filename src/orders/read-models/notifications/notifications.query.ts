import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { READ_STORE, type Filter, type ReadModels } from '../../../platform/read-store/read-store.port';
import type { Caller } from '../../domain/order.types';
import { NOTIFICATIONS, type NotificationDoc } from './notifications.projection';
import { decodeCursor, encodeCursor } from '../cursor';
import { DEFAULT_PAGE_SIZE } from '../my-orders/my-orders.query';

export interface NotificationView {
  notificationId: string;
  orderId: string;
  orderTitle: string;
  role: string;
  type: string;
  at: string;
  actor: { id: string; role: string };
  data: Record<string, unknown>;
  position: string;
}

export interface NotificationList {
  items: NotificationView[];
  nextCursor: string | null;
}

export class ListNotificationsQuery extends Query<NotificationList> {
  constructor(
    readonly caller: Caller,
    readonly options: { limit?: number; cursor?: string },
  ) {
    super();
  }
}

@QueryHandler(ListNotificationsQuery)
export class ListNotificationsHandler implements IQueryHandler<ListNotificationsQuery> {
  constructor(@Inject(READ_STORE) private readonly store: ReadModels) {}

  async execute({ caller, options }: ListNotificationsQuery): Promise<NotificationList> {
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeCursor(options.cursor);
    const filter: Filter = { recipientId: caller.userId };
    if (after !== null) filter.sortKey = { $lt: after };
    const docs = await this.store.find<NotificationDoc>(NOTIFICATIONS, filter, {
      sort: { sortKey: -1 },
      limit: limit + 1,
    });
    const page = docs.slice(0, limit);
    return {
      items: page.map((d) => ({
        notificationId: d.notificationId,
        orderId: d.orderId,
        orderTitle: d.orderTitle,
        role: d.recipientRole,
        type: d.type,
        at: d.at,
        actor: d.actor,
        data: d.data,
        position: d.position,
      })),
      nextCursor: docs.length > limit ? encodeCursor(page[page.length - 1].sortKey) : null,
    };
  }
}
