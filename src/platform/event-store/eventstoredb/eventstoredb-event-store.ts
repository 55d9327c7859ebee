// The production event store: EventStoreDB / KurrentDB over gRPC (@eventstore/db-client 6). The port was shaped
// after it, so this adapter is mostly a mapping:
// - expected revision: no_stream -> NO_STREAM, any -> ANY, n -> BigInt(n); WrongExpectedVersionError ->
//   WrongExpectedRevisionError with the actual revision;
// - global position: $all's {commit, prepare} <-> one decimal integer (esdb-position.ts explains why that keeps
//   $all's order and exact exclusive starts);
// - events are JSON with our metadata as JSON metadata, plus $correlationId/$causationId so EventStoreDB's own
//   $by_correlation_id projection understands them (stripped again on read);
// - the feed (readAll, subscribeToAll, headPosition) never contains system events ($-streams, $-types).
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
  StoreHealth,
  StoreUnavailableError,
  withTimeout,
} from '../../cluster/store-availability';
import { decodeEsdbPosition, encodeEsdbPosition, isKnownEsdbPosition } from './esdb-position';
import { asPermanent, cancelIfAbandoned, isPermanent } from './esdb-reads';
import { EsdbAllSubscription } from './esdb-subscription';

export { asPermanent, cancelIfAbandoned, isPermanent, EsdbAllSubscription };

export interface EventStoreDbEventStoreOptions {
  /** Defaults to the process-wide registry. */
  upcasters?: UpcasterRegistry;
  /**
   * Source of recordedAt. Unset: EventStoreDB's own `created` time. Set (CLOCK=manual, tests): this time is
   * stored in the event's metadata and read back, so recordedAt follows the application's clock like the
   * embedded stores do.
   */
  now?: () => Date;
  /** How long start-up and health checks wait for the server. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Events per $all read page (readAll's client-side prefix filter, headPosition's scan). Default 500. */
  pageSize?: number;
  /** Backoff of a dropped subscription's resubscription: doubles from min to max. Default 100 / 5000 ms. */
  resubscribeMinDelayMs?: number;
  resubscribeMaxDelayMs?: number;
  logger?: Pick<Logger, 'warn' | 'error' | 'log'>;
}

/** Where we keep the application-clock recordedAt inside EventStoreDB's metadata (only with `now`). */
const RECORDED_AT_KEY = '$rc.recordedAt';
/** Metadata keys we add for EventStoreDB itself; never part of our EventMetadata. */
const STORE_METADATA_KEYS = new Set(['$correlationId', '$causationId', RECORDED_AT_KEY]);

function isSystem(event: { streamId: string; type: string }): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
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

export class EventStoreDbEventStore implements EventStore, StoreHealth {
  private readonly client: EventStoreDBClient;
  private readonly ownsClient: boolean;
  private readonly target: string;
  private readonly upcasters: UpcasterRegistry;
  private readonly now: (() => Date) | undefined;
  private readonly connectTimeoutMs: number;
  private readonly pageSize: number;
  private readonly backoff: { min: number; max: number };
  private readonly logger: Pick<Logger, 'warn' | 'error' | 'log'>;
  private readonly subscriptions = new Set<EsdbAllSubscription>();
  private connected: Promise<void> | null = null;
  private closed = false;

  constructor(connection: string | EventStoreDBClient, options: EventStoreDbEventStoreOptions = {}) {
    if (typeof connection === 'string') {
      this.target = redactConnectionString(connection);
      try {
        this.client = EventStoreDBClient.connectionString(connection);
      } catch (error) {
        throw new StoreUnavailableError(
          'eventstoredb',
          `EventStoreDB connection string ${this.target} is invalid (ESDB_CONNECTION_STRING): ${firstLine(error)}`,
          { cause: error },
        );
      }
      this.ownsClient = true;
    } else {
      this.target = connection.connectionName;
      this.client = connection;
      this.ownsClient = false;
    }
    this.upcasters = options.upcasters ?? defaultUpcasters;
    this.now = options.now;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.pageSize = options.pageSize ?? 500;
    this.backoff = { min: options.resubscribeMinDelayMs ?? 100, max: options.resubscribeMaxDelayMs ?? 5000 };
    this.logger = options.logger ?? new Logger('EventStoreDB');
  }

