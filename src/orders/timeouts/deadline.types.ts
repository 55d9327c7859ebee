// Deadlines as data: what the scheduler must do, when, for which order. Derived from the order's events only,
// so they can be rebuilt at any time and every process sees the same set.

import type { TimeoutKind } from './timeout.saga';

export const DEADLINES_COLLECTION = 'deadlines';

/** The kinds are the timeout saga's mapping: a kind without a command cannot be scheduled. */
export type DeadlineKind = TimeoutKind;

/** A deadline as the pure derivation yields it (without where in the feed it was scheduled). */
export interface DeadlineSpec {
  id: string;
  orderId: string;
  kind: DeadlineKind;
  /** ISO-8601 UTC, always in `toISOString()` form so string order is time order. */
  dueAt: string;
  /**
   * requestId (request_response), offerId (extras_expiry), caseId (case_first_response) or
   * `caseId/informationRequestId` (information_request_lapse); null otherwise.
   */
  ref: string | null;
}

/** The document in the `deadlines` collection. */
export interface Deadline extends DeadlineSpec {
  /** Global position of the event that scheduled (or last moved) it. */
  sourcePosition: string;
  /** Id of that event: the timeout command's causation id. */
  sourceEventId: string;
}

/** Deterministic: the same deadline derived twice (replay, two processes) has the same id. */
export function deadlineId(kind: DeadlineKind, orderId: string, ref: string | null, dueAt: string): string {
  return `${kind}:${orderId}:${ref ?? ''}:${dueAt}`;
}
