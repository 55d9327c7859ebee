import { randomUUID } from 'node:crypto';
import type { IdempotencyStore, RecordedResponse, ReserveOutcome } from './idempotency-store.port';

interface Entry {
  fingerprint: string;
  token: string;
  reservedAt: number;
  response: RecordedResponse | null;
}

/** For tests: the same semantics as the SQLite adapter, in a Map (single process, so trivially atomic). */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  private static id(scope: string, key: string): string {
    return `${scope}\u0000${key}`;
  }

  async reserve(
    scope: string,
    key: string,
    fingerprint: string,
    nowMs: number,
    staleAfterMs: number,
  ): Promise<ReserveOutcome> {
    const id = InMemoryIdempotencyStore.id(scope, key);
    const entry = this.entries.get(id);
    if (!entry) {
      const token = randomUUID();
      this.entries.set(id, { fingerprint, token, reservedAt: nowMs, response: null });
      return { outcome: 'reserved', token, takenOver: false };
    }
    if (entry.fingerprint !== fingerprint) return { outcome: 'mismatch' };
    if (entry.response) return { outcome: 'completed', response: structuredClone(entry.response) };
    if (nowMs - entry.reservedAt < staleAfterMs) return { outcome: 'in_flight' };
    entry.token = randomUUID();
    entry.reservedAt = nowMs;
    return { outcome: 'reserved', token: entry.token, takenOver: true };
  }

  async complete(
    scope: string,
    key: string,
    token: string,
    response: RecordedResponse,
    nowMs: number,
  ): Promise<void> {
    const entry = this.entries.get(InMemoryIdempotencyStore.id(scope, key));
    if (!entry || entry.token !== token || entry.response) return;
    entry.response = structuredClone(response);
    entry.reservedAt = nowMs;
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    const id = InMemoryIdempotencyStore.id(scope, key);
    const entry = this.entries.get(id);
    if (entry && entry.token === token && !entry.response) this.entries.delete(id);
  }

  async purge(beforeMs: number): Promise<number> {
    let n = 0;
    for (const [id, entry] of this.entries) {
      if (entry.reservedAt < beforeMs) {
        this.entries.delete(id);
        n++;
      }
    }
    return n;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
