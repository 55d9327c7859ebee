// One live subscription shared by every runner: each event is read and parsed once, kept until every live runner
// committed it, and its arrival wakes them. A runner behind the buffer, or while it is down, reads pages instead.
import { Logger } from '@nestjs/common';
import {
  comparePositions,
  type EventStore,
  type EventSubscription,
  PermanentStoreError,
  type StoredEvent,
} from '../event-store/event-store.port';
import { errorMessage } from './projection-runner';

const MAX_BUFFERED = 50_000;

export class LiveFeed {
  private readonly logger = new Logger('LiveFeed');
  private buffer: StoredEvent[] = []; // the feed's events after `base`, as far as delivered
  private arrivals: number[] = []; // performance.now() when each arrived
  private base: string | null | undefined = undefined; // null: the beginning; undefined: not subscribed
  private subscription: EventSubscription | null = null;
  private stopped = false;
  private wakeScheduled = false;
  readonly idle = new Set<() => void>(); // runners waiting for events (or for a failure: they read pages then)

  constructor(
    private readonly store: EventStore,
    private readonly streamPrefix: string | undefined,
  ) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    try {
      const base = await this.store.headPosition();
      if (this.stopped) return;
      this.reset(base);
      this.subscription = this.store.subscribeToAll(
        { after: base, streamPrefix: this.streamPrefix },
        async (event) => {
          this.buffer.push(event);
          this.arrivals.push(performance.now());
          // A runner far behind must not make the buffer grow without bound: it reads pages instead.
          if (this.buffer.length > MAX_BUFFERED) this.drop(this.buffer.length - MAX_BUFFERED);
          this.scheduleWake();
        },
        (error) => this.failed(error),
      );
    } catch (error) {
      this.failed(error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const subscription = this.subscription;
    this.reset(undefined);
    await subscription?.stop().catch(() => undefined);
  }

  /** True when every event after `position` is (or will be) delivered through the buffer. */
  covers(position: string | null): boolean {
    return this.base !== undefined && comparePositions(position, this.base) >= 0;
  }

  /** Up to `max` buffered events after `position` (which `covers`). */
  after(position: string | null, max: number): StoredEvent[] {
    const i = this.indexAfter(position);
    return this.buffer.slice(i, i + max);
  }

  /** When the oldest buffered event after `position` arrived (performance clock), null when there is none. */
  arrivalAfter(position: string | null): number | null {
    return this.arrivals[this.indexAfter(position)] ?? null;
  }

  /** Drops what every live runner has committed. */
  trim(upTo: string | null): void {
    this.drop(this.indexAfter(upTo));
  }

  private indexAfter(position: string | null): number {
    let lo = 0;
    let hi = this.buffer.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePositions(this.buffer[mid].position, position) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private drop(n: number): void {
    if (n <= 0) return;
    this.base = this.buffer[n - 1].position;
    this.buffer = this.buffer.slice(n);
    this.arrivals = this.arrivals.slice(n);
  }

  private reset(base: string | null | undefined): void {
    this.base = base;
    this.buffer = [];
    this.arrivals = [];
    this.subscription = null;
  }

  private failed(error: unknown): void {
    this.reset(undefined);
    if (this.stopped) return;
    this.scheduleWake(); // runners read pages (and poll) meanwhile
    if (error instanceof PermanentStoreError) {
      // Resubscribing cannot help; the runners stop on the same refusal.
      this.logger.error(`subscription stopped for good: ${error.message}`);
      return;
    }
    this.logger.warn(`subscription failed, resubscribing in 1 s: ${errorMessage(error)}`);
    setTimeout(() => void this.start(), 1000).unref();
  }

  /** One wake-up per macrotask: a page delivered as a run of microtasks is seen whole. */
  private scheduleWake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      for (const wake of this.idle) wake();
    });
  }
}
