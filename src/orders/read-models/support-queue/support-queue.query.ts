import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { READ_STORE, type Filter, type ReadModels } from '../../../platform/read-store/read-store.port';
import type { Caller, Party, SupportCaseStatus } from '../../domain/order.types';
import { assertHasRole } from '../access';
import { decodeCursor, encodeCursor } from '../cursor';
import { DEFAULT_PAGE_SIZE } from '../my-orders/my-orders.query';
import { SUPPORT_CASES, type SupportCaseDoc, type WaitingOn } from './support-queue.projection';

export interface SupportQueueItem {
  caseId: string;
  orderId: string;
  category: string;
  openedBy: Party;
  openedAt: string;
  assignee: string | null;
  overdue: boolean;
  firstResponseDueAt: string;
  waitingOn: WaitingOn | null;
  lastActivityAt: string;
}

export interface SupportQueue {
  items: SupportQueueItem[];
  nextCursor: string | null;
}

export interface SupportQueueOptions {
  /** Default `open`. */
  status?: SupportCaseStatus;
  assignee?: 'me' | 'unassigned';
  overdue?: boolean;
  limit?: number;
  cursor?: string;
}

export class ListSupportCasesQuery extends Query<SupportQueue> {
  constructor(
    readonly caller: Caller,
    readonly options: SupportQueueOptions,
  ) {
    super();
  }
}

export const toQueueItem = (d: SupportCaseDoc): SupportQueueItem => ({
  caseId: d.caseId,
  orderId: d.orderId,
  category: d.category,
  openedBy: d.openedBy,
  openedAt: d.openedAt,
  assignee: d.assignee,
  overdue: d.overdue,
  firstResponseDueAt: d.firstResponseDueAt,
  waitingOn: d.waitingOn,
  lastActivityAt: d.lastActivityAt,
});

@QueryHandler(ListSupportCasesQuery)
export class ListSupportCasesHandler implements IQueryHandler<ListSupportCasesQuery> {
  constructor(@Inject(READ_STORE) private readonly store: ReadModels) {}

  async execute({ caller, options }: ListSupportCasesQuery): Promise<SupportQueue> {
    const after = decodeCursor(options.cursor); // a malformed query is a 400 before the 403 (api.md)
    assertHasRole(caller, ['support', 'auditor'], 'the support queue');
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    const filter: Filter = { status: options.status ?? 'open' };
    if (options.assignee === 'me') filter.assignee = caller.userId;
    if (options.assignee === 'unassigned') filter.assignee = null;
    if (options.overdue !== undefined) filter.overdue = options.overdue;
    if (after !== null) filter.sortKey = { $gt: after };
    const docs = await this.store.find<SupportCaseDoc>(SUPPORT_CASES, filter, {
      sort: { sortKey: 1 },
      limit: limit + 1,
    });
    const page = docs.slice(0, limit);
    return {
      items: page.map(toQueueItem),
      nextCursor: docs.length > limit ? encodeCursor(page[page.length - 1].sortKey) : null,
    };
  }
}
