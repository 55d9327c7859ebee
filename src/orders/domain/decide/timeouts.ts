// The scheduler's lateness and auto-completion timeouts. Idempotent: [] when there is nothing (left) to do.
import type { CompleteAutomatically, RecordLateness } from '../order.commands';
import type { OrderEvent } from '../order.events';
import { autoCompletionDueAt, isLate, isVeryLate } from '../order.rules';
import type { PlacedOrderState } from '../order.state';
import { ms } from './helpers';

export function recordLateness(command: RecordLateness, state: PlacedOrderState): OrderEvent[] {
  const { now } = command;
  const events: OrderEvent[] = [];
  const dueAt = state.dueAt;
  if (dueAt === null) return events;
  const recordedAt = now.toISOString();
  if (isLate(state, now) && state.lateRecordedForDueAt !== dueAt) {
    events.push({ type: 'OrderBecameLate', data: { orderId: state.orderId, dueAt, recordedAt } });
  }
  if (isVeryLate(state, now) && state.veryLateRecordedForDueAt !== dueAt) {
    events.push({ type: 'OrderBecameVeryLate', data: { orderId: state.orderId, dueAt, recordedAt } });
  }
  return events;
}

export function completeAutomatically(command: CompleteAutomatically, state: PlacedOrderState): OrderEvent[] {
  const { now } = command;
  // [decision] an open request waits for its answer (or timeout), and an open support case for its end: the
  // scheduler asks again once they close, at max(deliveredAt + 3 d, closedAt) (autoCompletionDueAt).
  const dueAt = autoCompletionDueAt(state);
  if (dueAt === null || now.getTime() < ms(dueAt)) return [];
  return [
    {
      type: 'OrderCompleted',
      data: { orderId: state.orderId, completedAt: now.toISOString(), completion: 'auto_completed' },
    },
  ];
}
