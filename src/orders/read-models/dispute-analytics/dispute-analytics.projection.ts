// The `dispute-analytics` read model: one small document per support case, by its UTC day of opening, with what
// the dispute figures need (category, outcome, overdue, first response, close). The query sums and takes medians
// over the cases opened in a date range. A document remembers the stream revision it has seen: an event applied
// again changes nothing.
//
// [decision] First response = the first claim or support message (domain.md "First response within 24 h").
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../../../platform/read-store/read-store.port';
import type { OrderEvent } from '../../domain/order.events';
import type { SupportCaseCategory, SupportCaseOutcome, SupportCaseStatus } from '../../domain/order.types';
import { orderEventOf } from '../order-event';

export const DISPUTE_ANALYTICS_PROJECTION = 'dispute-analytics';
export const DISPUTE_CASES = 'dispute_cases';

const EVENT_TYPES = [
  'SupportCaseOpened',
  'SupportCaseClaimed',
  'SupportMessagePosted',
  'SupportCaseMarkedOverdue',
  'SupportCaseWithdrawn',
  'SupportCaseResolved',
] as const;
type CaseEvent = Extract<OrderEvent, { type: (typeof EVENT_TYPES)[number] }>;
const TYPES = new Set<string>(EVENT_TYPES);

export interface DisputeCaseDoc {
  caseId: string;
  /** YYYY-MM-DD (UTC) of openedAt. */
  openedDay: string;
  openedAt: string;
  category: SupportCaseCategory;
  status: SupportCaseStatus;
  outcome: SupportCaseOutcome | null;
  overdue: boolean;
  /** The first claim or support message. */
  firstRespondedAt: string | null;
  /** Resolved or withdrawn at. */
  closedAt: string | null;
  revision: number;
}

const responded = (doc: DisputeCaseDoc, at: string): DisputeCaseDoc =>
  doc.firstRespondedAt === null ? { ...doc, firstRespondedAt: at } : doc;

/** The case's document after `event` (pure); null when the case's opening was never seen. */
export function evolveDisputeCase(
  doc: DisputeCaseDoc | null,
  event: CaseEvent,
  revision: number,
): DisputeCaseDoc | null {
  if (event.type === 'SupportCaseOpened') {
    const d = event.data;
    return {
      caseId: d.caseId,
      openedDay: new Date(d.openedAt).toISOString().slice(0, 10),
      openedAt: d.openedAt,
      category: d.category,
      status: 'open',
      outcome: null,
      overdue: false,
      firstRespondedAt: null,
      closedAt: null,
      revision,
    };
  }
  if (!doc) return null;
  const next = { ...doc, revision };
  switch (event.type) {
    case 'SupportCaseClaimed':
      return responded(next, event.data.claimedAt);
    case 'SupportMessagePosted':
      return responded(next, event.data.postedAt);
    case 'SupportCaseMarkedOverdue':
      return { ...next, overdue: true };
    case 'SupportCaseWithdrawn':
      return { ...next, status: 'withdrawn', closedAt: event.data.withdrawnAt };
    case 'SupportCaseResolved':
      return { ...next, status: 'resolved', outcome: event.data.outcome, closedAt: event.data.resolvedAt };
  }
}

export class DisputeAnalyticsProjection implements Projection {
  readonly name = DISPUTE_ANALYTICS_PROJECTION;
  readonly version = 1;
  readonly collections: Record<string, string[][]> = { [DISPUTE_CASES]: [['openedDay']] };

  async apply(event: StoredEvent, writer: DocumentWriter): Promise<void> {
    const e = orderEventOf(event);
    if (!e || !TYPES.has(e.type)) return;
    const caseEvent = e as CaseEvent;
    const doc = await writer.get<DisputeCaseDoc>(DISPUTE_CASES, caseEvent.data.caseId);
    if (doc && event.revision <= doc.revision) return; // applied already
    const next = evolveDisputeCase(doc, caseEvent, event.revision);
    if (next) await writer.put(DISPUTE_CASES, next.caseId, next);
  }
}
