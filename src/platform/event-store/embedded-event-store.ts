// What the embedded stores (SQLite, in-memory) share: a feed numbered 1, 2, 3…, rows keeping data and metadata as
// JSON (so every read hands out fresh copies), upcasting on read, and the catch-up subscription.
import {
  EventSubscription,
  ExpectedRevision,
  ReadAllOptions,
  StoredEvent,
  SubscribeOptions,
  WrongExpectedRevisionError,
} from './event-store.port';
import { assertMaxCount, SubscriptionLoop } from './store-support';
import { defaultUpcasters, UpcasterRegistry } from './upcasting';

/** position, stream, revision, id, type, data, metadata (both JSON), recordedAt: arrays are cheaper to read. */
export type EventRow = [number, string, number, string, string, string, string, string];

export interface EmbeddedStoreOptions {
  /** Source of recordedAt; wall-clock time by default (tests and the manual clock inject their own). */
  now?: () => Date;
  /** Defaults to the process-wide registry. */
  upcasters?: UpcasterRegistry;
}

/** Events per read while a subscription catches up. */
const PAGE_SIZE = 500;

/** The adapters add append(), which calls appended() after each commit. */
export abstract class EmbeddedEventStore {
  protected readonly now: () => Date;
  protected closed = false;
  private readonly upcasters: UpcasterRegistry;
  private readonly subscriptions = new Set<CatchUpSubscription>();

  /** pollIntervalMs: how often a caught-up subscription looks for other processes' appends (null: never). */
  constructor(
    options: EmbeddedStoreOptions,
    private readonly pollIntervalMs: number | null,
  ) {
    this.now = options.now ?? (() => new Date());
    this.upcasters = options.upcasters ?? defaultUpcasters;
  }

  protected abstract streamRows(streamName: string): EventRow[];
  /** Up to maxCount rows after position `after`, in position order. */
  protected abstract feedRows(after: number, maxCount: number, streamPrefix: string | undefined): EventRow[];
  protected abstract lastPosition(): number | null;

  async readStream(streamName: string): Promise<StoredEvent[]> {
    this.assertOpen();
    return this.toEvents(this.streamRows(streamName));
  }

  async readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    this.assertOpen();
    return this.readFeed(options.after, options.maxCount, options.streamPrefix);
  }

  subscribeToAll(
    options: SubscribeOptions,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription {
    this.assertOpen();
    positionToNumber(options.after); // a malformed position is refused now, not inside the loop
    const subscription = new CatchUpSubscription(
      (after) => this.readFeed(after, PAGE_SIZE, options.streamPrefix),
      options.after,
      this.pollIntervalMs,
      this.subscriptions,
      handler,
      onError,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<string | null> {
    this.assertOpen();
    const head = this.lastPosition();
    return head === null ? null : String(head);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
  }

  /** Wakes the subscriptions waiting for appends. */
  protected appended(): void {
    for (const subscription of this.subscriptions) subscription.poke();
  }

  /** `last`: the stream's last revision, undefined when it does not exist. */
  protected checkRevision(streamName: string, expected: ExpectedRevision, last: number | undefined): void {
    const actual = last ?? 'no_stream';
    if (expected !== 'any' && expected !== actual)
      throw new WrongExpectedRevisionError(streamName, expected, actual);
  }

  protected assertOpen(): void {
    if (this.closed) throw new Error('The event store is closed');
  }

  private readFeed(after: string | null, maxCount: number, streamPrefix: string | undefined): StoredEvent[] {
    assertMaxCount(maxCount);
    return this.toEvents(this.feedRows(positionToNumber(after), maxCount, streamPrefix));
  }

  private toEvents(rows: EventRow[]): StoredEvent[] {
    const events = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      events[i] = this.upcasters.upcast({
        id: row[3],
        streamName: row[1],
        revision: row[2],
        position: String(row[0]),
        type: row[4],
        data: JSON.parse(row[5]) as Record<string, unknown>,
        metadata: JSON.parse(row[6]) as StoredEvent['metadata'],
        recordedAt: row[7],
      });
    }
    return events;
  }
}

/** null (the beginning) is 0. */
function positionToNumber(position: string | null): number {
  if (position === null) return 0;
  if (!/^\d+$/.test(position)) throw new RangeError(`Not a position: ${position}`);
  return Number(position);
}

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Reads pages after the last delivered position; caught up, it waits for an append here or the next poll. */
class CatchUpSubscription extends SubscriptionLoop {
  /** Set by every append, cleared before each read: an append during delivery is never missed. */
  private pending = false;

  constructor(
    private readonly read: (after: string | null) => StoredEvent[],
    private after: string | null,
    private readonly pollIntervalMs: number | null,
    private readonly live: Set<CatchUpSubscription>,
    handler: (event: StoredEvent) => Promise<void>,
    onError: ((error: unknown) => void) | undefined,
  ) {
    super(handler, onError);
  }

  poke(): void {
    this.pending = true;
    this.wakeUp();
  }

  protected async deliver(): Promise<void> {
    try {
      while (!this.stopped) {
        this.pending = false;
        let page: StoredEvent[];
        try {
          page = this.read(this.after);
        } catch (error) {
          if (!this.stopped) this.fail(error);
          return;
        }
        for (const event of page) {
          if (this.stopped || !(await this.handOver(event))) return;
          this.after = event.position;
        }
        // More to catch up: let I/O in between pages.
        if (page.length === PAGE_SIZE) await yieldToIo();
        else if (!this.pending && !this.stopped) await this.sleep(this.pollIntervalMs);
      }
    } finally {
      this.stopped = true;
      this.live.delete(this);
    }
  }
}
