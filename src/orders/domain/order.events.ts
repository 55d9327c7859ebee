// The order's events: past tense, data only, stable `type`. All timestamps are ISO-8601 UTC strings.
// schemaVersion of every type below is 1; upcasters for older versions sit in order.upcasters.ts.
import type {
  CancellationInitiator,
  CancellationMode,
  Evidence,
  Money,
  Party,
  RefundSource,
  RequestType,
  SupportCaseCategory,
  SupportCaseOutcome,
} from './order.types';

export interface OrderPlaced {
  type: 'OrderPlaced';
  data: {
    orderId: string;
    buyerId: string;
    sellerId: string;
    title: string;
    price: Money;
    deliveryDays: number;
    requirementsNeeded: boolean;
    placedAt: string;
    /** Set when no requirements are needed: work starts at placement. Otherwise null. */
    dueAt: string | null;
  };
}

export interface RequirementsSubmitted {
  type: 'RequirementsSubmitted';
  data: { orderId: string; text: string; submittedAt: string; dueAt: string };
}

export interface WorkStartedWithoutRequirements {
  type: 'WorkStartedWithoutRequirements';
  data: { orderId: string; startedAt: string; dueAt: string };
}

export interface OrderDelivered {
  type: 'OrderDelivered';
  data: { orderId: string; message: string; deliveredAt: string; deliveryNumber: number };
}

export interface RevisionRequested {
  type: 'RevisionRequested';
  data: { orderId: string; message: string; requestedAt: string };
}

export interface OrderCompleted {
  type: 'OrderCompleted';
  data: { orderId: string; completedAt: string; completion: 'accepted_by_buyer' | 'auto_completed' };
}

export interface ResolutionRequestOpened {
  type: 'ResolutionRequestOpened';
  data: {
    orderId: string;
    requestId: string;
    requestType: RequestType;
    openedBy: Party;
    /** Only for cancellation requests; null otherwise. */
    reason: string | null;
    comment: string;
    /** Only for delivery_extension requests; null otherwise. */
    proposedDueAt: string | null;
    openedAt: string;
    respondBy: string;
    /**
     * partial_refund only: the offered amount (minor units) and the seller's confidential reason, kept apart from
     * `reason` so that no reader shows it by accident. Absent (read as null) in events written before partial
     * refunds existed: an additive field, hence no schemaVersion bump.
     */
    amount?: number | null;
    confidentialReason?: string | null;
  };
}

export interface ResolutionRequestAccepted {
  type: 'ResolutionRequestAccepted';
  data: {
    orderId: string;
    requestId: string;
    requestType: RequestType;
    acceptedBy: Party;
    /** For order_update this is the update itself (required). */
    comment: string | null;
    acceptedAt: string;
  };
}

export interface ResolutionRequestDeclined {
  type: 'ResolutionRequestDeclined';
  data: {
    orderId: string;
    requestId: string;
    requestType: RequestType;
    declinedBy: Party;
    comment: string | null;
    declinedAt: string;
  };
}

export interface ResolutionRequestWithdrawn {
  type: 'ResolutionRequestWithdrawn';
  data: {
    orderId: string;
    requestId: string;
    requestType: RequestType;
    withdrawnBy: Party;
    withdrawnAt: string;
  };
}

/** No answer within 48 h. The outcome per type: cancellation/extension auto-accepted, order_update closed. */
export interface ResolutionRequestExpired {
  type: 'ResolutionRequestExpired';
  data: {
    orderId: string;
    requestId: string;
    requestType: RequestType;
    outcome: 'auto_accepted' | 'closed';
    expiredAt: string;
  };
}

/** A support case closed the open request: cancel_order / complete_order close any, extend_due_date an extension. */
export interface ResolutionRequestClosed {
  type: 'ResolutionRequestClosed';
  data: {
    orderId: string;
    requestId: string;
    requestType: RequestType;
    caseId: string;
    closedAt: string;
  };
}

