import { Logger } from '@nestjs/common';
import type { AllStreamResolvedEvent, AllStreamSubscription } from '@eventstore/db-client';
import { comparePositions, EventSubscription, PermanentStoreError, StoredEvent } from '../event-store.port';
import { firstLine } from '../../cluster/store-availability';
import { asPermanent, isPermanent } from './esdb-reads';

/**
 * A catch-up subscription to $all that survives drops: when the server or the connection ends it, it
 * resubscribes (with backoff) from the last position it delivered. Events are pulled one at a time (the
 * for-await loop does not read the next event before the handler's promise settled), and anything at or before
 * the last delivered position is dropped, so a resubscription never delivers an event twice in one run.
 */
export class EsdbAllSubscription implements EventSubscription {
  private stopped = false;
  private current: AllStreamSubscription | null = null;
  private wake: (() => void) | null = null;
  private readonly done: Promise<void>;

  constructor(
    private readonly open: (after: string | null) => AllStreamSubscription,
    private readonly convert: (resolved: AllStreamResolvedEvent) => StoredEvent | null,
    after: string | null,
    private readonly handler: (event: StoredEvent) => Promise<void>,
    private readonly onError: ((error: unknown) => void) | undefined,
    private readonly backoff: { min: number; max: number },
    private readonly logger: Pick<Logger, 'warn' | 'error'>,
    /** Checks once, before the first subscription, that `after` is a position of this store. */
    private readonly verifyStart?: (after: string) => Promise<void>,
  ) {
    this.done = this.run(after);
  }

  /** Resolves once the in-flight handler call (if any) settled; a handler must not await its own stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const current = this.current;
    if (current) {
      await current.unsubscribe().catch(() => undefined);
      current.destroy();
    }
    await this.done;
  }

  private async run(after: string | null): Promise<void> {
    // Never call the handler before subscribeToAll has returned the subscription to its caller.
    await Promise.resolve();
    let last = after;
    let failures = 0;
    let verified = after === null || !this.verifyStart;
    while (!this.stopped) {
      if (!verified) {
        try {
          await this.verifyStart!(after!);
          verified = true;
        } catch (error) {
          if (this.stopped) return;
          if (isPermanent(error)) {
            this.fail(asPermanent(error, `Subscribing to $all after ${after}`));
            return;
          }
          // A transient failure: the subscription below surfaces (and retries) it.
        }
      }
      let subscription: AllStreamSubscription;
      try {
        subscription = this.open(last);
      } catch (error) {
        this.fail(error);
        return;
      }
      this.current = subscription;
      let dropped: unknown = null;
      try {
        for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
          if (this.stopped) break;
          let event: StoredEvent | null;
          try {
            event = this.convert(resolved);
          } catch (error) {
            this.fail(error);
            return;
          }
          if (!event || (last !== null && comparePositions(event.position, last) <= 0)) continue;
          try {
            await this.handler(event);
          } catch (error) {
            this.fail(error);
            return;
          }
          last = event.position;
          failures = 0;
        }
        if (!this.stopped) dropped = new Error('the server ended the subscription');
      } catch (error) {
        if (!this.stopped) dropped = error;
      } finally {
        this.current = null;
        await subscription.unsubscribe().catch(() => undefined);
        subscription.destroy();
      }
      if (this.stopped) return;
      if (isPermanent(dropped)) {
        this.fail(asPermanent(dropped, `Subscribing to $all after ${last ?? 'the beginning'}`));
        return;
      }
      failures++;
      const delay = Math.min(this.backoff.max, this.backoff.min * 2 ** Math.min(failures - 1, 16));
      this.logger.warn(
        `Subscription to $all dropped (${firstLine(dropped)}); resubscribing after ${last ?? 'the beginning'} in ${delay} ms`,
      );
      await this.sleep(delay);
    }
  }

  private fail(error: unknown): void {
    this.stopped = true;
    if (error instanceof PermanentStoreError) {
      this.logger.error(`Subscription to $all stopped, retrying cannot help: ${firstLine(error)}`);
    }
    if (!this.onError) {
      if (!(error instanceof PermanentStoreError)) {
        this.logger.error(`Event subscription stopped by an error: ${firstLine(error)}`);
      }
      return;
    }
    try {
      this.onError(error);
    } catch (reportError) {
      this.logger.error(`Event subscription onError threw: ${firstLine(reportError)}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
