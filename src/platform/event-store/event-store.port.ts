// The event store port. Shaped after EventStoreDB (@eventstore/db-client) so that adapter maps 1:1:
// per-stream revisions (0-based), expected revision no_stream | any | exact, one global ordered feed ($all)
// read and subscribed from an exclusive position. Adapters: sqlite/ (embedded default), in-memory/, eventstoredb/.

export const EVENT_STORE = Symbol('EVENT_STORE');

/** Who caused an event: a user id and the role it acted in (the product names the roles). */
export interface EventActor {
  id: string;
  role: string;
}

export interface EventMetadata {
  actor: EventActor;
  /** The business flow this event belongs to (one HTTP command, one timeout). */
  correlationId: string;
  /** What directly caused it: the command id, or the event that triggered a timeout. */
  causationId: string | null;
  schemaVersion: number;
  /** Set when the command came with an Idempotency-Key header. */
  idempotencyKey?: string;
  /** Who sent the command when that is not the actor (e.g. the checkout placing an order for the buyer). */
  submittedBy?: string;
}

export interface EventToAppend {
  /** uuid, unique per event (EventStoreDB's event id). */
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface StoredEvent {
  id: string;
  streamName: string;
  /** 0-based position of the event within its stream. */
  revision: number;
  /**
   * Global position in the store's ordered feed: an opaque decimal string, ordered as integers
   * (compare with comparePositions, never as strings).
   */
  position: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  /** ISO-8601 UTC, when the store recorded it. */
  recordedAt: string;
}

/** `no_stream`: the stream must not exist; `any`: no check; number: the stream's current last revision. */
export type ExpectedRevision = 'no_stream' | 'any' | number;

export interface AppendResult {
  /** Revision of the last event written. */
  nextRevision: number;
  /** Global position of the last event written. */
  position: string;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or 'no_stream'. */
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${streamName}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/**
 * The store refused a read or a subscription for a reason no retry can fix: a start position that is not one of
 * this store's (a checkpoint kept from another event store), access denied, a request the server does not
 * support. Readers stop on it (a projection reports it on /health) instead of retrying forever.
 */
export class PermanentStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentStoreError';
  }
}

export interface ReadAllOptions {
  /** Exclusive start; null = from the beginning. */
  after: string | null;
  maxCount: number;
  /** Only streams whose name starts with this prefix (e.g. `order-`). */
  streamPrefix?: string;
}

export interface SubscribeOptions {
  /** Exclusive start; null = from the beginning. Catch-up first, then live. */
  after: string | null;
  streamPrefix?: string;
}

export interface EventSubscription {
  /** Stops delivery; resolves once no handler call is in flight. */
  stop(): Promise<void>;
}

export interface EventStore {
  append(streamName: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** The whole stream in revision order, upcast; [] when the stream does not exist. */
  readStream(streamName: string): Promise<StoredEvent[]>;
  /** A page of the global feed in position order, upcast. */
  readAll(options: ReadAllOptions): Promise<StoredEvent[]>;
  /**
   * Catch-up then live delivery of the global feed, in order, one event at a time: the next event is delivered
   * only after the handler's promise settles. If the handler rejects, delivery stops and onError is called.
   * Delivery is at-least-once from `after`: consumers guard by position. Transient failures (the connection,
   * a leader change) are retried inside; a permanent one (PermanentStoreError) stops delivery and is reported
   * through onError.
   */
  subscribeToAll(
    options: SubscribeOptions,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription;
  /** Position of the newest event in the feed, or null when the store is empty. */
  headPosition(): Promise<string | null>;
  /**
   * Optional: the newest event's position and recordedAt (metrics show lag in time with it). Stores without it:
   * headPosition, and the time from the event read there.
   */
  headEvent?(): Promise<{ position: string; recordedAt: string } | null>;
  /**
   * Optional: what metrics show for a position, a number that grows with the feed. Absent: the position itself
   * (the embedded stores number events 1, 2, 3…, so differences count events). EventStoreDB: the commit part, a
   * log offset in bytes (differences are not event counts).
   */
  positionForMetrics?(position: string): number;
  close(): Promise<void>;
}

/** Orders two opaque positions (null = before everything). */
export function comparePositions(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  // Canonical decimals (no leading zero) compare by length, then digit by digit: no BigInt per call (a rebuild
  // compares every event's position with each projection's checkpoint).
  if (a.length > 0 && b.length > 0 && a.charCodeAt(0) !== 48 && b.charCodeAt(0) !== 48) {
    if (a.length !== b.length) return a.length < b.length ? -1 : 1;
    return a < b ? -1 : 1;
  }
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
