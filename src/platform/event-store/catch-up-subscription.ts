// The subscription loop shared by the embedded adapters: read pages after the last delivered position, hand
// each event to the handler one at a time, and when caught up wait for a wake-up: an append through this
// store (LiveNotifier) or, when another process may write to the same data, a short poll.
import type { EventSubscription, StoredEvent } from './event-store.port';

export type PageReader = (
  after: string | null,
  maxCount: number,
  streamPrefix: string | undefined,
) => StoredEvent[];

/** In-process fan-out of "something was appended". */
export class LiveNotifier {
  private readonly listeners = new Set<() => void>();

  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export interface CatchUpOptions {
  after: string | null;
  streamPrefix?: string;
  pageSize: number;
  /** null: rely on the notifier alone (nothing outside this process writes). */
  pollIntervalMs: number | null;
}

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class CatchUpSubscription implements EventSubscription {
  private stopped = false;
  /** Set by every notification; cleared before each read, so an append during delivery is never missed. */
  private pending = false;
  private wake: (() => void) | null = null;
  private readonly unlisten: () => void;
  private readonly done: Promise<void>;

  constructor(
    private readonly readPage: PageReader,
    notifier: LiveNotifier,
    private readonly options: CatchUpOptions,
    private readonly handler: (event: StoredEvent) => Promise<void>,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {
    this.unlisten = notifier.listen(() => {
      this.pending = true;
      this.wake?.();
    });
    this.done = this.run();
  }

  /**
   * Stops delivery and resolves once the in-flight handler call (if any) has settled. A handler that stops its
   * own subscription must not await this (it would wait for itself); no further event is delivered either way.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    return this.done;
  }

  private async run(): Promise<void> {
    // Never call the handler before subscribeToAll has returned the subscription to its caller.
    await Promise.resolve();
    const { pageSize, streamPrefix } = this.options;
    let after = this.options.after;
    try {
      while (!this.stopped) {
        this.pending = false;
        let page: StoredEvent[];
        try {
          page = this.readPage(after, pageSize, streamPrefix);
        } catch (error) {
          if (!this.stopped) this.fail(error);
          return;
        }
        for (const event of page) {
          if (this.stopped) return;
          try {
            await this.handler(event);
          } catch (error) {
            this.fail(error);
            return;
          }
          after = event.position;
        }
        if (page.length === pageSize) {
          await yieldToIo(); // more to catch up: let I/O in between pages
        } else if (!this.pending && !this.stopped) {
          await this.sleep();
        }
      }
    } finally {
      this.stopped = true;
      this.unlisten();
    }
  }

  private fail(error: unknown): void {
    this.stopped = true;
    if (!this.onError) {
      console.error('Event subscription stopped by an error', error);
      return;
    }
    try {
      this.onError(error);
    } catch (reportError) {
      console.error('Event subscription onError threw', reportError);
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = () => {
        if (timer) clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      this.wake = wake;
      if (this.options.pollIntervalMs !== null) {
        // Not unref'd: a live subscription is work a worker process exists for; stop() releases it.
        timer = setTimeout(wake, this.options.pollIntervalMs);
      }
    });
  }
}
