// What the adapters share, so that they refuse the same things the same way and their subscriptions stop alike.
import { Logger } from '@nestjs/common';
import { firstLine } from '../cluster/store-availability';
import { EventSubscription, EventToAppend, PermanentStoreError, StoredEvent } from './event-store.port';

/** An event id that is already stored (ids are unique across the store). Not a concurrency conflict. */
export class DuplicateEventIdError extends Error {
  constructor(readonly eventId: string) {
    super(`Event id ${eventId} is already stored`);
    this.name = 'DuplicateEventIdError';
  }
}

export function assertAppendable(streamName: string, events: readonly EventToAppend[]): void {
  if (!streamName) throw new RangeError('append: the stream name is empty');
  if (events.length === 0) throw new RangeError(`append to ${streamName}: no events`);
}

export function assertMaxCount(maxCount: number): void {
  if (!Number.isSafeInteger(maxCount) || maxCount < 1)
    throw new RangeError(`readAll: maxCount must be a positive integer, got ${maxCount}`);
}

// The frame of every adapter's subscription: delivery starts after subscribeToAll returned, stop() waits for the
// handler call in flight, and the error that ends delivery goes to onError (or the log).
export abstract class SubscriptionLoop implements EventSubscription {
  protected stopped = false;
  private wake: (() => void) | null = null;
  private readonly done: Promise<void>;

  constructor(
    private readonly handler: (event: StoredEvent) => Promise<void>,
    private readonly onError: ((error: unknown) => void) | undefined,
    protected readonly logger: Pick<Logger, 'warn' | 'error'> = new Logger('EventStore'),
  ) {
    // A microtask later: the handler is never called before subscribeToAll has returned the subscription.
    this.done = Promise.resolve().then(() => this.deliver());
  }

  /** The adapter's loop: returns once stopped, or after fail(). */
  protected abstract deliver(): Promise<void>;

  /** A handler that stops its own subscription must not await this (it would wait for itself). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    await this.done;
  }

  /** False when the handler rejected: delivery is over, the error reported. */
  protected async handOver(event: StoredEvent): Promise<boolean> {
    try {
      await this.handler(event);
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  protected fail(error: unknown): void {
    this.stopped = true;
    const permanent = error instanceof PermanentStoreError;
    if (permanent) {
      this.logger.error(`Subscription to $all stopped, retrying cannot help: ${firstLine(error)}`);
    }
    try {
      if (this.onError) this.onError(error);
      else if (!permanent) this.logger.error(`Event subscription stopped by an error: ${firstLine(error)}`);
    } catch (reportError) {
      this.logger.error(`Event subscription onError threw: ${firstLine(reportError)}`);
    }
  }

  /** Resolves after `ms` (null: only when woken), on wakeUp() or on stop(). */
  protected sleep(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      // Not unref'd: a live subscription is work a worker process exists for; stop() releases it.
      const timer = ms === null ? undefined : setTimeout(() => this.wakeUp(), ms);
      this.wake = () => {
        this.wake = null;
        clearTimeout(timer);
        resolve();
      };
    });
  }

  protected wakeUp(): void {
    this.wake?.();
  }
}
