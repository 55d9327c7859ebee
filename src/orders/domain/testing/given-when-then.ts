// given(...events).when(command).then(events) / .thenThrows(code): specs of the decider read as the rules.
// Uses node:assert, not jest's expect: this file is part of the build (only *.spec.ts are excluded).
import assert from 'node:assert/strict';
import { DomainError, type DomainErrorCode } from '../errors';
import type { OrderCommand, OrderCommandType } from '../order.commands';
import { decide } from '../order.decider';
import type { OrderEvent } from '../order.events';
import { foldOrder, type OrderState } from '../order.state';
import {
  ANSWER_WINDOW_MS,
  DAY_MS,
  HOUR_MS,
  SYSTEM_ACTOR,
  type Actor,
  type RequestType,
} from '../order.types';

// ---- a cast and a calendar --------------------------------------------------------------------------------

export const ORDER_ID = 'order-1';
export const BUYER_ID = 'buyer-1';
export const SELLER_ID = 'seller-1';
export const SUPPORT_ID = 'agent-1';

export const buyer: Actor = { id: BUYER_ID, role: 'buyer' };
export const seller: Actor = { id: SELLER_ID, role: 'seller' };
export const support: Actor = { id: SUPPORT_ID, role: 'support' };
export const system: Actor = SYSTEM_ACTOR;
/** Claims to be a buyer, but not this order's. */
export const stranger: Actor = { id: 'stranger-1', role: 'buyer' };

/** Placement time of the fixtures' order; times are given in hours from here. */
export const T0 = new Date('2025-03-03T09:00:00.000Z');
export const at = (hours: number): Date => new Date(T0.getTime() + hours * HOUR_MS);
export const iso = (hours: number): string => at(hours).toISOString();
export const plusDays = (isoString: string, days: number): string =>
  new Date(Date.parse(isoString) + days * DAY_MS).toISOString();

// ---- commands ---------------------------------------------------------------------------------------------

type CommandOf<T extends OrderCommandType> = Extract<OrderCommand, { type: T }>;

export function command<T extends OrderCommandType>(
  type: T,
  data: CommandOf<T>['data'],
  actor: Actor,
  hours: number,
): CommandOf<T> {
  return { type, data, actor, now: at(hours) } as CommandOf<T>;
}

// ---- events (defaults: the fixtures' order, 3 delivery days, 50.00 USD) -----------------------------------

export const DELIVERY_DAYS = 3;
export const PRICE = 5000;

