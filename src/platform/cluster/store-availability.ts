// What the server-backed adapters (EventStoreDB, MongoDB) share about reaching their server.

/**
 * The store could not be reached in time: an operator's condition, so it prints as ONE line naming the store and
 * the variable to check. The driver's error stays in `reason` (not `cause`: Node would print it).
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

/** Rejects with `onTimeout()`'s error when `work` is not settled after `ms`, calling `cancel` (best effort). */
export function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
  cancel?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(onTimeout());
      try {
        cancel?.();
      } catch {
        // the timeout error is what matters
      }
    }, ms);
    void work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
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
