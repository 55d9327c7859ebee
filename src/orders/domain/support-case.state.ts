// The support-case part of the order's state (order.state.ts folds the rest). Plain JSON data, like the order's.
import type {
  CaseAuthor,
  SupportCaseClaimed,
  SupportCaseMarkedOverdue,
  SupportCaseOpened,
  SupportCaseResolved,
  SupportCaseWithdrawn,
  SupportInformationRequested,
  SupportInformationRequestLapsed,
  SupportMessagePosted,
  SupportStatementAdded,
} from './order.events';
import type {
  Evidence,
  Party,
  RefundSource,
  SupportCaseCategory,
  SupportCaseOutcome,
  SupportCaseStatus,
} from './order.types';

export interface RefundState {
  amount: number;
  at: string;
  by: RefundSource;
}

export interface ThreadEntry {
  kind: 'message' | 'statement' | 'information_request';
  by: CaseAuthor;
  text: string;
  evidence: Evidence[];
  at: string;
  /** information_request: its id; statement: the information request it answers, if any; else null. */
  informationRequestId: string | null;
  /** information_request only: the party asked. */
  party: Party | null;
}

/** The outstanding information request; null again once answered or lapsed (or the case closed). */
export interface InformationRequestState {
  id: string;
  party: Party;
  question: string;
  requestedAt: string;
  respondBy: string;
}

export interface SupportCaseState {
  caseId: string;
  status: SupportCaseStatus;
  category: SupportCaseCategory;
  description: string;
  evidence: Evidence[];
  openedBy: Party;
  openedById: string;
  openedAt: string;
  /** openedAt + 24 h: the deadline schedule emits MarkSupportCaseOverdue here while no first response happened. */
  firstResponseDueAt: string;
  /** The first claim or message; null while support has not responded. */
  firstRespondedAt: string | null;
  /** Marked once (SupportCaseMarkedOverdue); stays true. */
  overdue: boolean;
  assignee: string | null;
  informationRequest: InformationRequestState | null;
  thread: ThreadEntry[];
  resolution: { outcome: SupportCaseOutcome; rationale: string | null; at: string } | null;
  /** Resolved or withdrawn at; auto-completion is due at max(deliveredAt + 3 d, closedAt). */
  closedAt: string | null;
}

/** Every case ever opened, so acting on a closed one is CASE_NOT_OPEN and an unknown id CASE_NOT_FOUND. */
export interface CaseRecord {
  caseId: string;
  openedBy: Party;
  status: SupportCaseStatus;
}

export interface CasesSlice {
  /** The latest case (open or not), or null when none was ever opened. */
  supportCase: SupportCaseState | null;
  supportCases: CaseRecord[];
}

export type SupportCaseEvent =
  | SupportCaseOpened
  | SupportCaseClaimed
  | SupportMessagePosted
  | SupportInformationRequested
  | SupportStatementAdded
  | SupportInformationRequestLapsed
  | SupportCaseMarkedOverdue
  | SupportCaseWithdrawn
  | SupportCaseResolved;

/** Applies a change to the latest case, when it is the case the event is about. */
const onCase = (
  slice: CasesSlice,
  caseId: string,
  change: (c: SupportCaseState) => SupportCaseState,
): CasesSlice =>
  slice.supportCase?.caseId === caseId ? { ...slice, supportCase: change(slice.supportCase) } : slice;

const close = (slice: CasesSlice, caseId: string, status: SupportCaseStatus, at: string): CasesSlice => ({
  ...onCase(slice, caseId, (c) => ({ ...c, status, informationRequest: null, closedAt: at })),
  supportCases: slice.supportCases.map((r) => (r.caseId === caseId ? { ...r, status } : r)),
});

const responded = (c: SupportCaseState, at: string): SupportCaseState =>
  c.firstRespondedAt === null ? { ...c, firstRespondedAt: at } : c;

export function evolveSupportCase(slice: CasesSlice, event: SupportCaseEvent): CasesSlice {
  switch (event.type) {
    case 'SupportCaseOpened': {
      const d = event.data;
      return {
        supportCase: {
          caseId: d.caseId,
          status: 'open',
          category: d.category,
          description: d.description,
          evidence: d.evidence.map((e) => ({ ...e })),
          openedBy: d.openedBy.role,
          openedById: d.openedBy.id,
          openedAt: d.openedAt,
          firstResponseDueAt: d.firstResponseDueAt,
          firstRespondedAt: null,
          overdue: false,
          assignee: null,
          informationRequest: null,
          thread: [],
          resolution: null,
          closedAt: null,
        },
        supportCases: [
          ...slice.supportCases,
          { caseId: d.caseId, openedBy: d.openedBy.role, status: 'open' },
        ],
      };
    }
    case 'SupportCaseClaimed':
      return onCase(slice, event.data.caseId, (c) => ({
        ...responded(c, event.data.claimedAt),
        assignee: event.data.assignee,
      }));
    case 'SupportMessagePosted': {
      const d = event.data;
      return onCase(slice, d.caseId, (c) => ({
        ...responded(c, d.postedAt),
        thread: [
          ...c.thread,
          {
            kind: 'message',
            by: { ...d.by },
            text: d.text,
            evidence: [],
            at: d.postedAt,
            informationRequestId: null,
            party: null,
          },
        ],
      }));
    }
    case 'SupportInformationRequested': {
      const d = event.data;
      return onCase(slice, d.caseId, (c) => ({
        ...c,
        informationRequest: {
          id: d.informationRequestId,
          party: d.party,
          question: d.question,
          requestedAt: d.requestedAt,
          respondBy: d.respondBy,
        },
        thread: [
          ...c.thread,
          {
            kind: 'information_request',
            by: { ...d.by },
            text: d.question,
            evidence: [],
            at: d.requestedAt,
            informationRequestId: d.informationRequestId,
            party: d.party,
          },
        ],
      }));
    }
    case 'SupportStatementAdded': {
      const d = event.data;
      return onCase(slice, d.caseId, (c) => ({
        ...c,
        informationRequest:
          d.informationRequestId !== null && c.informationRequest?.id === d.informationRequestId
            ? null
            : c.informationRequest,
        thread: [
          ...c.thread,
          {
            kind: 'statement',
            by: { ...d.by },
            text: d.text,
            evidence: d.evidence.map((e) => ({ ...e })),
            at: d.addedAt,
            informationRequestId: d.informationRequestId,
            party: null,
          },
        ],
      }));
    }
    case 'SupportInformationRequestLapsed':
      return onCase(slice, event.data.caseId, (c) =>
        c.informationRequest?.id === event.data.informationRequestId ? { ...c, informationRequest: null } : c,
      );
    case 'SupportCaseMarkedOverdue':
      return onCase(slice, event.data.caseId, (c) => ({ ...c, overdue: true }));
    case 'SupportCaseWithdrawn':
      return close(slice, event.data.caseId, 'withdrawn', event.data.withdrawnAt);
    case 'SupportCaseResolved': {
      const d = event.data;
      const closed = close(slice, d.caseId, 'resolved', d.resolvedAt);
      return onCase(closed, d.caseId, (c) => ({
        ...c,
        resolution: { outcome: d.outcome, rationale: d.rationale, at: d.resolvedAt },
      }));
    }
  }
}
