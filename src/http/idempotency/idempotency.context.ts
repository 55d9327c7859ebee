/** A request's Idempotency-Key, validated, with the fingerprint of what it asks (method, path, body). */
export interface IdempotencyRequest {
  key: string;
  fingerprint: string;
}

/**
 * What the command path needs to know about the request's Idempotency-Key, and what it tells back: whether
 * events may have been written (then the reservation must not be released, see IdempotencyService).
 */
export interface IdempotencyContext {
  key: string;
  /** The reservation was taken over from a request that never finished: check the stream before deciding. */
  takenOver: boolean;
  /** pending: nothing written yet; uncertain: an append failed without a verdict; appended: events written. */
  writeState: 'pending' | 'uncertain' | 'appended';
}