export const ev = {
  placed: (o: { requirementsNeeded?: boolean; deliveryDays?: number; hours?: number } = {}): OrderEvent => {
    const requirementsNeeded = o.requirementsNeeded ?? true;
    const deliveryDays = o.deliveryDays ?? DELIVERY_DAYS;
    const placedAt = iso(o.hours ?? 0);
    return {
      type: 'OrderPlaced',
      data: {
        orderId: ORDER_ID,
        buyerId: BUYER_ID,
        sellerId: SELLER_ID,
        title: 'A logo',
        price: { amount: PRICE, currency: 'USD' },
        deliveryDays,
        requirementsNeeded,
        placedAt,
        dueAt: requirementsNeeded ? null : plusDays(placedAt, deliveryDays),
      },
    };
  },
  submitted: (hours: number, dueAt = plusDays(iso(hours), DELIVERY_DAYS)): OrderEvent => ({
    type: 'RequirementsSubmitted',
    data: { orderId: ORDER_ID, text: 'the brief', submittedAt: iso(hours), dueAt },
  }),
  started: (hours: number, dueAt = plusDays(iso(hours), DELIVERY_DAYS)): OrderEvent => ({
    type: 'WorkStartedWithoutRequirements',
    data: { orderId: ORDER_ID, startedAt: iso(hours), dueAt },
  }),
  delivered: (hours: number, deliveryNumber = 1): OrderEvent => ({
    type: 'OrderDelivered',
    data: { orderId: ORDER_ID, message: 'here it is', deliveredAt: iso(hours), deliveryNumber },
  }),
  revision: (hours: number): OrderEvent => ({
    type: 'RevisionRequested',
    data: { orderId: ORDER_ID, message: 'bigger, please', requestedAt: iso(hours) },
  }),
  completed: (
    hours: number,
    completion: 'accepted_by_buyer' | 'auto_completed' = 'accepted_by_buyer',
  ): OrderEvent => ({
    type: 'OrderCompleted',
    data: { orderId: ORDER_ID, completedAt: iso(hours), completion },
  }),
  opened: (o: {
    hours: number;
    type?: RequestType;
    requestId?: string;
    openedBy?: 'buyer' | 'seller';
    reason?: string | null;
    comment?: string;
    proposedDueAt?: string | null;
  }): OrderEvent => {
    const type = o.type ?? 'cancellation';
    return {
      type: 'ResolutionRequestOpened',
      data: {
        orderId: ORDER_ID,
        requestId: o.requestId ?? 'req-1',
        requestType: type,
        openedBy: o.openedBy ?? (type === 'order_update' ? 'buyer' : 'seller'),
        reason: o.reason !== undefined ? o.reason : type === 'cancellation' ? 'other' : null,
        comment: o.comment ?? 'please',
        proposedDueAt: o.proposedDueAt ?? null,
        openedAt: iso(o.hours),
        respondBy: new Date(at(o.hours).getTime() + ANSWER_WINDOW_MS).toISOString(),
      },
    };
  },
  accepted: (o: {
    hours: number;
    type?: RequestType;
    requestId?: string;
    by?: 'buyer' | 'seller';
    comment?: string | null;
  }): OrderEvent => ({
    type: 'ResolutionRequestAccepted',
    data: {
      orderId: ORDER_ID,
      requestId: o.requestId ?? 'req-1',
      requestType: o.type ?? 'cancellation',
      acceptedBy: o.by ?? 'buyer',
      comment: o.comment ?? null,
      acceptedAt: iso(o.hours),
    },
  }),
  declined: (o: {
    hours: number;
    type?: RequestType;
    requestId?: string;
    by?: 'buyer' | 'seller';
  }): OrderEvent => ({
    type: 'ResolutionRequestDeclined',
    data: {
      orderId: ORDER_ID,
      requestId: o.requestId ?? 'req-1',
      requestType: o.type ?? 'cancellation',
      declinedBy: o.by ?? 'buyer',
      comment: null,
      declinedAt: iso(o.hours),
    },
  }),
  withdrawn: (o: {
    hours: number;
    type?: RequestType;
    requestId?: string;
    by?: 'buyer' | 'seller';
  }): OrderEvent => ({
    type: 'ResolutionRequestWithdrawn',
    data: {
      orderId: ORDER_ID,
      requestId: o.requestId ?? 'req-1',
      requestType: o.type ?? 'cancellation',
      withdrawnBy: o.by ?? 'seller',
      withdrawnAt: iso(o.hours),
    },
  }),
  expired: (o: {
    hours: number;
    type?: RequestType;
    requestId?: string;
    outcome?: 'auto_accepted' | 'closed';
  }): OrderEvent => ({
    type: 'ResolutionRequestExpired',
    data: {
      orderId: ORDER_ID,
      requestId: o.requestId ?? 'req-1',
      requestType: o.type ?? 'cancellation',
      outcome: o.outcome ?? (o.type === 'order_update' ? 'closed' : 'auto_accepted'),
      expiredAt: iso(o.hours),
    },
  }),
  dueDateExtended: (o: {
    hours: number;
    previousDueAt: string | null;
    newDueAt: string;
    source?: 'delivery_extension' | 'extras' | 'support_case';
    sourceId?: string;
  }): OrderEvent => ({
    type: 'DueDateExtended',
    data: {
      orderId: ORDER_ID,
      previousDueAt: o.previousDueAt,
      newDueAt: o.newDueAt,
      source: o.source ?? 'delivery_extension',
      sourceId: o.sourceId ?? 'req-1',
      extendedAt: iso(o.hours),
    },
  }),
  cancelled: (o: {
    hours: number;
    mode: 'unilateral' | 'forced' | 'mutual' | 'auto_accepted' | 'support';
    initiator: 'buyer' | 'seller' | 'support';
    reason?: string;
    comment?: string | null;
    requestId?: string | null;
    previousStatus?: 'awaiting_requirements' | 'in_progress' | 'delivered';
    counts: boolean;
  }): OrderEvent => ({
    type: 'OrderCancelled',
    data: {
      orderId: ORDER_ID,
      mode: o.mode,
      initiator: o.initiator,
      reason: o.reason ?? 'other',
      comment: o.comment ?? null,
      requestId: o.requestId ?? null,
      previousStatus: o.previousStatus ?? 'in_progress',
      countsTowardCompletionRate: o.counts,
      cancelledAt: iso(o.hours),
    },
  }),
  extrasOffered: (o: {
    hours: number;
    offerId?: string;
    amount?: number;
    extraDays?: number;
  }): OrderEvent => ({
    type: 'ExtrasOffered',
    data: {
      orderId: ORDER_ID,
      offerId: o.offerId ?? 'offer-1',
      description: 'a second concept',
      amount: o.amount ?? 1500,
      extraDays: o.extraDays ?? 2,
      offeredAt: iso(o.hours),
      expiresAt: new Date(at(o.hours).getTime() + ANSWER_WINDOW_MS).toISOString(),
    },
  }),
  extrasAccepted: (o: {
    hours: number;
    offerId?: string;
    amount?: number;
    extraDays?: number;
    newPrice: number;
  }): OrderEvent => ({
    type: 'ExtrasAccepted',
    data: {
      orderId: ORDER_ID,
      offerId: o.offerId ?? 'offer-1',
      amount: o.amount ?? 1500,
      extraDays: o.extraDays ?? 2,
      newPrice: { amount: o.newPrice, currency: 'USD' },
      acceptedAt: iso(o.hours),
    },
  }),
  extrasDeclined: (hours: number, offerId = 'offer-1'): OrderEvent => ({
    type: 'ExtrasDeclined',
    data: { orderId: ORDER_ID, offerId, declinedAt: iso(hours) },
  }),
  extrasLapsed: (hours: number, offerId = 'offer-1'): OrderEvent => ({
    type: 'ExtrasOfferLapsed',
    data: { orderId: ORDER_ID, offerId, lapsedAt: iso(hours) },
  }),
  late: (hours: number, dueAt: string): OrderEvent => ({
    type: 'OrderBecameLate',
    data: { orderId: ORDER_ID, dueAt, recordedAt: iso(hours) },
  }),
  veryLate: (hours: number, dueAt: string): OrderEvent => ({
    type: 'OrderBecameVeryLate',
    data: { orderId: ORDER_ID, dueAt, recordedAt: iso(hours) },
  }),
};

