// Partial refund limits (domain.md "Partial refunds"). All amounts are integers in the order's minor units.
import type { OrderState } from '../order.state';
import {
  PARTIAL_REFUND_MAX_PERCENT,
  PARTIAL_REFUND_MIN_AMOUNT,
  PARTIAL_REFUND_MIN_PRIMARY_PRICE,
} from '../order.types';
import { refuse, type Refusal } from './common';

const sum = (amounts: number[]): number => amounts.reduce((a, b) => a + b, 0);

/** 60 % of the primary price (the price at placement, extras excluded), rounded down to a whole minor unit. */
export const partialRefundCap = (state: OrderState): number =>
  Math.floor(((state.primaryPrice?.amount ?? 0) * PARTIAL_REFUND_MAX_PERCENT) / 100);

/** The partial refunds agreed through Resolution Center requests so far. */
export const agreedPartialRefunds = (state: OrderState): number =>
  sum(state.refunds.filter((r) => r.by === 'request').map((r) => r.amount));

/** What is left to refund at all: the price with extras minus every refund (never below 0). */
export const refundableAmount = (state: OrderState): number => Math.max(0, state.netPrice?.amount ?? 0);

/**
 * The most a partial refund request may offer now: 60 % of the primary price minus the refunds already agreed
 * ([decision] they stay within the 60 % together), and never more than is left of the price (support refunds
 * count there), so that refunds never exceed the price.
 */
export const maxPartialRefundOffer = (state: OrderState): number =>
  Math.min(partialRefundCap(state) - agreedPartialRefunds(state), refundableAmount(state));

/** Whether a partial refund can be offered at all: primary price over 50.00 and room for the 5.00 minimum. */
export function checkPartialRefundAvailable(state: OrderState): Refusal | null {
  if ((state.primaryPrice?.amount ?? 0) <= PARTIAL_REFUND_MIN_PRIMARY_PRICE) {
    return refuse(
      'REFUND_NOT_ALLOWED',
      `partial refunds need a primary price over ${PARTIAL_REFUND_MIN_PRIMARY_PRICE} minor units`,
    );
  }
  if (maxPartialRefundOffer(state) < PARTIAL_REFUND_MIN_AMOUNT) {
    return refuse('REFUND_NOT_ALLOWED', `the agreed refunds leave no room for another partial refund`);
  }
  return null;
}

/** An offered (or, at acceptance, a still acceptable) amount: at least 5.00, within the cap and the price. */
export function checkPartialRefundAmount(state: OrderState, amount: number): Refusal | null {
  const max = maxPartialRefundOffer(state);
  if (amount < PARTIAL_REFUND_MIN_AMOUNT || amount > max) {
    return refuse(
      'REFUND_NOT_ALLOWED',
      `a partial refund must be from ${PARTIAL_REFUND_MIN_AMOUNT} to ${Math.max(max, 0)} minor units`,
    );
  }
  return null;
}

/** Support's refund: any amount up to the current price (extras included) minus earlier refunds; no 60 % cap. */
export function checkSupportRefundAmount(state: OrderState, amount: number): Refusal | null {
  const max = refundableAmount(state);
  return amount <= max
    ? null
    : refuse('REFUND_NOT_ALLOWED', `at most ${max} minor units are left to refund on this order`);
}
