// One live subscription to the store's feed, shared by every projection runner: each event is read and parsed
// once, kept in a buffer until every live runner has committed it, and its arrival wakes the runners. A runner
// behind the buffer (just started, rebuilt, slow) reads pages from the store instead until it catches up.
import { Logger } from '@nestjs/common';
import {
  comparePositions,
  type EventStore,
  type EventSubscription,
  PermanentStoreError,
  type StoredEvent,
} from '../event-store/event-store.port';

export class LiveFeed {
  private readonly logger = new Logger('LiveFeed');
  /** Every event of the feed after `base`, in order, as far as delivered. */
  private buffer: StoredEvent[] = [];
  /** performance.now() when each buffered event arrived. */
  private arrivals: number[] = [];
  /** null = from the beginning. */
  private base: string | null = null;
  private valid = false;
  private subscription: EventSubscription | null = null;
  private stopped = true;
  private wakeScheduled = false;
  private resubscribeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly streamPrefix: string | undefined,
    /** Called (batched per macrotask) when events arrived. */
    private readonly onEvents: () => void,
    private readonly maxBuffered = 50_000,
  ) {}

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = null;
    const subscription = this.subscription;
    this.subscription = null;
    this.valid = false;
    this.buffer = [];
    this.arrivals = [];
    await subscription?.stop().catch(() => undefined);
  }

  /** True when every event after `position` is (or will be) delivered through the buffer. */
  covers(position: string | null): boolean {
    return this.valid && comparePositions(position, this.base) >= 0;
  }

  /** Up to `max` buffered events after `position` (which `covers`). */
  after(position: string | null, max: number): StoredEvent[] {
    const i = this.indexAfter(position);
    return this.buffer.slice(i, i + max);
  }

  /** When the oldest buffered event after `position` arrived (performance clock), null when there is none. */
  arrivalAfter(position: string | null): number | null {
    if (!this.valid) return null;
    const i = this.indexAfter(position);
    return i < this.arrivals.length ? this.arrivals[i] : null;
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

  /** Drops what every live runner has committed. */
  trim(upTo: string | null): void {
    if (upTo === null || this.buffer.length === 0) return;
    let n = 0;
    while (n < this.buffer.length && comparePositions(this.buffer[n].position, upTo) <= 0) n++;
    this.drop(n);
  }

  get buffered(): number {
    return this.buffer.length;
  }

  private drop(n: number): void {
    if (n <= 0) return;
    this.base = this.buffer[n - 1].position;
    this.buffer = this.buffer.slice(n);
    this.arrivals = this.arrivals.slice(n);
  }

  private async subscribe(): Promise<void> {
    let base: string | null;
    try {
      base = await this.store.headPosition();
    } catch (error) {
      this.failed(error);
      return;
    }
    if (this.stopped) return;
    this.base = base;
    this.buffer = [];
    this.arrivals = [];
    this.valid = true;
    this.subscription = this.store.subscribeToAll(
      { after: base, streamPrefix: this.streamPrefix },
      async (event) => {
        this.buffer.push(event);
        this.arrivals.push(performance.now());
        // A runner stuck far behind must not make the buffer grow without bound: it will read pages instead.
        if (this.buffer.length > this.maxBuffered) this.drop(this.buffer.length - this.maxBuffered);
        this.scheduleWake();
      },
      (error) => this.failed(error),
    );
  }

  private failed(error: unknown): void {
    this.valid = false;
    this.buffer = [];
    this.arrivals = [];
    this.subscription = null;
    if (this.stopped) return;
    if (error instanceof PermanentStoreError) {
      // Resubscribing cannot help; runners read pages meanwhile and stop on the same refusal.
      this.logger.error(`subscription stopped for good: ${error.message}`);
      this.scheduleWake();
      return;
    }
    this.logger.warn(
      `subscription failed, resubscribing in 1 s: ${error instanceof Error ? error.message : String(error)}`,
    );
    // Runners fall back to reading pages (and their idle poll) meanwhile.
    this.scheduleWake();
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = null;
      void this.subscribe();
    }, 1000);
    this.resubscribeTimer.unref();
  }

  /** One wake-up per macrotask: the subscription delivers a page as a run of microtasks, runners see it whole. */
  private scheduleWake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.onEvents();
    });
  }
}
