// The event store port, shaped after EventStoreDB so that adapter maps 1:1: 0-based stream revisions, expected
// revision no_stream | any | exact, one global ordered feed ($all) read and subscribed after an exclusive position.

export const EVENT_STORE = Symbol('EVENT_STORE');

export interface EventMetadata {
  /** Who caused the event: a user id and the role it acted in (the product names the roles). */
  actor: { id: string; role: string };
  /** The business flow (one HTTP command, one timeout). */
  correlationId: string;
  /** The command id, or the event that triggered a timeout. */
  causationId: string | null;
  schemaVersion: number;
  idempotencyKey?: string;
  /** Who sent the command when that is not the actor (the checkout placing an order for the buyer). */
  submittedBy?: string;
}

export interface EventToAppend {
  /** uuid, unique across the store. */
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface StoredEvent extends EventToAppend {
  streamName: string;
  revision: number;
  /** Opaque decimal string ordered as an integer: compare with comparePositions, never as strings. */
  position: string;
  /** ISO-8601 UTC, when the store recorded it. */
  recordedAt: string;
}

/** `no_stream`: the stream must not exist; `any`: no check; number: the stream's current last revision. */
export type ExpectedRevision = 'no_stream' | 'any' | number;

/** The last written event's revision and position. */
export interface AppendResult {
  nextRevision: number;
  position: string;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${streamName}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** A refusal no retry fixes (a position of another store, access denied): readers stop and report it. */
export class PermanentStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentStoreError';
  }
}

export interface SubscribeOptions {
  /** Exclusive start; null = from the beginning. */
  after: string | null;
  /** Only streams whose name starts with this prefix (e.g. `order-`). */
  streamPrefix?: string;
}

export interface ReadAllOptions extends SubscribeOptions {
  maxCount: number;
}

export interface EventSubscription {
  /** Stops delivery; resolves once no handler call is in flight. */
  stop(): Promise<void>;
}

export interface EventStore {
  append(streamName: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** The whole stream in revision order, upcast; [] when it does not exist. */
  readStream(streamName: string): Promise<StoredEvent[]>;
  /** A page of the feed in position order, upcast. */
  readAll(options: ReadAllOptions): Promise<StoredEvent[]>;
  // Catch-up then live, one event at a time, at-least-once from `after`; transient failures are retried inside, a
  // handler rejection or a PermanentStoreError stops delivery (reported to onError).
  subscribeToAll(
    options: SubscribeOptions,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription;
  /** The newest event's position, or null when the store is empty. */
  headPosition(): Promise<string | null>;
  /** Optional: the newest event's position and recordedAt (metrics show lag in time with it). */
  headEvent?(): Promise<{ position: string; recordedAt: string } | null>;
  /** Optional: a number that grows with the feed for metrics; absent: the position itself counts events. */
  positionForMetrics?(position: string): number;
  close(): Promise<void>;
}

/** Orders two opaque positions (null = before everything). */
export function comparePositions(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  // Canonical decimals compare by length, then digits: no BigInt per call on the rebuild's hot path.
  if (a.length > 0 && b.length > 0 && a.charCodeAt(0) !== 48 && b.charCodeAt(0) !== 48) {
    if (a.length !== b.length) return a.length < b.length ? -1 : 1;
    return a < b ? -1 : 1;
  }
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
