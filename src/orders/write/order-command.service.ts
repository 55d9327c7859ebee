import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { resolveJwtSecret } from '../../auth/jwt-secret';
import { CLOCK, Clock } from '../../platform/clock/clock.port';
import { type AppConfig, isProduction } from '../../platform/config/config';
import {
  EVENT_STORE,
  EventStore,
  EventToAppend,
  StoredEvent,
  WrongExpectedRevisionError,
} from '../../platform/event-store/event-store.port';
import type { IdempotencyContext } from '../../http/idempotency/idempotency.context';
import { DomainError } from '../domain/errors';
import type { OpenRequest, OrderCommand } from '../domain/order.commands';
import { decide } from '../domain/order.decider';
import { ORDER_EVENT_SCHEMA_VERSION, type OrderEvent } from '../domain/order.events';
import { isSupportOnly, resolveActor } from '../domain/order.rules';
import { evolve, foldOrder, initialOrderState, type OrderState } from '../domain/order.state';
import { streamNameOf, type Actor, type Caller } from '../domain/order.types';
import { KeyedMutex } from './keyed-mutex';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An OpenRequest without a requestId gets one minted here (see `execute`). */
type OpenRequestInput = Omit<OpenRequest, 'actor' | 'now' | 'data'> & {
  data: Omit<OpenRequest['data'], 'requestId'> & { requestId?: string };
};
/** A command as its sender knows it: the actor and `now` are filled in here. */
export type OrderCommandInput =
  DistributiveOmit<Exclude<OrderCommand, OpenRequest>, 'actor' | 'now'> | OpenRequestInput;

export interface ExecuteOptions {
  orderId: string;
  /** HTTP commands: the authenticated caller, matched against the order (buyer / seller / support). */
  caller?: Caller;
  /** System commands (timeouts): the actor as is, e.g. SYSTEM_ACTOR. Takes precedence over `caller`. */
  actor?: Actor;
  /**
   * Timeouts: the moment the deadline fell due. A timeout takes effect then (domain.md: at 48 h, at 3 days), also
   * when the scheduler runs later (the test clock jumped, the service was down); never later than the clock.
   */
  dueAt?: string;
  /** The business flow (x-correlation-id, or the timeout's); a new uuid when absent. */
  correlationId?: string;
  /** What caused this command (e.g. the event that set a deadline); defaults to the command's own id. */
  causationId?: string;
  idempotency?: IdempotencyContext;
}

export interface CommandOutcome {
  orderId: string;
  /** The stream's last revision after the command (-1: no stream, only for commands that decided nothing). */
  revision: number;
  /** Global position of the last event written (or, when nothing was written, the stream's last event). */
  position: string | null;
  /** The events this command wrote (or, on an idempotent replay, had written). [] when it decided nothing. */
  events: Array<Pick<OrderEvent, 'type' | 'data'>>;
  /** The events were found in the stream under the request's Idempotency-Key: nothing was decided again. */
  replayed: boolean;
}

interface Snapshot {
  state: OrderState;
  revision: number;
  position: string | null;
}

/** Attempts on a WrongExpectedRevision before answering 409 CONCURRENCY_CONFLICT. */
export const MAX_APPEND_ATTEMPTS = 10;
/** Orders whose folded state is kept between commands. */
const CACHE_SIZE = 20_000;

/**
 * The write path of every order command, HTTP or timeout: load the order, match the actor, decide with `now`
 * from the clock, append with the revision read (optimistic concurrency), retry on conflict.
 *
 * Folded states are cached per order. That is safe because the append's expected revision is the check: a
 * state made stale by another process fails the append and is re-read. A refusal or a no-op decided on a
 * cached state is confirmed on a fresh read before it is answered, for the same reason.
 *
 * A cached state forgets the order's closed requests, which grow with its history (`remember`). Only two answers
 * read them: refusals (confirmed anyway) and a new request's id not being one used before. So a request is opened
 * on a cached state only under an id minted here, which no earlier request of the order can have; a sender's own
 * id is checked on a fresh read.
 */
