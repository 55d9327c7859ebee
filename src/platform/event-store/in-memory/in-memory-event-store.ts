// The event store in a process's memory, for unit tests: the same semantics as the SQLite adapter. Events are
// kept serialized, as a real store keeps them, so callers get fresh copies and non-JSON data shows up here too.
import {
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  StoredEvent,
  SubscribeOptions,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { CatchUpSubscription, LiveNotifier } from '../catch-up-subscription';
import {
  assertAppendable,
  assertMaxCount,
  DuplicateEventIdError,
  positionToNumber,
  revisionMatches,
} from '../store-support';
import { defaultUpcasters, UpcasterRegistry } from '../upcasting';

export interface InMemoryEventStoreOptions {
  /** Source of recordedAt; wall-clock time by default. */
  now?: () => Date;
  /** Events per read while a subscription catches up. Default 500. */
  pageSize?: number;
  /** Defaults to the process-wide registry. */
  upcasters?: UpcasterRegistry;
}

interface StoredRecord {
  /** position = index in `all` + 1 */
  streamName: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
  recordedAt: string;
}

export class InMemoryEventStore implements EventStore {
  private readonly all: StoredRecord[] = [];
  /** Stream name -> indexes into `all`, in revision order. */
  private readonly streams = new Map<string, number[]>();
  private readonly ids = new Set<string>();
  private readonly now: () => Date;
  private readonly pageSize: number;
  private readonly upcasters: UpcasterRegistry;
  private readonly notifier = new LiveNotifier();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closed = false;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.pageSize = options.pageSize ?? 500;
    this.upcasters = options.upcasters ?? defaultUpcasters;
  }

  async append(
    streamName: string,
    events: EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    this.assertOpen();
    assertAppendable(streamName, events);
    // Everything below is synchronous, so an append is atomic with respect to every other call.
    const indexes = this.streams.get(streamName);
    const actual = indexes ? indexes.length - 1 : 'no_stream';
    if (!revisionMatches(expected, actual)) {
      throw new WrongExpectedRevisionError(streamName, expected, actual);
    }
    const batchIds = new Set<string>();
    for (const event of events) {
      if (this.ids.has(event.id) || batchIds.has(event.id)) throw new DuplicateEventIdError(event.id);
      batchIds.add(event.id);
    }
    const serialized = events.map((event) => ({
      id: event.id,
      type: event.type,
      data: JSON.stringify(event.data),
      metadata: JSON.stringify(event.metadata),
    }));
    const recordedAt = this.now().toISOString();
    const stream = indexes ?? [];
    for (const event of serialized) {
      stream.push(this.all.length);
      this.all.push({ ...event, streamName, revision: stream.length - 1, recordedAt });
      this.ids.add(event.id);
    }
    this.streams.set(streamName, stream);
    this.notifier.notify();
    return { nextRevision: stream.length - 1, position: String(this.all.length) };
  }

  async readStream(streamName: string): Promise<StoredEvent[]> {
    this.assertOpen();
    return (this.streams.get(streamName) ?? []).map((index) => this.toStoredEvent(index));
  }

  async readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    this.assertOpen();
    return this.readPage(options.after, options.maxCount, options.streamPrefix);
  }

  subscribeToAll(
    options: SubscribeOptions,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription {
    this.assertOpen();
    positionToNumber(options.after);
    const subscription = new CatchUpSubscription(
      (after, maxCount, prefix) => this.readPage(after, maxCount, prefix),
      this.notifier,
      // Nothing outside this object appends, so the notifier alone keeps subscriptions live.
      { ...options, pageSize: this.pageSize, pollIntervalMs: null },
      handler,
      onError,
    );
    this.subscriptions.add(subscription);
    return {
      stop: async () => {
        await subscription.stop();
        this.subscriptions.delete(subscription);
      },
    };
  }

  async headPosition(): Promise<string | null> {
    this.assertOpen();
    return this.all.length === 0 ? null : String(this.all.length);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.subscriptions.clear();
  }

  private readPage(after: string | null, maxCount: number, streamPrefix: string | undefined): StoredEvent[] {
    assertMaxCount(maxCount);
    const page: StoredEvent[] = [];
    for (let index = positionToNumber(after); index < this.all.length && page.length < maxCount; index++) {
      if (streamPrefix && !this.all[index].streamName.startsWith(streamPrefix)) continue;
      page.push(this.toStoredEvent(index));
    }
    return page;
  }

  private toStoredEvent(index: number): StoredEvent {
    const record = this.all[index];
    return this.upcasters.upcast({
      id: record.id,
      streamName: record.streamName,
      revision: record.revision,
      position: String(index + 1),
      type: record.type,
      data: JSON.parse(record.data) as Record<string, unknown>,
      metadata: JSON.parse(record.metadata) as StoredEvent['metadata'],
      recordedAt: record.recordedAt,
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The event store is closed');
  }
}
