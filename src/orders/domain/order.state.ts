// The order's state, folded from its events. Plain JSON data only (read models store it as is): ISO strings
// for time, arrays instead of Maps. `evolve` never decides anything: it records what the events say.
import type { OrderEvent } from './order.events';
import {
  evolveSupportCase,
  type CaseRecord,
  type RefundState,
  type SupportCaseState,
} from './support-case.state';
import {
  DAY_MS,
  type CancellationInitiator,
  type CancellationMode,
  type Money,
  type OrderStatus,
  type Party,
  type RequestType,
} from './order.types';

export interface OpenRequestState {
  requestId: string;
  type: RequestType;
  openedBy: Party;
  /** cancellation only */
  reason: string | null;
  comment: string;
  openedAt: string;
  respondBy: string;
  /** delivery_extension only */
  proposedDueAt: string | null;
  /** partial_refund only: the offered amount, minor units */
  amount: number | null;
  /** partial_refund only: the seller's reason, never shown to the buyer */
  confidentialReason: string | null;
}

/** The open request's record (at most one is open). */
export interface RequestRecord {
  requestId: string;
  type: RequestType;
  openedBy: Party;
}

export interface PendingExtrasState {
  offerId: string;
  description: string;
  amount: number;
  extraDays: number;
  offeredAt: string;
  expiresAt: string;
}

/** `void`: still pending when the order ended; it can no longer be answered. */
export type OfferOutcome = 'pending' | 'accepted' | 'declined' | 'lapsed' | 'void';
export interface OfferRecord {
  offerId: string;
  outcome: OfferOutcome;
}

export interface CancellationState {
  mode: CancellationMode;
  initiator: CancellationInitiator;
  reason: string;
  comment: string | null;
  requestId: string | null;
  previousStatus: 'awaiting_requirements' | 'in_progress' | 'delivered';
  at: string;
  countsTowardCompletionRate: boolean;
}

export interface OrderState {
  exists: boolean;
  orderId: string | null;
  buyerId: string | null;
  sellerId: string | null;
  title: string | null;
  /** Includes accepted extras. */
  price: Money | null;
  /** The price at placement, extras excluded: what partial refund requests are measured against. */
  primaryPrice: Money | null;
  /** price minus every refund. */
  netPrice: Money | null;
  refunds: RefundState[];
  /** Includes the extra days of extras accepted before work started. */
  deliveryDays: number | null;
  requirementsNeeded: boolean | null;
  status: OrderStatus | null;
  placedAt: string | null;
  /** When requirements were submitted or the seller started (or placement, without requirements). */
  startedAt: string | null;
  dueAt: string | null;
  /**
   * [decision] A delivery extension accepted (or auto-accepted) before work started: there is no dueAt to move
   * yet, so the agreed date is kept here and applied at the start: dueAt = max(start + deliveryDays, agreedDueAt).
   */
  agreedDueAt: string | null;
  /** The last delivery. */
  deliveredAt: string | null;
  firstDeliveredAt: string | null;
  deliveryCount: number;
  completedAt: string | null;
  completion: 'accepted_by_buyer' | 'auto_completed' | null;
  openRequest: OpenRequestState | null;
  /** The open request's record, or none. */
  requests: RequestRecord[];
  /**
   * Every request no longer open, as what the rules read of it: that its id was used (an answer is REQUEST_NOT_OPEN,
   * not REQUEST_NOT_FOUND; a new request may not reuse it) and who opened it (FORBIDDEN comes first). One line each,
   * `<opener>:<requestId>`, between newlines: an order's history of requests costs ~45 bytes a request, not a record.
   */
  closedRequests: string;
  /** When the open request last closed (answered, withdrawn, expired, closed by support): see autoCompletionDueAt. */
  requestClosedAt: string | null;
  pendingExtras: PendingExtrasState[];
  offers: OfferRecord[];
  cancellation: CancellationState | null;
  /** The dueAt for which OrderBecameLate / OrderBecameVeryLate was recorded: a moved dueAt can be late again. */
  lateRecordedForDueAt: string | null;
  veryLateRecordedForDueAt: string | null;
  /** The latest support case (open or closed), or null. */
  supportCase: SupportCaseState | null;
  supportCases: CaseRecord[];
}

/** An order that exists: the fields set by OrderPlaced are not null. */
export interface PlacedOrderState extends OrderState {
  exists: true;
  orderId: string;
  buyerId: string;
  sellerId: string;
  title: string;
  price: Money;
  primaryPrice: Money;
  netPrice: Money;
  deliveryDays: number;
  requirementsNeeded: boolean;
  status: OrderStatus;
  placedAt: string;
}

export const isPlaced = (state: OrderState): state is PlacedOrderState => state.exists;

