// Idempotency-Key records, one per (caller, key): a reservation, then the recorded response. The algorithm is written
// once over single-record operations each adapter makes atomic; a reservation changes only through its token.
import { randomUUID } from 'node:crypto';

export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
/** Recorded responses are kept this long: retries come within minutes, a day is generous. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

export type RecordedResponse = { status: number; body: unknown };

export type ReserveOutcome =
  | { outcome: 'reserved'; token: string; takenOver: boolean } // the caller owns the key; token: for complete/release
  | { outcome: 'completed'; response: RecordedResponse } // same request, finished: replay its response
  | { outcome: 'in_flight' } // same request, reserved less than staleAfterMs ago
  | { outcome: 'mismatch' }; // the key was used for a different request (method, path or body)

export type RecordId = { scope: string; key: string };

/** A record as the adapters keep it: status null while reserved, the response body as JSON text. */
export interface IdempotencyRecord {
  fingerprint: string;
  token: string;
  reservedAt: number;
  status: number | null;
  body: string | null;
}

export abstract class IdempotencyStore {
  /** Inserts a reservation unless the key has a record; true when it did. */
  protected abstract insert(id: RecordId, record: IdempotencyRecord): Promise<boolean>;
  protected abstract find(id: RecordId): Promise<IdempotencyRecord | null>;
  /** Changes the reservation `token` if it is still there and not completed; true when it did. */
  protected abstract update(id: RecordId, token: string, set: Partial<IdempotencyRecord>): Promise<boolean>;
  /** Forgets the reservation `token` if not completed (nothing was applied: the key may be used again). */
  abstract release(scope: string, key: string, token: string): Promise<void>;
  /** Deletes records older than `beforeMs` (the stores also expire records by themselves); returns how many. */
  abstract purge(beforeMs: number): Promise<number>;
  abstract close(): Promise<void>;

  /** Whether the store answers (health check): a read proves it. */
  async ping(): Promise<void> {
    await this.find({ scope: '', key: '' });
  }

  /** A reservation older than `staleAfterMs` is taken over: the caller checks whether the command was applied. */
  async reserve(
    scope: string,
    key: string,
    fingerprint: string,
    nowMs: number,
    staleAfterMs: number,
  ): Promise<ReserveOutcome> {
    // Bounded: each retry means another process changed the record between two of our operations.
    for (let attempt = 0; attempt < 5; attempt++) {
      const token = randomUUID();
      const fresh = { fingerprint, token, reservedAt: nowMs, status: null, body: null };
      if (await this.insert({ scope, key }, fresh)) return { outcome: 'reserved', token, takenOver: false };
      const found = await this.find({ scope, key });
      if (!found) continue; // released meanwhile
      if (found.fingerprint !== fingerprint) return { outcome: 'mismatch' };
      const { status, body } = found;
      if (status !== null) {
        return { outcome: 'completed', response: { status, body: JSON.parse(body ?? 'null') } };
      }
      if (nowMs - found.reservedAt < staleAfterMs) return { outcome: 'in_flight' };
      if (await this.update({ scope, key }, found.token, { token, reservedAt: nowMs })) {
        return { outcome: 'reserved', token, takenOver: true };
      }
    }
    return { outcome: 'in_flight' };
  }

  /** Records the response of the reservation `token` (ignored if it was taken over meanwhile). */
  async complete(scope: string, key: string, token: string, response: RecordedResponse, nowMs: number) {
    const body = JSON.stringify(response.body ?? null);
    await this.update({ scope, key }, token, { status: response.status, body, reservedAt: nowMs });
  }
}