/** dueAt moved: through an accepted (or auto-accepted) extension request, or accepted extras. */
export interface DueDateExtended {
  type: 'DueDateExtended';
  data: {
    orderId: string;
    previousDueAt: string | null;
    newDueAt: string;
    source: 'delivery_extension' | 'extras' | 'support_case';
    /** requestId, offerId or caseId */
    sourceId: string;
    extendedAt: string;
  };
}

export interface OrderCancelled {
  type: 'OrderCancelled';
  data: {
    orderId: string;
    mode: CancellationMode;
    initiator: CancellationInitiator;
    reason: string;
    comment: string | null;
    /** The cancellation request that led here (mutual / auto_accepted), else null. */
    requestId: string | null;
    /** The status the order had when it was cancelled (the completion rate tells apart cancellations before work started). */
    previousStatus: 'awaiting_requirements' | 'in_progress' | 'delivered';
    countsTowardCompletionRate: boolean;
    cancelledAt: string;
  };
}

export interface ExtrasOffered {
  type: 'ExtrasOffered';
  data: {
    orderId: string;
    offerId: string;
    description: string;
    /** Minor units, in the order's currency. */
    amount: number;
    extraDays: number;
    offeredAt: string;
    expiresAt: string;
  };
}

export interface ExtrasAccepted {
  type: 'ExtrasAccepted';
  data: {
    orderId: string;
    offerId: string;
    amount: number;
    extraDays: number;
    newPrice: Money;
    acceptedAt: string;
  };
}

export interface ExtrasDeclined {
  type: 'ExtrasDeclined';
  data: { orderId: string; offerId: string; declinedAt: string };
}

export interface ExtrasOfferLapsed {
  type: 'ExtrasOfferLapsed';
  data: { orderId: string; offerId: string; lapsedAt: string };
}

/** Recorded by the scheduler once now > dueAt, before the first delivery. */
export interface OrderBecameLate {
  type: 'OrderBecameLate';
  data: { orderId: string; dueAt: string; recordedAt: string };
}

/** Recorded by the scheduler once now >= dueAt + 24 h, before the first delivery. */
export interface OrderBecameVeryLate {
  type: 'OrderBecameVeryLate';
  data: { orderId: string; dueAt: string; recordedAt: string };
}

/** Money given back: an accepted partial refund request, or a support case's partial_refund outcome. */
export interface RefundRecorded {
  type: 'RefundRecorded';
  data: {
    orderId: string;
    /** Minor units, in the order's currency. */
    amount: number;
    by: RefundSource;
    /** requestId (by request) or caseId (by support). */
    sourceId: string;
    /** Price with extras minus every refund so far, this one included. */
    netPrice: Money;
    recordedAt: string;
  };
}

/** Who wrote an entry of a support case's thread. */
export interface CaseAuthor {
  id: string;
  role: 'buyer' | 'seller' | 'support';
}

export interface SupportCaseOpened {
  type: 'SupportCaseOpened';
  data: {
    orderId: string;
    caseId: string;
    openedBy: CaseAuthor & { role: Party };
    category: SupportCaseCategory;
    description: string;
    evidence: Evidence[];
    openedAt: string;
    firstResponseDueAt: string;
  };
}

/** Support takes the case: assignee := the agent. A first response. */
export interface SupportCaseClaimed {
  type: 'SupportCaseClaimed';
  data: { orderId: string; caseId: string; assignee: string; claimedAt: string };
}

/** Seen by both parties. A first response. */
export interface SupportMessagePosted {
  type: 'SupportMessagePosted';
  data: { orderId: string; caseId: string; by: CaseAuthor; text: string; postedAt: string };
}

export interface SupportInformationRequested {
  type: 'SupportInformationRequested';
  data: {
    orderId: string;
    caseId: string;
    informationRequestId: string;
    by: CaseAuthor;
    party: Party;
    question: string;
    requestedAt: string;
    respondBy: string;
  };
}

