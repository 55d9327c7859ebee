// The pure derivation of deadlines: a small per-order fold (only what timing needs) and a function from that
// fold to the set of deadlines that are pending now. No clock, no I/O: the projection stores the fold and
// diffs the deadline sets before and after each event.
import type { OrderEvent } from '../../domain/order.events';
import { AUTO_COMPLETE_AFTER_MS, type OrderStatus, VERY_LATE_AFTER_MS } from '../../domain/order.types';
import { deadlineId, type DeadlineKind, type DeadlineSpec } from './deadline.types';

export interface DeadlineTrack {
  orderId: string;
  status: OrderStatus;
  dueAt: string | null;
  /** Set by the first delivery: lateness is over for good, also in revision ([decision] domain.md). */
  everDelivered: boolean;
  /** The latest delivery. */
  deliveredAt: string | null;
  openRequest: { requestId: string; respondBy: string } | null;
  /** When the last request was answered, withdrawn or expired. */
  lastRequestClosedAt: string | null;
  /** The dueAt for which OrderBecameLate / OrderBecameVeryLate was recorded. */
  lateRecordedFor: string | null;
  veryLateRecordedFor: string | null;
  /** Pending extras offers: offerId -> expiresAt. */
  offers: Record<string, string>;
}

const iso = (value: string): string => new Date(value).toISOString();
const plus = (value: string, ms: number): string => new Date(new Date(value).getTime() + ms).toISOString();
const maxIso = (a: string, b: string | null): string => (b !== null && iso(b) > iso(a) ? iso(b) : iso(a));

/** Folds one order event into the track. Returns null for an unknown order (nothing to schedule). */
export function trackEvent(track: DeadlineTrack | null, event: OrderEvent): DeadlineTrack | null {
  if (event.type === 'OrderPlaced') {
    const d = event.data;
    return {
      orderId: d.orderId,
      status: d.requirementsNeeded ? 'awaiting_requirements' : 'in_progress',
      dueAt: d.dueAt,
      everDelivered: false,
      deliveredAt: null,
      openRequest: null,
      lastRequestClosedAt: null,
      lateRecordedFor: null,
      veryLateRecordedFor: null,
      offers: {},
    };
  }
  if (track === null) return null;
  const t: DeadlineTrack = { ...track, offers: { ...track.offers } };
  switch (event.type) {
    case 'RequirementsSubmitted':
    case 'WorkStartedWithoutRequirements':
      t.status = 'in_progress';
      t.dueAt = event.data.dueAt;
      return t;
    case 'OrderDelivered':
      t.status = 'delivered';
      t.everDelivered = true;
      t.deliveredAt = event.data.deliveredAt;
      return t;
    case 'RevisionRequested':
      t.status = 'in_progress';
      return t;
    case 'OrderCompleted':
      t.status = 'completed';
      return t;
    case 'OrderCancelled':
      t.status = 'cancelled';
      return t;
    case 'ResolutionRequestOpened':
      t.openRequest = { requestId: event.data.requestId, respondBy: event.data.respondBy };
      return t;
    case 'ResolutionRequestAccepted':
      return closeRequest(t, event.data.requestId, event.data.acceptedAt);
    case 'ResolutionRequestDeclined':
      return closeRequest(t, event.data.requestId, event.data.declinedAt);
    case 'ResolutionRequestWithdrawn':
      return closeRequest(t, event.data.requestId, event.data.withdrawnAt);
    case 'ResolutionRequestExpired':
      return closeRequest(t, event.data.requestId, event.data.expiredAt);
    case 'DueDateExtended':
      t.dueAt = event.data.newDueAt;
      return t;
    case 'ExtrasOffered':
      t.offers[event.data.offerId] = event.data.expiresAt;
      return t;
    case 'ExtrasAccepted':
    case 'ExtrasDeclined':
    case 'ExtrasOfferLapsed':
      delete t.offers[event.data.offerId];
      return t;
    case 'OrderBecameLate':
      t.lateRecordedFor = event.data.dueAt;
      return t;
    case 'OrderBecameVeryLate':
      t.veryLateRecordedFor = event.data.dueAt;
      return t;
    default:
      return t;
  }
}

function closeRequest(t: DeadlineTrack, requestId: string, at: string): DeadlineTrack {
  if (t.openRequest?.requestId === requestId) {
    t.openRequest = null;
    t.lastRequestClosedAt = at;
  }
  return t;
}

const sameInstant = (a: string | null, b: string | null): boolean =>
  a !== null && b !== null && new Date(a).getTime() === new Date(b).getTime();

/** The deadlines pending for an order in this state, ordered by dueAt. Terminal orders have none. */
export function deadlinesOf(track: DeadlineTrack | null): DeadlineSpec[] {
  if (track === null || track.status === 'completed' || track.status === 'cancelled') return [];
  const out: DeadlineSpec[] = [];
  const add = (kind: DeadlineKind, dueAt: string, ref: string | null = null) => {
    const at = iso(dueAt);
    out.push({ id: deadlineId(kind, track.orderId, ref, at), orderId: track.orderId, kind, dueAt: at, ref });
  };
  if (track.openRequest) add('request_response', track.openRequest.respondBy, track.openRequest.requestId);
  for (const [offerId, expiresAt] of Object.entries(track.offers)) add('extras_expiry', expiresAt, offerId);
  // Lateness only before the first delivery, and once per dueAt (an extension moves it and re-arms it).
  if (!track.everDelivered && track.dueAt !== null) {
    // late means now > dueAt: the first instant that satisfies it is dueAt + 1 ms.
    if (!sameInstant(track.lateRecordedFor, track.dueAt)) add('late', plus(track.dueAt, 1));
    if (!sameInstant(track.veryLateRecordedFor, track.dueAt))
      add('very_late', plus(track.dueAt, VERY_LATE_AFTER_MS));
  }
  // [decision] auto-completion waits while a request is open; after it closes on a delivered order it is due
  // at max(deliveredAt + 3 d, closedAt).
  if (track.status === 'delivered' && track.deliveredAt !== null && track.openRequest === null) {
    add('auto_complete', maxIso(plus(track.deliveredAt, AUTO_COMPLETE_AFTER_MS), track.lastRequestClosedAt));
  }
  return out.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : a.id < b.id ? -1 : 1));
}