export const initialOrderState: OrderState = Object.freeze({
  exists: false,
  orderId: null,
  buyerId: null,
  sellerId: null,
  title: null,
  price: null,
  primaryPrice: null,
  netPrice: null,
  refunds: Object.freeze([]) as unknown as RefundState[],
  deliveryDays: null,
  requirementsNeeded: null,
  status: null,
  placedAt: null,
  startedAt: null,
  dueAt: null,
  agreedDueAt: null,
  deliveredAt: null,
  firstDeliveredAt: null,
  deliveryCount: 0,
  completedAt: null,
  completion: null,
  openRequest: null,
  requests: Object.freeze([]) as unknown as RequestRecord[],
  closedRequests: '\n',
  requestClosedAt: null,
  pendingExtras: Object.freeze([]) as unknown as PendingExtrasState[],
  offers: Object.freeze([]) as unknown as OfferRecord[],
  cancellation: null,
  lateRecordedForDueAt: null,
  veryLateRecordedForDueAt: null,
  supportCase: null,
  supportCases: Object.freeze([]) as unknown as CaseRecord[],
}) as OrderState;

const laterOf = (a: string | null, b: string | null): string | null => {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
};

/** Only the open request closes (its record and openRequest go together); any other id leaves the state as is. */
const closeRequest = (state: OrderState, requestId: string, at: string): OrderState => {
  const open = state.requests.find((r) => r.requestId === requestId);
  if (!open) return state;
  return {
    ...state,
    openRequest: null,
    requestClosedAt: at,
    requests: state.requests.filter((r) => r !== open),
    closedRequests: `${state.closedRequests}${open.openedBy}:${requestId}\n`,
  };
};

/** Who opened the request `requestId` if it is closed, else null. */
export const closedRequestOpener = (state: OrderState, requestId: string): Party | null =>
  state.closedRequests.includes(`\nbuyer:${requestId}\n`)
    ? 'buyer'
    : state.closedRequests.includes(`\nseller:${requestId}\n`)
      ? 'seller'
      : null;

/** An extension accepted before the start has no dueAt to move: remember the agreed date instead. */
const agreeOnExtension = (state: OrderState, requestId: string): OrderState => {
  const open = state.openRequest;
  if (state.dueAt !== null || open?.requestId !== requestId || open.type !== 'delivery_extension')
    return state;
  return { ...state, agreedDueAt: laterOf(state.agreedDueAt, open.proposedDueAt) };
};

const closeOffer = (state: OrderState, offerId: string, outcome: OfferOutcome): OrderState => ({
  ...state,
  pendingExtras: state.pendingExtras.filter((o) => o.offerId !== offerId),
  offers: state.offers.map((o) => (o.offerId === offerId ? { ...o, outcome } : o)),
});

/** A terminal order has nothing pending left: offers still open can never be answered. */
const end = (state: OrderState): OrderState => ({
  ...state,
  pendingExtras: [],
  offers: state.offers.map((o) => (o.outcome === 'pending' ? { ...o, outcome: 'void' } : o)),
});

/** The sum of every refund recorded so far. */
export const refunded = (state: OrderState): number => state.refunds.reduce((sum, r) => sum + r.amount, 0);

const assertNever = (x: never): never => {
  throw new Error(`unknown order event ${JSON.stringify(x)}`);
};

