// Dead letters: an event a projection keeps failing on is parked (with its error) in the same commit that moves
// the checkpoint past it, so the projection goes on; `npm run projections -- dead-letters` lists them.
import type { StoredEvent } from '../event-store/event-store.port';
import type { DeadLetter } from '../read-store/read-store.port';

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

/** Resolves after `ms`, or rejects with AbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryPolicy {
  /** Attempts per failing event, the first (inside its batch) included, before it is parked. */
  maxAttempts: number;
  /** Delay before the 2nd attempt; each further one waits 4× longer. */
  baseDelayMs: number;
}

/** What retrying one failing event needs of its runner. */
export interface RetryTarget {
  /** Commits the event alone: ok, the checkpoint moved elsewhere (stop), or its apply failed again. */
  commitAlone(event: StoredEvent): Promise<'ok' | 'moved' | { error: unknown }>;
  /** Moves the checkpoint past the event, parking it; false when the checkpoint moved elsewhere. */
  park(letter: DeadLetter): Promise<boolean>;
}

const describeError = (e: unknown): string =>
  e instanceof Error
    ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}`
    : String(e);

/**
 * Retries an event whose apply failed inside its batch alone, with backoff, then parks it. Returns 1 when it was
 * applied, 0 when parked or taken over. A failure outside the apply (the commit) is thrown to the caller.
 */
export async function retryOrPark(
  target: RetryTarget,
  event: StoredEvent,
  firstError: unknown,
  context: { checkpointKey: string; projection: string; retry: RetryPolicy; now: () => Date },
  signal?: AbortSignal,
): Promise<{ applied: number; letter: DeadLetter | null }> {
  const { retry } = context;
  let error = firstError;
  for (let attempt = 2; attempt <= retry.maxAttempts; attempt++) {
    await sleep(retry.baseDelayMs * 4 ** (attempt - 2), signal);
    const outcome = await target.commitAlone(event);
    if (outcome === 'ok') return { applied: 1, letter: null };
    if (outcome === 'moved') return { applied: 0, letter: null };
    error = outcome.error;
  }
  const letter: DeadLetter = {
    id: `${context.checkpointKey}:${event.position}`,
    checkpointKey: context.checkpointKey,
    projection: context.projection,
    position: event.position,
    eventId: event.id,
    eventType: event.type,
    streamName: event.streamName,
    error: describeError(error),
    attempts: retry.maxAttempts,
    parkedAt: context.now().toISOString(),
    event,
  };
  return { applied: 0, letter: (await target.park(letter)) ? letter : null };
}
