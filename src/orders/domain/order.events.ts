// The order's events: past tense, data only, stable `type`. All timestamps are ISO-8601 UTC strings.
// schemaVersion of every type below is 1; upcasters for older versions sit in order.upcasters.ts.
import type { CancellationInitiator, CancellationMode, Money, Party, RequestType } from './order.types';

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

/** dueAt moved: through an accepted (or auto-accepted) extension request, or accepted extras. */
export interface DueDateExtended {
  type: 'DueDateExtended';
  data: {
    orderId: string;
    previousDueAt: string | null;
    newDueAt: string;
    source: 'delivery_extension' | 'extras';
    /** requestId or offerId */
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
  | OrderBecameVeryLate;

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
];

/** Current schema version of every order event type. */
export const ORDER_EVENT_SCHEMA_VERSION = 1;