@Injectable()
export class OrderCommandService {
  private readonly mutex = new KeyedMutex();
  private readonly cache = new Map<string, Snapshot>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  execute(input: OrderCommandInput, options: ExecuteOptions): Promise<CommandOutcome> {
    const mints = input.type === 'OpenRequest' && input.data.requestId === undefined;
    const command = mints ? { ...input, data: { ...input.data, requestId: randomUUID() } } : input;
    return this.mutex.run(options.orderId, () => this.executeSerialized(command, options, !mints));
  }

  /** Drops cached state (tests that write to the store behind the service's back). */
  forget(orderId?: string): void {
    if (orderId === undefined) this.cache.clear();
    else this.cache.delete(orderId);
  }

  /** `sendersRequestId`: an OpenRequest under an id from its sender, which a cached state cannot vouch for. */
  private async executeSerialized(
    input: OrderCommandInput,
    options: ExecuteOptions,
    sendersRequestId: boolean,
  ): Promise<CommandOutcome> {
    const { orderId, idempotency } = options;
    const streamName = streamNameOf(orderId);
    const commandId = randomUUID();
    const correlationId = options.correlationId ?? randomUUID();
    const causationId = options.causationId ?? commandId;
    // A taken-over Idempotency-Key may already have been applied: only the stream can tell.
    let snapshot = idempotency?.takenOver ? undefined : this.cached(orderId);
    for (let attempt = 1; ;) {
      const fromCache = snapshot !== undefined;
      if (!snapshot) {
        const events = await this.store.readStream(streamName);
        if (idempotency) {
          const prior = this.eventsOfKey(events, idempotency.key, options);
          if (prior.length) return this.outcomeOf(orderId, prior);
        }
        const last = events.at(-1);
        snapshot = {
          state: foldOrder(events as unknown as OrderEvent[]),
          revision: last ? last.revision : -1,
          position: last ? last.position : null,
        };
        this.remember(orderId, snapshot);
      }

      let decided: OrderEvent[];
      let actor: Actor;
      try {
        actor = this.actorFor(input, snapshot.state, options);
        decided = decide({ ...input, actor, now: this.nowFor(options) } as OrderCommand, snapshot.state);
        if (fromCache && (decided.length === 0 || (input.type === 'OpenRequest' && sendersRequestId))) {
          snapshot = undefined; // confirm the no-op, or the sender's request id, on the stream itself
          continue;
        }
      } catch (e) {
        if (fromCache && e instanceof DomainError) {
          snapshot = undefined; // confirm the refusal on the stream itself
          continue;
        }
        throw e;
      }
      if (decided.length === 0) {
        return {
          orderId,
          revision: snapshot.revision,
          position: snapshot.position,
          events: [],
          replayed: false,
        };
      }

      const toAppend: EventToAppend[] = decided.map((event) => ({
        id: randomUUID(),
        type: event.type,
        data: event.data as unknown as Record<string, unknown>,
        metadata: {
          actor,
          correlationId,
          causationId,
          schemaVersion: ORDER_EVENT_SCHEMA_VERSION,
          ...(idempotency ? { idempotencyKey: idempotency.key } : {}),
          ...(options.caller && options.caller.userId !== actor.id
            ? { submittedBy: options.caller.userId }
            : {}),
        },
      }));
      if (idempotency) idempotency.writeState = 'uncertain';
      try {
        const result = await this.store.append(
          streamName,
          toAppend,
          snapshot.revision < 0 ? 'no_stream' : snapshot.revision,
        );
        if (idempotency) idempotency.writeState = 'appended';
        this.remember(orderId, {
          state: decided.reduce(evolve, snapshot.state),
          revision: result.nextRevision,
          position: result.position,
        });
        return {
          orderId,
          revision: result.nextRevision,
          position: result.position,
          events: decided,
          replayed: false,
        };
      } catch (e) {
        this.cache.delete(orderId);
        if (!(e instanceof WrongExpectedRevisionError)) throw e;
        if (idempotency) idempotency.writeState = 'pending'; // refused as a whole: nothing was written
        // Out of attempts: the store's conflict goes to the edge, which answers 409 CONCURRENCY_CONFLICT.
        if (attempt >= MAX_APPEND_ATTEMPTS) throw e;
        attempt++;
        snapshot = undefined;
        await this.pause(attempt);
      }
    }
  }

