// Deadline kind -> domain timeout command. Pure; throws on a deadline it cannot map (the saga isolates that).
import { SYSTEM_ACTOR } from '../domain/order.types';
import type { Deadline } from './deadline.types';
import type { TimeoutCommand } from './timeout.messages';

export function timeoutCommandOf(deadline: Deadline, now: Date): TimeoutCommand {
  const base = { actor: SYSTEM_ACTOR, now };
  switch (deadline.kind) {
    case 'request_response':
      if (!deadline.ref) throw new Error(`deadline ${deadline.id}: no requestId`);
      return { ...base, type: 'ExpireRequest', data: { requestId: deadline.ref } };
    case 'extras_expiry':
      if (!deadline.ref) throw new Error(`deadline ${deadline.id}: no offerId`);
      return { ...base, type: 'LapseExtrasOffer', data: { offerId: deadline.ref } };
    case 'late':
    case 'very_late':
      return { ...base, type: 'RecordLateness', data: {} };
    case 'auto_complete':
      return { ...base, type: 'CompleteAutomatically', data: {} };
    default:
      throw new Error(
        `deadline ${String((deadline as Deadline).id)}: unknown kind ${String((deadline as Deadline).kind)}`,
      );
  }
}