/** A party's statement; with informationRequestId it answers support's information request. */
export interface SupportStatementAdded {
  type: 'SupportStatementAdded';
  data: {
    orderId: string;
    caseId: string;
    by: CaseAuthor & { role: Party };
    text: string;
    evidence: Evidence[];
    informationRequestId: string | null;
    addedAt: string;
  };
}

/** The party did not answer within 48 h: recorded, the case goes on. */
export interface SupportInformationRequestLapsed {
  type: 'SupportInformationRequestLapsed';
  data: { orderId: string; caseId: string; informationRequestId: string; party: Party; lapsedAt: string };
}

/** No first response (claim or message) within 24 h of opening. Recorded once per case. */
export interface SupportCaseMarkedOverdue {
  type: 'SupportCaseMarkedOverdue';
  data: { orderId: string; caseId: string; firstResponseDueAt: string; markedAt: string };
}

export interface SupportCaseWithdrawn {
  type: 'SupportCaseWithdrawn';
  data: { orderId: string; caseId: string; withdrawnBy: Party; withdrawnAt: string };
}

/**
 * The case closed with an outcome. Support's resolution carries its rationale and agent; `settled_by_parties`
 * (the order ended otherwise while the case was open) has neither. The outcome's effects on the order follow
 * as their own events in the same decision (OrderCancelled, RefundRecorded, DueDateExtended, OrderCompleted).
 */
export interface SupportCaseResolved {
  type: 'SupportCaseResolved';
  data: {
    orderId: string;
    caseId: string;
    outcome: SupportCaseOutcome;
    rationale: string | null;
    resolvedBy: string | null;
    /** partial_refund only */
    amount: number | null;
    /** extend_due_date only */
    newDueAt: string | null;
    /** cancel_order only */
    countsTowardCompletionRate: boolean | null;
    resolvedAt: string;
  };
}

export type OrderEvent =
  | OrderPlaced
  | RequirementsSubmitted
  | WorkStartedWithoutRequirements
  | OrderDelivered
  | RevisionRequested
  | OrderCompleted
  | ResolutionRequestOpened
  | ResolutionRequestAccepted
  | ResolutionRequestDeclined
  | ResolutionRequestWithdrawn
  | ResolutionRequestExpired
  | DueDateExtended
  | OrderCancelled
  | ExtrasOffered
  | ExtrasAccepted
  | ExtrasDeclined
  | ExtrasOfferLapsed
  | OrderBecameLate
  | OrderBecameVeryLate
  | ResolutionRequestClosed
  | RefundRecorded
  | SupportCaseOpened
  | SupportCaseClaimed
  | SupportMessagePosted
  | SupportInformationRequested
  | SupportStatementAdded
  | SupportInformationRequestLapsed
  | SupportCaseMarkedOverdue
  | SupportCaseWithdrawn
  | SupportCaseResolved;

export type OrderEventType = OrderEvent['type'];

export const ORDER_EVENT_TYPES: readonly OrderEventType[] = [
  'OrderPlaced',
  'RequirementsSubmitted',
  'WorkStartedWithoutRequirements',
  'OrderDelivered',
  'RevisionRequested',
  'OrderCompleted',
  'ResolutionRequestOpened',
  'ResolutionRequestAccepted',
  'ResolutionRequestDeclined',
  'ResolutionRequestWithdrawn',
  'ResolutionRequestExpired',
  'DueDateExtended',
  'OrderCancelled',
  'ExtrasOffered',
  'ExtrasAccepted',
  'ExtrasDeclined',
  'ExtrasOfferLapsed',
  'OrderBecameLate',
  'OrderBecameVeryLate',
  'ResolutionRequestClosed',
  'RefundRecorded',
  'SupportCaseOpened',
  'SupportCaseClaimed',
  'SupportMessagePosted',
  'SupportInformationRequested',
  'SupportStatementAdded',
  'SupportInformationRequestLapsed',
  'SupportCaseMarkedOverdue',
  'SupportCaseWithdrawn',
  'SupportCaseResolved',
];

/** Current schema version of every order event type. */
export const ORDER_EVENT_SCHEMA_VERSION = 1;