  /** Small jittered backoff between optimistic retries (other processes writing the same order). */
  protected pause(attempt: number): Promise<void> {
    const ms = Math.random() * Math.min(2 ** attempt, 50);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private nowFor({ dueAt }: ExecuteOptions): Date {
    const now = this.clock.now();
    const due = dueAt === undefined ? NaN : Date.parse(dueAt);
    return due < now.getTime() ? new Date(due) : now;
  }

  private actorFor(input: OrderCommandInput, state: OrderState, options: ExecuteOptions): Actor {
    if (options.actor) return options.actor;
    const caller = options.caller;
    if (!caller) throw new Error('OrderCommandService.execute needs a caller or an actor');
    if (input.type === 'PlaceOrder') {
      // Orders come from the marketplace's checkout, after payment; the buyer it names is the actor.
      if (!caller.roles.includes('checkout')) {
        throw new DomainError('FORBIDDEN', 'orders are placed by the checkout (role checkout)');
      }
      return { id: input.data.buyerId, role: 'buyer' };
    }
    // A step only support takes, or a field only support sends, is not the caller's whatever the order: 403 before
    // the order's 404 (api.md), so nobody else learns which order ids exist. The decider refuses them on an order.
    if (!caller.roles.includes('support') && isSupportOnly(input)) {
      throw new DomainError('FORBIDDEN', 'only support may take this step');
    }
    if (!state.exists) throw new DomainError('ORDER_NOT_FOUND', `order ${options.orderId} not found`);
    const actor = resolveActor(state, caller);
    if (!actor) throw new DomainError('FORBIDDEN', 'you are not a party to this order');
    return actor;
  }

  private eventsOfKey(events: StoredEvent[], key: string, options: ExecuteOptions): StoredEvent[] {
    const senderId = options.actor?.id ?? options.caller?.userId;
    return events.filter(
      (e) =>
        e.metadata.idempotencyKey === key && (e.metadata.submittedBy ?? e.metadata.actor?.id) === senderId,
    );
  }

  private outcomeOf(orderId: string, prior: StoredEvent[]): CommandOutcome {
    const last = prior[prior.length - 1];
    return {
      orderId,
      revision: last.revision,
      position: last.position,
      events: prior.map((e) => ({ type: e.type, data: e.data }) as Pick<OrderEvent, 'type' | 'data'>),
      replayed: true,
    };
  }

  private cached(orderId: string): Snapshot | undefined {
    const hit = this.cache.get(orderId);
    if (hit) {
      // LRU: re-insert to move it to the young end of the Map's order.
      this.cache.delete(orderId);
      this.cache.set(orderId, hit);
    }
    return hit;
  }

  /** Cached without its closed requests (see the class comment): an order's memory here stays the same size. */
  private remember(orderId: string, snapshot: Snapshot): void {
    const forgotten = initialOrderState.closedRequests;
    const { state } = snapshot;
    this.cache.delete(orderId);
    this.cache.set(
      orderId,
      state.closedRequests === forgotten
        ? snapshot
        : { ...snapshot, state: { ...state, closedRequests: forgotten } },
    );
    if (this.cache.size > CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}

/**
 * The key of orderIdForIdempotencyKey, from the service's secret: knowing an Idempotency-Key is not enough to
 * compute (and pre-empt) the order id. Undefined without a secret (production with AUTH_JWKS_URL only).
 */
export function orderIdKeyOf(config: AppConfig): Buffer | undefined {
  const secret = isProduction(config.nodeEnv) ? config.authJwtSecret : resolveJwtSecret(config);
  const info = 'resolution-center/idempotency-derived-id';
  return secret === undefined ? undefined : Buffer.from(hkdfSync('sha256', secret, '', info, 32));
}

/**
 * The orderId of `POST /orders` without one but with an Idempotency-Key: derived from (caller, key) so that a
 * retry after a crash lands on the same stream (and finds its events) instead of placing a second order. Keyed
 * (HMAC under a key derived from the service's secret): whoever learns an Idempotency-Key cannot compute the id.
 */
export function orderIdForIdempotencyKey(secret: Buffer, userId: string, key: string): string {
  const h = createHmac('sha256', secret).update(`order\n${userId}\n${key}`).digest();
  h[6] = (h[6] & 0x0f) | 0x80; // version 8 (custom)
  h[8] = (h[8] & 0x3f) | 0x80; // RFC 9562 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
