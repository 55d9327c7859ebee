// Idempotency-Key records: one per (scope = the caller's user id, key). A record is first a reservation (the
// command is running), then the recorded response. Adapters: SQLite (embedded default), in-memory (tests),
// MongoDB (with READ_STORE=mongo).
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

export interface RecordedResponse {
  status: number;
  body: unknown;
}

export type ReserveOutcome =
  /** The caller now owns the key; `token` identifies this reservation for complete/release. */
  | { outcome: 'reserved'; token: string; takenOver: boolean }
  /** Same request seen before and finished: replay its response. */
  | { outcome: 'completed'; response: RecordedResponse }
  /** Same request still running (its reservation is younger than staleAfterMs). */
  | { outcome: 'in_flight' }
  /** The key was used for a different request (method, path or body). */
  | { outcome: 'mismatch' };

export interface IdempotencyStore {
  /**
   * Atomically: no record -> reserve; a different fingerprint -> mismatch; completed -> its response; reserved
   * and younger than `staleAfterMs` -> in_flight; reserved and older (its process probably died) -> take over
   * (`takenOver: true`: the caller must check whether the command was applied before deciding again).
   */
  reserve(
    scope: string,
    key: string,
    fingerprint: string,
    nowMs: number,
    staleAfterMs: number,
  ): Promise<ReserveOutcome>;
  /** Records the response of the reservation `token` (ignored if the reservation was taken over meanwhile). */
  complete(
    scope: string,
    key: string,
    token: string,
    response: RecordedResponse,
    nowMs: number,
  ): Promise<void>;
  /** Forgets the reservation `token` (nothing was applied: the same key may be used again). */
  release(scope: string, key: string, token: string): Promise<void>;
  /**
   * true: the store expires records by itself, on its server's clock (MongoDB: a TTL index), so the application
   * does not purge periodically (each replica's clock would decide otherwise). Absent: false.
   */
  readonly expiresRecords?: boolean;
  /** Deletes records older than `beforeMs` (housekeeping); returns how many. */
  purge(beforeMs: number): Promise<number>;
  /** Whether the store answers (health check). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
