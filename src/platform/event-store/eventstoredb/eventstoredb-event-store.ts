// The production event store: EventStoreDB / KurrentDB over gRPC (@eventstore/db-client 6), mostly a mapping:
// expected revisions and WrongExpectedVersionError, $all positions as one decimal (esdb-position.ts), our
// metadata plus $correlationId/$causationId for the server's own projections, a feed without system events.
import { Logger } from '@nestjs/common';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  streamNameFilter,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type { AppendExpectedRevision, Position, ReadPosition, RecordedEvent } from '@eventstore/db-client';
import {
  AppendResult,
  comparePositions,
  EventMetadata,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  PermanentStoreError,
  ReadAllOptions,
  StoredEvent,
  SubscribeOptions,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { assertAppendable, assertMaxCount } from '../store-support';
import { defaultUpcasters, UpcasterRegistry } from '../upcasting';
import {
  firstLine,
  redactConnectionString,
  StoreUnavailableError,
  withTimeout,
} from '../../cluster/store-availability';
import { decodeEsdbPosition, encodeEsdbPosition, isKnownEsdbPosition } from './esdb-position';
import { asPermanent, cancelIfAbandoned, EsdbAllSubscription } from './esdb-subscription';

export interface EventStoreDbEventStoreOptions {
  /** Defaults to the process-wide registry. */
  upcasters?: UpcasterRegistry;
  /** Source of recordedAt, kept in the metadata (CLOCK=manual, tests); unset: the server's `created` time. */
  now?: () => Date;
  /** How long start-up waits for the server. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** A dropped subscription resubscribes after a delay doubling from min to max. Default 100 / 5000 ms. */
  resubscribeMinDelayMs?: number;
  resubscribeMaxDelayMs?: number;
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/** The largest page of a $all read. */
const PAGE_SIZE = 500;
/** Where the application-clock recordedAt is kept in the metadata (only with `now`). */
const RECORDED_AT_KEY = '$rc.recordedAt';
/** Metadata keys we add for EventStoreDB itself; never part of our EventMetadata. */
const STORE_METADATA_KEYS = new Set(['$correlationId', '$causationId', RECORDED_AT_KEY]);

/** The feed never contains system events ($-streams, $-types). */
function inFeed(event: { streamId: string; type: string }, streamPrefix?: string): boolean {
  if (event.streamId.startsWith('$') || event.type.startsWith('$')) return false;
  return streamPrefix === undefined || event.streamId.startsWith(streamPrefix);
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new RangeError(
      `append: expected revision must be no_stream, any or a revision >= 0, got ${expected}`,
    );
  }
  return BigInt(expected);
}

export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly ownsClient: boolean;
  private readonly target: string;
  private readonly upcasters: UpcasterRegistry;
  private readonly backoff: { min: number; max: number };
  private readonly logger: Pick<Logger, 'warn' | 'error'>;
  private readonly subscriptions = new Set<EsdbAllSubscription>();
  private connected: Promise<void> | null = null;
  private closed = false;

  constructor(
    connection: string | EventStoreDBClient,
    private readonly options: EventStoreDbEventStoreOptions = {},
  ) {
    this.ownsClient = typeof connection === 'string';
    this.target =
      typeof connection === 'string' ? redactConnectionString(connection) : connection.connectionName;
    try {
      this.client =
        typeof connection === 'string' ? EventStoreDBClient.connectionString(connection) : connection;
    } catch (error) {
      throw new StoreUnavailableError(
        'eventstoredb',
        `EventStoreDB connection string ${this.target} is invalid (ESDB_CONNECTION_STRING): ${firstLine(error)}`,
        { cause: error },
      );
    }
    this.upcasters = options.upcasters ?? defaultUpcasters;
    this.backoff = { min: options.resubscribeMinDelayMs ?? 100, max: options.resubscribeMaxDelayMs ?? 5000 };
    this.logger = options.logger ?? new Logger('EventStoreDB');
  }

  /** Fails fast, in one line naming the server, when it does not answer; Nest calls it through onModuleInit. */
  connect(): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 5000;
    this.connected ??= this.ping(timeoutMs).catch((error: unknown) => {
      this.connected = null;
      throw new StoreUnavailableError(
        'eventstoredb',
        `EventStoreDB unreachable at ${this.target} (ESDB_CONNECTION_STRING): ${firstLine(error)}`,
        { cause: error },
      );
    });
    return this.connected;
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async append(
    streamName: string,
    events: EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    this.assertOpen();
    assertAppendable(streamName, events);
    const expectedRevision = toEsdbExpected(expected);
    const recordedAt = this.options.now?.().toISOString();
    const data = events.map((event) =>
      jsonEvent({
        id: event.id,
        type: event.type,
        data: event.data,
        metadata: {
          ...event.metadata,
          $correlationId: event.metadata.correlationId,
          ...(event.metadata.causationId !== null ? { $causationId: event.metadata.causationId } : {}),
          ...(recordedAt !== undefined ? { [RECORDED_AT_KEY]: recordedAt } : {}),
        },
      }),
    );
    let result;
    try {
      result = await this.client.appendToStream(streamName, data, { expectedRevision });
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      const actual = error.actualVersion;
      throw new WrongExpectedRevisionError(
        streamName,
        expected,
        typeof actual === 'bigint' ? Number(actual) : 'no_stream',
      );
    }
    const last = result.nextExpectedRevision;
    return { nextRevision: Number(last), position: await this.positionOf(streamName, last, result.position) };
  }

  async readStream(streamName: string): Promise<StoredEvent[]> {
    this.assertOpen();
    const events: StoredEvent[] = [];
    try {
      const read = this.client.readStream(streamName, { fromRevision: START, direction: FORWARDS });
      for await (const resolved of cancelIfAbandoned(read)) {
        if (resolved.event) events.push(this.toStoredEvent(resolved.event));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  // Client 6 filters $all reads nowhere but here: pages are read until maxCount events matched, the first no
  // bigger than needed (plus the start event: a read starts *at* its position), later ones doubling.
  async readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    this.assertOpen();
    assertMaxCount(options.maxCount);
    const { after, maxCount, streamPrefix } = options;
    let from: ReadPosition = after === null ? START : decodeEsdbPosition(after);
    let cursor = after;
    const largest = Math.max(PAGE_SIZE, Math.min(maxCount + 1, 4096));
    let pageSize = Math.min(largest, maxCount + (after === null ? 0 : 1));
    const out: StoredEvent[] = [];
    try {
      for (;;) {
        let seen = 0;
        const page = this.client.readAll({ fromPosition: from, maxCount: pageSize, direction: FORWARDS });
        for await (const { event } of cancelIfAbandoned(page)) {
          seen++;
          if (!event) continue;
          const position = encodeEsdbPosition(event.position);
          if (cursor !== null && comparePositions(position, cursor) <= 0) continue; // delivered already
          cursor = position;
          from = event.position;
          if (!inFeed(event, streamPrefix)) continue;
          out.push(this.toStoredEvent(event));
          if (out.length === maxCount) return out;
        }
        if (seen < pageSize) return out;
        pageSize = Math.min(largest, pageSize * 2);
      }
    } catch (error) {
      throw asPermanent(error, `Reading $all after ${after ?? 'the beginning'}`);
    }
  }

  subscribeToAll(
    options: SubscribeOptions,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription {
    this.assertOpen();
    if (options.after !== null) decodeEsdbPosition(options.after); // a malformed position is refused now
    const prefix = options.streamPrefix;
    const subscription = new EsdbAllSubscription(
      (after) =>
        this.client.subscribeToAll({
          fromPosition: after === null ? START : decodeEsdbPosition(after),
          // Server-side filter: the server skips other streams (and with them every $-stream) itself.
          filter: prefix !== undefined ? streamNameFilter({ prefixes: [prefix] }) : excludeSystemEvents(),
        }),
      ({ event }) => (event && inFeed(event, prefix) ? this.toStoredEvent(event) : null),
      options.after,
      handler,
      onError,
      this.backoff,
      this.logger,
      (after) => this.verifyStart(after),
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
    return (await this.headEvent())?.position ?? null;
  }

  /** The newest non-system event: /health and /metrics ask on every probe, so small pages first. */
  async headEvent(): Promise<{ position: string; recordedAt: string } | null> {
    this.assertOpen();
    let from: ReadPosition = END;
    for (let pageSize = 8; ; pageSize = Math.min(PAGE_SIZE, pageSize * 4)) {
      let seen = 0;
      const page = this.client.readAll({ fromPosition: from, maxCount: pageSize, direction: BACKWARDS });
      for await (const { event } of cancelIfAbandoned(page)) {
        seen++;
        if (!event) continue;
        if (inFeed(event)) {
          return { position: encodeEsdbPosition(event.position), recordedAt: readMetadata(event).recordedAt };
        }
        from = event.position;
      }
      if (seen < pageSize) return null;
    }
  }

  /** The commit part (a log offset in bytes), not commit * 2^64 + prepare. */
  positionForMetrics(position: string): number {
    return Number(decodeEsdbPosition(position).commit);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.subscriptions.clear();
    if (this.ownsClient) await this.client.dispose();
  }

  /** The event at a start position (inclusive) is there, or after it if scavenged: before, it is another store's. */
  private async verifyStart(after: string): Promise<void> {
    const from = decodeEsdbPosition(after);
    const read = this.client.readAll({ fromPosition: from, maxCount: 1, direction: FORWARDS });
    for await (const { event } of cancelIfAbandoned(read)) {
      if (event && comparePositions(encodeEsdbPosition(event.position), after) < 0) {
        throw new PermanentStoreError(
          `Position ${after} is not a position of this EventStoreDB's $all (the event there is at ${encodeEsdbPosition(event.position)}): a checkpoint from another event store?`,
        );
      }
    }
  }

  /** One cheap read: proves the server answers (and that we may read $all). */
  private async ping(timeoutMs: number): Promise<void> {
    const read = this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 });
    const drain = (async () => {
      for await (const _ of read) {
        // one event at most
      }
    })();
    await withTimeout(
      drain,
      timeoutMs,
      () => new Error(`no answer within ${timeoutMs} ms`),
      () => {
        void read.cancel().catch(() => undefined);
        read.destroy();
      },
    );
  }

  /** Read back: the append response's position is not always the last event's in a multi-event append. */
  private async positionOf(streamName: string, revision: bigint, fallback?: Position): Promise<string> {
    try {
      const read = this.client.readStream(streamName, { fromRevision: revision, maxCount: 1 });
      for await (const { event } of cancelIfAbandoned(read)) {
        if (event && event.revision === revision && isKnownEsdbPosition(event.position)) {
          return encodeEsdbPosition(event.position);
        }
      }
    } catch (error) {
      if (!fallback) throw error;
    }
    if (fallback) return encodeEsdbPosition(fallback);
    throw new Error(
      `EventStoreDB returned no position for ${streamName}@${revision}: a server >= 22.6 is required`,
    );
  }

  private toStoredEvent(event: RecordedEvent): StoredEvent {
    if (!isKnownEsdbPosition(event.position)) {
      throw new Error(
        `EventStoreDB returned no $all position for ${event.streamId}@${event.revision}: a server >= 22.6 is required`,
      );
    }
    const { metadata, recordedAt } = readMetadata(event);
    return this.upcasters.upcast({
      id: event.id,
      streamName: event.streamId,
      revision: Number(event.revision),
      position: encodeEsdbPosition(event.position),
      type: event.type,
      data: parseData(event),
      metadata,
      recordedAt,
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The event store is closed');
  }
}

/** Our metadata without the keys added for the server, and recordedAt (the application clock's, if kept). */
function readMetadata(event: RecordedEvent): { metadata: EventMetadata; recordedAt: string } {
  const raw = event.metadata;
  const metadata: Record<string, unknown> = {};
  let recordedAt = event.created.toISOString();
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && !(raw instanceof Uint8Array)) {
    for (const [key, value] of Object.entries(raw)) {
      if (key === RECORDED_AT_KEY && typeof value === 'string') recordedAt = value;
      else if (!STORE_METADATA_KEYS.has(key)) metadata[key] = value;
    }
  }
  return { metadata: metadata as unknown as EventMetadata, recordedAt };
}

function parseData(event: RecordedEvent): Record<string, unknown> {
  let data: unknown = event.data;
  if (data instanceof Uint8Array) {
    try {
      data = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      throw new Error(`Event ${event.id} in ${event.streamId} is not JSON`);
    }
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error(`Event ${event.id} in ${event.streamId}: data is not a JSON object`);
  }
  return data as Record<string, unknown>;
}
