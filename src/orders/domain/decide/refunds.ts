// Recording a refund: through an accepted partial refund request, or a support case's partial_refund outcome.
import type { RefundRecorded } from '../order.events';
import type { PlacedOrderState } from '../order.state';
import type { RefundSource } from '../order.types';

/** The refund event; the guards (rules/refunds.ts) have checked the amount against the order's limits. */
export function refundRecorded(
  state: PlacedOrderState,
  amount: number,
  by: RefundSource,
  sourceId: string,
  now: Date,
): RefundRecorded {
  return {
    type: 'RefundRecorded',
    data: {
      orderId: state.orderId,
      amount,
      by,
      sourceId,
      netPrice: { amount: state.netPrice.amount - amount, currency: state.netPrice.currency },
      recordedAt: now.toISOString(),
    },
  };
}
