// What the production adapters (EventStoreDB, MongoDB) share about reaching their server: one error type whose
// message is the single line an operator needs, and a timeout helper that also cancels the attempt.

/**
 * The store could not be reached in time at start-up (or by a health check). An operational condition, not a
 * bug: however it is printed (main.ts prints unknown errors whole), it reads as ONE line naming the store and
 * the variable to check. The driver's error stays available as `reason` (not `cause`: Node would print it).
 */
export class StoreUnavailableError extends Error {
  declare readonly store: string;
  declare readonly reason: unknown;

  constructor(store: string, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'StoreUnavailableError';
    Object.defineProperty(this, 'store', { value: store, enumerable: false });
    Object.defineProperty(this, 'reason', { value: options?.cause, enumerable: false });
    this.stack = `${this.name}: ${message}`;
  }
}

/** Shape a store adapter exposes to /health. */
export interface StoreHealth {
  /** Resolves with details when the server answers within `timeoutMs`, rejects otherwise. */
  checkHealth(timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Rejects with `onTimeout()`'s error when `work` is not settled after `ms`; `cancel` is called then. */
export async function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
  cancel?: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        cancel?.();
      } catch {
        // cancelling is best effort; the timeout error is what matters
      }
      reject(onTimeout());
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Removes credentials from a connection string before it reaches a log line or an error message. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/(\/\/)[^@/]*@/, '$1***@');
}

/** The first line of an error's message, for one-line reports. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim() || (error instanceof Error ? error.name : 'unknown error');
}
