// The subscription to $all that survives drops, and what every read of EventStoreDB needs: telling permanent
// errors from transient ones, and cancelling reads that are left early.
import type { Logger } from '@nestjs/common';
import { AccessDeniedError, InvalidArgumentError, UnsupportedError } from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  ResolvedEvent,
  StreamingRead,
} from '@eventstore/db-client';
import { comparePositions, PermanentStoreError, StoredEvent } from '../event-store.port';
import { SubscriptionLoop } from '../store-support';
import { firstLine } from '../../cluster/store-availability';

/** INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED, UNAUTHENTICATED. */
const PERMANENT_GRPC_CODES = new Set([3, 7, 9, 11, 12, 16]);

/** Errors a retry cannot fix; anything else (unavailable, not leader, a dropped connection) is retried. */
export function isPermanent(error: unknown): boolean {
  if (
    error instanceof PermanentStoreError ||
    error instanceof AccessDeniedError ||
    error instanceof InvalidArgumentError ||
    error instanceof UnsupportedError ||
    error instanceof RangeError
  ) {
    return true;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && PERMANENT_GRPC_CODES.has(code);
}

/** A permanent error as PermanentStoreError (saying what was refused); any other error unchanged. */
export function asPermanent(error: unknown, what: string): unknown {
  if (error instanceof PermanentStoreError || !isPermanent(error)) return error;
  const message = `${what} was refused by EventStoreDB, retrying cannot help: ${firstLine(error)}`;
  return new PermanentStoreError(message, { cause: error });
}

// Iterates a read to its end; leaving early (return, break, throw) cancels the gRPC call. The client's reads have
// no deadline, and a destroyed stream leaves its call open on the connection until the server finished sending:
// about a hundred of those and the connection's appends time out and its reads hang.
export async function* cancelIfAbandoned<E extends ResolvedEvent>(
  read: StreamingRead<E>,
): AsyncGenerator<E, void, undefined> {
  let ended = false;
  try {
    for await (const item of read as AsyncIterable<E>) yield item;
    ended = true;
  } finally {
    if (!ended) {
      await read.cancel().catch(() => undefined);
      read.destroy();
    }
  }
}

// When the server or the connection ends it, it resubscribes (with backoff) after the last position it delivered
// and drops anything at or before it, so no event is delivered twice in one run.
export class EsdbAllSubscription extends SubscriptionLoop {
  private current: AllStreamSubscription | null = null;

  constructor(
    private readonly open: (after: string | null) => AllStreamSubscription,
    private readonly convert: (resolved: AllStreamResolvedEvent) => StoredEvent | null,
    private readonly after: string | null,
    handler: (event: StoredEvent) => Promise<void>,
    onError: ((error: unknown) => void) | undefined,
    private readonly backoff: { min: number; max: number },
    logger: Pick<Logger, 'warn' | 'error'>,
    /** Checks once, before the first subscription, that `after` is a position of this store. */
    private readonly verifyStart?: (after: string) => Promise<void>,
  ) {
    super(handler, onError, logger);
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    const current = this.current;
    if (current) {
      await current.unsubscribe().catch(() => undefined);
      current.destroy();
    }
    await super.stop();
  }

  protected async deliver(): Promise<void> {
    let last = this.after;
    let failures = 0;
    let verified = last === null || !this.verifyStart;
    while (!this.stopped) {
      if (!verified) {
        try {
          await this.verifyStart!(this.after!);
          verified = true;
        } catch (error) {
          if (this.stopped) return;
          if (isPermanent(error)) {
            this.fail(asPermanent(error, `Subscribing to $all after ${this.after}`));
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
        // Pulls one event at a time: the next is not read before the handler's promise settled.
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
          if (!(await this.handOver(event))) return;
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
}