export function evolve(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case 'OrderPlaced': {
      const d = event.data;
      return {
        ...initialOrderState,
        exists: true,
        orderId: d.orderId,
        buyerId: d.buyerId,
        sellerId: d.sellerId,
        title: d.title,
        price: { ...d.price },
        primaryPrice: { ...d.price },
        netPrice: { ...d.price },
        deliveryDays: d.deliveryDays,
        requirementsNeeded: d.requirementsNeeded,
        status: d.dueAt === null ? 'awaiting_requirements' : 'in_progress',
        placedAt: d.placedAt,
        startedAt: d.dueAt === null ? null : d.placedAt,
        dueAt: d.dueAt,
        // Fresh arrays: the initial state's are frozen.
        requests: [],
        pendingExtras: [],
        offers: [],
        refunds: [],
        supportCases: [],
      };
    }
    case 'RequirementsSubmitted':
      return {
        ...state,
        status: 'in_progress',
        startedAt: event.data.submittedAt,
        dueAt: event.data.dueAt,
        agreedDueAt: null,
      };
    case 'WorkStartedWithoutRequirements':
      return {
        ...state,
        status: 'in_progress',
        startedAt: event.data.startedAt,
        dueAt: event.data.dueAt,
        agreedDueAt: null,
      };
    case 'OrderDelivered':
      return {
        ...state,
        status: 'delivered',
        deliveredAt: event.data.deliveredAt,
        firstDeliveredAt: state.firstDeliveredAt ?? event.data.deliveredAt,
        deliveryCount: event.data.deliveryNumber,
      };
    case 'RevisionRequested':
      return { ...state, status: 'in_progress' };
    case 'OrderCompleted':
      return end({
        ...state,
        status: 'completed',
        completedAt: event.data.completedAt,
        completion: event.data.completion,
      });
    case 'ResolutionRequestOpened': {
      const d = event.data;
      return {
        ...state,
        openRequest: {
          requestId: d.requestId,
          type: d.requestType,
          openedBy: d.openedBy,
          reason: d.reason,
          comment: d.comment,
          openedAt: d.openedAt,
          respondBy: d.respondBy,
          proposedDueAt: d.proposedDueAt,
          amount: d.amount ?? null,
          confidentialReason: d.confidentialReason ?? null,
        },
        requests: [...state.requests, { requestId: d.requestId, type: d.requestType, openedBy: d.openedBy }],
      };
    }
    case 'ResolutionRequestAccepted':
      return closeRequest(
        agreeOnExtension(state, event.data.requestId),
        event.data.requestId,
        event.data.acceptedAt,
      );
    case 'ResolutionRequestDeclined':
      return closeRequest(state, event.data.requestId, event.data.declinedAt);
    case 'ResolutionRequestWithdrawn':
      return closeRequest(state, event.data.requestId, event.data.withdrawnAt);
    case 'ResolutionRequestExpired': {
      const agreed =
        event.data.outcome === 'auto_accepted' ? agreeOnExtension(state, event.data.requestId) : state;
      return closeRequest(agreed, event.data.requestId, event.data.expiredAt);
    }
    case 'DueDateExtended':
      return { ...state, dueAt: event.data.newDueAt };
    case 'OrderCancelled': {
      const d = event.data;
      return end({
        ...state,
        status: 'cancelled',
        cancellation: {
          mode: d.mode,
          initiator: d.initiator,
          reason: d.reason,
          comment: d.comment,
          requestId: d.requestId,
          previousStatus: d.previousStatus,
          at: d.cancelledAt,
          countsTowardCompletionRate: d.countsTowardCompletionRate,
        },
      });
    }
    case 'ExtrasOffered': {
      const d = event.data;
      return {
        ...state,
        pendingExtras: [
          ...state.pendingExtras,
          {
            offerId: d.offerId,
            description: d.description,
            amount: d.amount,
            extraDays: d.extraDays,
            offeredAt: d.offeredAt,
            expiresAt: d.expiresAt,
          },
        ],
        offers: [...state.offers, { offerId: d.offerId, outcome: 'pending' }],
      };
    }
    case 'ExtrasAccepted': {
      const d = event.data;
      const netPrice = { ...d.newPrice, amount: d.newPrice.amount - refunded(state) };
      const accepted = closeOffer({ ...state, price: { ...d.newPrice }, netPrice }, d.offerId, 'accepted');
      // Not started yet: the extra days add to the delivery days (and to an already agreed date); once started,
      // the decider moves dueAt through DueDateExtended instead.
      if (state.dueAt !== null || d.extraDays === 0) return accepted;
      return {
        ...accepted,
        deliveryDays: (state.deliveryDays ?? 0) + d.extraDays,
        agreedDueAt:
          state.agreedDueAt === null
            ? null
            : new Date(Date.parse(state.agreedDueAt) + d.extraDays * DAY_MS).toISOString(),
      };
    }
    case 'ExtrasDeclined':
      return closeOffer(state, event.data.offerId, 'declined');
    case 'ExtrasOfferLapsed':
      return closeOffer(state, event.data.offerId, 'lapsed');
    case 'OrderBecameLate':
      return { ...state, lateRecordedForDueAt: event.data.dueAt };
    case 'OrderBecameVeryLate':
      return { ...state, veryLateRecordedForDueAt: event.data.dueAt };
    case 'ResolutionRequestClosed':
      return closeRequest(state, event.data.requestId, event.data.closedAt);
    case 'RefundRecorded': {
      const d = event.data;
      return {
        ...state,
        refunds: [...state.refunds, { amount: d.amount, at: d.recordedAt, by: d.by }],
        netPrice: { ...d.netPrice },
      };
    }
    case 'SupportCaseOpened':
    case 'SupportCaseClaimed':
    case 'SupportMessagePosted':
    case 'SupportInformationRequested':
    case 'SupportStatementAdded':
    case 'SupportInformationRequestLapsed':
    case 'SupportCaseMarkedOverdue':
    case 'SupportCaseWithdrawn':
    case 'SupportCaseResolved':
      return { ...state, ...evolveSupportCase(state, event) };
    default:
      return assertNever(event);
  }
}

export function foldOrder(events: readonly OrderEvent[]): OrderState {
  return events.reduce(evolve, initialOrderState);
}
