/** A request's Idempotency-Key, validated, with the fingerprint of what it asks (method, path, body). */
export type IdempotencyRequest = { key: string; fingerprint: string };

/** What the command path knows about the request's key, and tells back: whether events may have been written. */
export interface IdempotencyContext {
  key: string;
  takenOver: boolean; // from a request that never finished: check the stream before deciding
  writeState: 'pending' | 'uncertain' | 'appended'; // uncertain: an append failed without a verdict
}