  /**
   * Fails fast when the server does not answer within connectTimeoutMs, with one line naming it. Memoised; Nest
   * calls it through onModuleInit, so an unreachable store stops the start-up instead of the first request.
   */
  connect(): Promise<void> {
    this.connected ??= this.ping(this.connectTimeoutMs).catch((error: unknown) => {
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

  async checkHealth(timeoutMs = this.connectTimeoutMs): Promise<Record<string, unknown>> {
    await this.ping(timeoutMs);
    return { kind: 'eventstoredb', target: this.target };
  }

  async append(
    streamName: string,
    events: EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    this.assertOpen();
    assertAppendable(streamName, events);
    const expectedRevision = toEsdbExpected(expected);
    const recordedAt = this.now?.().toISOString();
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
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        throw new WrongExpectedRevisionError(
          streamName,
          expected,
          typeof actual === 'bigint' ? Number(actual) : 'no_stream',
        );
      }
      throw error;
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
        if (resolved.event) events.push(this.toStoredEvent(resolved.event, resolved.event.position));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /**
   * Client 6 reads $all unfiltered (server-side filters are for subscriptions only), so the prefix and the
   * system events are filtered here, page by page, until maxCount events matched or the feed ended. The first
   * page asks for what is needed (maxCount, plus the start event the server hands out again), later ones for
   * twice as many up to the page size; a page left before its end is cancelled (see cancelIfAbandoned).
   */
  async readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    this.assertOpen();
    assertMaxCount(options.maxCount);
    if (options.after !== null) decodeEsdbPosition(options.after); // a malformed position: RangeError, now
    try {
      return await this.readAllPages(options);
    } catch (error) {
      throw asPermanent(error, `Reading $all after ${options.after ?? 'the beginning'}`);
    }
  }

  private async readAllPages(options: ReadAllOptions): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let cursor = options.after;
    let from: ReadPosition = cursor === null ? START : decodeEsdbPosition(cursor);
    const largest = Math.max(this.pageSize, Math.min(options.maxCount + 1, 4096));
    let pageSize = Math.min(largest, options.maxCount + (cursor === null ? 0 : 1));
    for (;;) {
      let seen = 0;
      const page = this.client.readAll({ fromPosition: from, maxCount: pageSize, direction: FORWARDS });
      for await (const resolved of cancelIfAbandoned(page)) {
        seen++;
        const event = resolved.event;
        if (!event) continue;
        const position = encodeEsdbPosition(event.position);
        // readAll starts *at* fromPosition (inclusive): the event we start from was delivered already.
        if (cursor !== null && comparePositions(position, cursor) <= 0) continue;
        cursor = position;
        from = event.position;
        if (isSystem(event)) continue;
        if (options.streamPrefix !== undefined && !event.streamId.startsWith(options.streamPrefix)) continue;
        out.push(this.toStoredEvent(event, event.position));
        if (out.length === options.maxCount) return out;
      }
      if (seen < pageSize) return out;
      pageSize = Math.min(largest, pageSize * 2);
    }
  }

  subscribeToAll(
    options: SubscribeOptions,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription {
    this.assertOpen();
    if (options.after !== null) decodeEsdbPosition(options.after); // refuse a malformed position now
    const prefix = options.streamPrefix;
    const subscription = new EsdbAllSubscription(
      (after) =>
        this.client.subscribeToAll({
          fromPosition: after === null ? START : decodeEsdbPosition(after),
          // Server-side filter: the server skips other streams (and with them every $-stream) itself.
          filter: prefix !== undefined ? streamNameFilter({ prefixes: [prefix] }) : excludeSystemEvents(),
        }),
      (resolved) => {
        const event = resolved.event;
        if (!event || isSystem(event)) return null;
        if (prefix !== undefined && !event.streamId.startsWith(prefix)) return null;
        return this.toStoredEvent(event, event.position);
      },
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

  /**
   * The newest non-system event's position: scans $all backwards past system events (few, in practice). Small
   * pages first (the newest event is usually the answer), each cancelled when left early: /health and /metrics
   * call this on every probe, so a leaked server stream per call would exhaust the connection.
   */
  async headPosition(): Promise<string | null> {
    return (await this.headEvent())?.position ?? null;
  }

  /** The newest non-system event: its position and when it was recorded (lag in time for metrics). */
  async headEvent(): Promise<{ position: string; recordedAt: string } | null> {
    this.assertOpen();
    let from: ReadPosition = END;
    let pageSize = Math.min(this.pageSize, 8);
    for (;;) {
      let seen = 0;
      const page = this.client.readAll({ fromPosition: from, maxCount: pageSize, direction: BACKWARDS });
      for await (const resolved of cancelIfAbandoned(page)) {
        seen++;
        const event = resolved.event;
        if (!event) continue;
        if (!isSystem(event)) {
          return { position: encodeEsdbPosition(event.position), recordedAt: this.recordedAtOf(event) };
        }
        from = event.position;
      }
      if (seen < pageSize) return null;
      pageSize = Math.min(this.pageSize, pageSize * 4);
    }
  }

  /**
   * A subscription's start must be a position of this store: read $all from it (inclusive), the event there
   * must be at that very position, or, if it was scavenged, after it. An error of the server or an event before
   * it means the position is not one of ours (typically a checkpoint kept from the SQLite store).
   */
  private async verifyStart(after: string): Promise<void> {
    const from = decodeEsdbPosition(after);
    const read = this.client.readAll({ fromPosition: from, maxCount: 1, direction: FORWARDS });
    for await (const resolved of cancelIfAbandoned(read)) {
      const event = resolved.event;
      if (event && comparePositions(encodeEsdbPosition(event.position), after) < 0) {
        throw new PermanentStoreError(
          `Position ${after} is not a position of this EventStoreDB's $all (the event there is at ${encodeEsdbPosition(event.position)}): a checkpoint from another event store?`,
        );
      }
    }
  }

  /** What metrics show for a position: the commit part (a log offset in bytes), not commit * 2^64 + prepare. */
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

  /**
   * The exact $all position of the stream's event `revision`, read back from the stream (servers >= 22.6 put
   * it on stream reads). The append response's own position is only the fallback: for multi-event appends it
   * is not guaranteed to be the last event's position, and the API hands this one out for ?minPosition.
   */
  private async positionOf(
    streamName: string,
    revision: bigint,
    fallback: Position | undefined,
  ): Promise<string> {
    try {
      const read = this.client.readStream(streamName, { fromRevision: revision, maxCount: 1 });
      for await (const resolved of cancelIfAbandoned(read)) {
        const event = resolved.event;
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

  private toStoredEvent(event: RecordedEvent, position: Position | undefined): StoredEvent {
    if (!isKnownEsdbPosition(position)) {
      throw new Error(
        `EventStoreDB returned no $all position for ${event.streamId}@${event.revision}: a server >= 22.6 is required`,
      );
    }
    const raw = event.metadata;
    const metadata: Record<string, unknown> = {};
    let recordedAt: string | undefined;
    if (raw && typeof raw === 'object' && !Array.isArray(raw) && !(raw instanceof Uint8Array)) {
      for (const [key, value] of Object.entries(raw)) {
        if (key === RECORDED_AT_KEY && typeof value === 'string') recordedAt = value;
        else if (!STORE_METADATA_KEYS.has(key)) metadata[key] = value;
      }
    }
    return this.upcasters.upcast({
      id: event.id,
      streamName: event.streamId,
      revision: Number(event.revision),
      position: encodeEsdbPosition(position),
      type: event.type,
      data: parseData(event),
      metadata: metadata as unknown as EventMetadata,
      recordedAt: recordedAt ?? event.created.toISOString(),
    });
  }

  /** recordedAt as toStoredEvent reads it (the application clock's, when the store was given one). */
  private recordedAtOf(event: RecordedEvent): string {
    const raw = event.metadata as Record<string, unknown> | undefined;
    const stored =
      raw && typeof raw === 'object' && !(raw instanceof Uint8Array) ? raw[RECORDED_AT_KEY] : undefined;
    return typeof stored === 'string' ? stored : event.created.toISOString();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The event store is closed');
  }
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