// ---- given / when / then ----------------------------------------------------------------------------------

export interface Then {
  /** The command decides exactly these events. */
  then(expected: OrderEvent[]): OrderEvent[];
  /** The command decides nothing (idempotent timeouts). */
  thenNothing(): void;
  /** The command is refused with this code (and, for VALIDATION_FAILED, this field). */
  thenThrows(code: DomainErrorCode, field?: string): DomainError;
}

export function given(...history: OrderEvent[]): { state: OrderState; when(command: OrderCommand): Then } {
  const state = foldOrder(history);
  return {
    state,
    when: (command) => ({
      then(expected) {
        // An object with `then` looks like a promise: refuse being awaited instead of deciding nonsense.
        assert.ok(Array.isArray(expected), 'then(events) takes the expected events; do not await given()');
        const actual = decide(command, state);
        assert.deepStrictEqual(actual, expected);
        return actual;
      },
      thenNothing() {
        assert.deepStrictEqual(decide(command, state), []);
      },
      thenThrows(code, field) {
        let decided: OrderEvent[];
        try {
          decided = decide(command, state);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
          if (field !== undefined)
            assert.equal(error.field, field, `expected field ${field}: ${error.message}`);
          return error;
        }
        return assert.fail(`expected ${code}, but ${command.type} decided ${JSON.stringify(decided)}`);
      },
    }),
  };
}
