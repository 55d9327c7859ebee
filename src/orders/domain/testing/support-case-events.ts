// Events of partial refunds and support cases for given/when/then specs (defaults: the fixtures' order, case-1).
import type { OrderEvent, SupportCaseResolved } from '../order.events';
import type { Evidence, Party, RefundSource, SupportCaseCategory } from '../order.types';
import { ANSWER_WINDOW_MS, HOUR_MS } from '../order.types';
import { BUYER_ID, ORDER_ID, SELLER_ID, SUPPORT_ID, at, iso } from './given-when-then';

export const CASE_ID = 'case-1';
export const INFO_ID = 'info-1';
const idOf = (party: Party): string => (party === 'buyer' ? BUYER_ID : SELLER_ID);
const plusHours = (hours: number, more: number): string =>
  new Date(at(hours).getTime() + more * HOUR_MS).toISOString();

export const EVIDENCE: Evidence = {
  name: 'screenshot.png',
  contentType: 'image/png',
  sizeBytes: 123_456,
  sha256: 'ab'.repeat(32),
  url: 'https://files.example/screenshot.png',
};

export const caseEv = {
  /** A partial_refund request opened by the seller. */
  refundOffered: (o: { hours: number; amount: number; reason?: string; requestId?: string }): OrderEvent => ({
    type: 'ResolutionRequestOpened',
    data: {
      orderId: ORDER_ID,
      requestId: o.requestId ?? 'req-1',
      requestType: 'partial_refund',
      openedBy: 'seller',
      reason: null,
      comment: 'sorry for the delay',
      proposedDueAt: null,
      openedAt: iso(o.hours),
      respondBy: new Date(at(o.hours).getTime() + ANSWER_WINDOW_MS).toISOString(),
      amount: o.amount,
      confidentialReason: o.reason ?? 'delay_compensation',
    },
  }),
  refunded: (o: {
    hours: number;
    amount: number;
    netPrice: number;
    by?: RefundSource;
    sourceId?: string;
  }): OrderEvent => ({
    type: 'RefundRecorded',
    data: {
      orderId: ORDER_ID,
      amount: o.amount,
      by: o.by ?? 'request',
      sourceId: o.sourceId ?? (o.by === 'support' ? CASE_ID : 'req-1'),
      netPrice: { amount: o.netPrice, currency: 'USD' },
      recordedAt: iso(o.hours),
    },
  }),
  requestClosed: (o: {
    hours: number;
    requestType?: 'cancellation' | 'delivery_extension' | 'partial_refund';
  }) =>
    ({
      type: 'ResolutionRequestClosed',
      data: {
        orderId: ORDER_ID,
        requestId: 'req-1',
        requestType: o.requestType ?? 'cancellation',
        caseId: CASE_ID,
        closedAt: iso(o.hours),
      },
    }) as OrderEvent,
  opened: (
    o: {
      hours?: number;
      by?: Party;
      caseId?: string;
      category?: SupportCaseCategory;
      description?: string;
      evidence?: Evidence[];
    } = {},
  ): OrderEvent => {
    const hours = o.hours ?? 20;
    const by = o.by ?? 'buyer';
    return {
      type: 'SupportCaseOpened',
      data: {
        orderId: ORDER_ID,
        caseId: o.caseId ?? CASE_ID,
        openedBy: { id: idOf(by), role: by },
        category: o.category ?? 'quality',
        description: o.description ?? 'the logo is blurry',
        evidence: o.evidence ?? [],
        openedAt: iso(hours),
        firstResponseDueAt: plusHours(hours, 24),
      },
    };
  },
  claimed: (hours: number, assignee = SUPPORT_ID): OrderEvent => ({
    type: 'SupportCaseClaimed',
    data: { orderId: ORDER_ID, caseId: CASE_ID, assignee, claimedAt: iso(hours) },
  }),
  message: (hours: number, text = 'looking into it'): OrderEvent => ({
    type: 'SupportMessagePosted',
    data: {
      orderId: ORDER_ID,
      caseId: CASE_ID,
      by: { id: SUPPORT_ID, role: 'support' },
      text,
      postedAt: iso(hours),
    },
  }),
  infoRequested: (o: { hours: number; party?: Party; id?: string; question?: string }): OrderEvent => ({
    type: 'SupportInformationRequested',
    data: {
      orderId: ORDER_ID,
      caseId: CASE_ID,
      informationRequestId: o.id ?? INFO_ID,
      by: { id: SUPPORT_ID, role: 'support' },
      party: o.party ?? 'seller',
      question: o.question ?? 'which files did you deliver?',
      requestedAt: iso(o.hours),
      respondBy: plusHours(o.hours, 48),
    },
  }),
  statement: (o: {
    hours: number;
    by?: Party;
    text?: string;
    evidence?: Evidence[];
    answers?: string | null;
  }): OrderEvent => {
    const by = o.by ?? 'seller';
    return {
      type: 'SupportStatementAdded',
      data: {
        orderId: ORDER_ID,
        caseId: CASE_ID,
        by: { id: idOf(by), role: by },
        text: o.text ?? 'the files are attached',
        evidence: o.evidence ?? [],
        informationRequestId: o.answers ?? null,
        addedAt: iso(o.hours),
      },
    };
  },
  infoLapsed: (hours: number, party: Party = 'seller', id = INFO_ID): OrderEvent => ({
    type: 'SupportInformationRequestLapsed',
    data: { orderId: ORDER_ID, caseId: CASE_ID, informationRequestId: id, party, lapsedAt: iso(hours) },
  }),
  overdue: (hours: number, openedAtHours = 20): OrderEvent => ({
    type: 'SupportCaseMarkedOverdue',
    data: {
      orderId: ORDER_ID,
      caseId: CASE_ID,
      firstResponseDueAt: plusHours(openedAtHours, 24),
      markedAt: iso(hours),
    },
  }),
  withdrawn: (hours: number, by: Party = 'buyer'): OrderEvent => ({
    type: 'SupportCaseWithdrawn',
    data: { orderId: ORDER_ID, caseId: CASE_ID, withdrawnBy: by, withdrawnAt: iso(hours) },
  }),
  resolved: (
    o: { hours: number } & Partial<Omit<SupportCaseResolved['data'], 'orderId' | 'caseId' | 'resolvedAt'>>,
  ): OrderEvent => ({
    type: 'SupportCaseResolved',
    data: {
      orderId: ORDER_ID,
      caseId: CASE_ID,
      outcome: o.outcome ?? 'no_action',
      rationale: o.rationale !== undefined ? o.rationale : 'we looked at it',
      resolvedBy: o.resolvedBy !== undefined ? o.resolvedBy : SUPPORT_ID,
      amount: o.amount ?? null,
      newDueAt: o.newDueAt ?? null,
      countsTowardCompletionRate: o.countsTowardCompletionRate ?? null,
      resolvedAt: iso(o.hours),
    },
  }),
  settled: (hours: number): OrderEvent =>
    caseEv.resolved({ hours, outcome: 'settled_by_parties', rationale: null, resolvedBy: null }),
};
