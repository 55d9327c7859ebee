// The `support-queue` read model: one document per support case, folded by a pure evolve(doc, event), with the
// queue's sort key (overdue first, then oldest). A document remembers the order stream's revision it has seen, so
// an event applied again changes nothing.
//
// [decision] waitingOn: while an information request is outstanding, the party it asks (buyer or seller); otherwise
// support (a case is support's to move). null once the case is resolved or withdrawn: nothing waits.
// [decision] lastActivityAt: the latest step somebody took (opening, claim, message, information request,
// statement, withdrawal, resolution); the scheduler's marks (overdue, lapsed information request) are not activity.
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../../../platform/read-store/read-store.port';
import type { OrderEvent } from '../../domain/order.events';
import type {
  Party,
  SupportCaseCategory,
  SupportCaseOutcome,
  SupportCaseStatus,
} from '../../domain/order.types';
import { orderEventOf, orderIdOfStream } from '../order-event';

export const SUPPORT_QUEUE_PROJECTION = 'support-queue';
export const SUPPORT_CASES = 'support_cases';

export const SUPPORT_CASE_EVENT_TYPES = [
  'SupportCaseOpened',
  'SupportCaseClaimed',
  'SupportMessagePosted',
  'SupportInformationRequested',
  'SupportStatementAdded',
  'SupportInformationRequestLapsed',
  'SupportCaseMarkedOverdue',
  'SupportCaseWithdrawn',
  'SupportCaseResolved',
] as const;
type CaseEvent = Extract<OrderEvent, { type: (typeof SUPPORT_CASE_EVENT_TYPES)[number] }>;
const CASE_EVENT_TYPES = new Set<string>(SUPPORT_CASE_EVENT_TYPES);

export type WaitingOn = 'support' | Party;

export interface SupportCaseDoc {
  caseId: string;
  orderId: string;
  category: SupportCaseCategory;
  openedBy: Party;
  openedAt: string;
  status: SupportCaseStatus;
  assignee: string | null;
  overdue: boolean;
  firstResponseDueAt: string;
  /** The outstanding information request, if any. */
  informationRequest: { id: string; party: Party } | null;
  waitingOn: WaitingOn | null;
  lastActivityAt: string;
  outcome: SupportCaseOutcome | null;
  closedAt: string | null;
  /** `0|<openedAt>|<caseId>` when overdue, `1|…` otherwise: ascending = overdue first, then oldest. The cursor. */
  sortKey: string;
  /** The order stream's revision of the last event folded in. */
  revision: number;
}

export const queueSortKey = (doc: Pick<SupportCaseDoc, 'overdue' | 'openedAt' | 'caseId'>): string =>
  `${doc.overdue ? 0 : 1}|${doc.openedAt}|${doc.caseId}`;

const waitingOnOf = (doc: Pick<SupportCaseDoc, 'status' | 'informationRequest'>): WaitingOn | null =>
  doc.status !== 'open' ? null : (doc.informationRequest?.party ?? 'support');

/** Recomputes the derived fields (waitingOn, sortKey) of a changed document. */
const settle = (doc: SupportCaseDoc): SupportCaseDoc => ({
  ...doc,
  waitingOn: waitingOnOf(doc),
  sortKey: queueSortKey(doc),
});

/** The case's document after `event` (pure). null: the event does not concern a case this fold knows. */
export function evolveSupportCase(
  doc: SupportCaseDoc | null,
  event: CaseEvent,
  orderId: string,
  revision: number,
): SupportCaseDoc | null {
  if (event.type === 'SupportCaseOpened') {
    const d = event.data;
    return settle({
      caseId: d.caseId,
      orderId,
      category: d.category,
      openedBy: d.openedBy.role,
      openedAt: d.openedAt,
      status: 'open',
      assignee: null,
      overdue: false,
      firstResponseDueAt: d.firstResponseDueAt,
      informationRequest: null,
      waitingOn: null,
      lastActivityAt: d.openedAt,
      outcome: null,
      closedAt: null,
      sortKey: '',
      revision,
    });
  }
  if (!doc) return null;
  const next = { ...doc, revision };
  switch (event.type) {
    case 'SupportCaseClaimed':
      return settle({ ...next, assignee: event.data.assignee, lastActivityAt: event.data.claimedAt });
    case 'SupportMessagePosted':
      return settle({ ...next, lastActivityAt: event.data.postedAt });
    case 'SupportInformationRequested': {
      const d = event.data;
      return settle({
        ...next,
        informationRequest: { id: d.informationRequestId, party: d.party },
        lastActivityAt: d.requestedAt,
      });
    }
    case 'SupportStatementAdded': {
      const d = event.data;
      const answered =
        d.informationRequestId !== null && d.informationRequestId === doc.informationRequest?.id;
      return settle({
        ...next,
        informationRequest: answered ? null : doc.informationRequest,
        lastActivityAt: d.addedAt,
      });
    }
    case 'SupportInformationRequestLapsed': {
      const lapsed = doc.informationRequest?.id === event.data.informationRequestId;
      return settle({ ...next, informationRequest: lapsed ? null : doc.informationRequest });
    }
    case 'SupportCaseMarkedOverdue':
      return settle({ ...next, overdue: true });
    case 'SupportCaseWithdrawn':
      return settle({
        ...next,
        status: 'withdrawn',
        informationRequest: null,
        closedAt: event.data.withdrawnAt,
        lastActivityAt: event.data.withdrawnAt,
      });
    case 'SupportCaseResolved':
      return settle({
        ...next,
        status: 'resolved',
        outcome: event.data.outcome,
        informationRequest: null,
        closedAt: event.data.resolvedAt,
        lastActivityAt: event.data.resolvedAt,
      });
  }
}

export class SupportQueueProjection implements Projection {
  readonly name = SUPPORT_QUEUE_PROJECTION;
  readonly version = 1;
  readonly collections: Record<string, string[][]> = {
    [SUPPORT_CASES]: [
      ['status', 'sortKey'],
      ['status', 'assignee', 'sortKey'],
      ['status', 'overdue', 'sortKey'],
    ],
  };

  async apply(event: StoredEvent, writer: DocumentWriter): Promise<void> {
    const e = orderEventOf(event);
    if (!e || !CASE_EVENT_TYPES.has(e.type)) return;
    const caseEvent = e as CaseEvent;
    const caseId = caseEvent.data.caseId;
    const doc = await writer.get<SupportCaseDoc>(SUPPORT_CASES, caseId);
    if (doc && event.revision <= doc.revision) return; // applied already
    const next = evolveSupportCase(doc, caseEvent, orderIdOfStream(event.streamName), event.revision);
    if (next) await writer.put(SUPPORT_CASES, caseId, next);
  }
}
