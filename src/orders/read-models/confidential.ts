// A partial refund's reason is confidential (domain.md "Partial refunds"): the seller, support and auditors see it,
// the buyer never does — not on the order page, not in the history, not in notifications. Every reader that shows
// order data to a viewer asks here.
import type { Caller } from '../domain/order.types';

/** Whether `caller` may see the order's confidential fields: anyone who reads the order but its buyer. */
export const seesConfidential = (order: { buyerId: string }, caller: Caller): boolean =>
  caller.userId !== order.buyerId;

/** The events' confidential fields, per event type. */
const CONFIDENTIAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ResolutionRequestOpened: ['confidentialReason'],
};

/** An event's data as a viewer who may not see confidential fields reads it: those fields left out. */
export function redactEventData(type: string, data: Record<string, unknown>): Record<string, unknown> {
  const fields = CONFIDENTIAL_FIELDS[type];
  if (!fields || !fields.some((f) => f in data)) return data;
  const out = { ...data };
  for (const f of fields) delete out[f];
  return out;
}
