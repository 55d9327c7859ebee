// Realistic order lifecycles, fast and deterministic (seeded), decided by the real decider: many orders in flight
// at once, interleaved in time order; requirements, deliveries, revisions, acceptances and auto-completions;
// requests of every type answered, declined, withdrawn or left to expire; extras accepted, declined, lapsed;
// cancellations of every mode; buyers reordering from a seller after a mutual cancellation; partial refunds and
// support cases (dispute-steps.ts). Used by the
// projection tests (replays, rebuilds) and the read bench (a million events straight into an event store).
import type { EventToAppend } from '../../../platform/event-store/event-store.port';
import type { OrderCommand } from '../../domain/order.commands';
import { decide } from '../../domain/order.decider';
import { evolve, initialOrderState, type OrderState } from '../../domain/order.state';
import { ORDER_EVENT_SCHEMA_VERSION } from '../../domain/order.events';
import {
  ANSWER_WINDOW_MS,
  AUTO_COMPLETE_AFTER_MS,
  DAY_MS,
  HOUR_MS,
  type Actor,
} from '../../domain/order.types';
import { disputeStep, disputeTimeout, type DisputeContext, type DisputeIntent } from './dispute-steps';

export interface SimulatedEvent {
  streamName: string;
  /** Revision of this event in its stream. */
  revision: number;
  /** Expected revision for an append of this event alone ('no_stream' for the first). */
  expected: 'no_stream' | number;
  event: EventToAppend;
  /** The simulated time it happened (recordedAt). */
  at: Date;
}

export interface SimulationOptions {
  /** How many orders to place in total. */
  orders: number;
  seed?: number;
  start?: Date;
  /** Orders in flight at once (interleaving). Default 200. */
  concurrency?: number;
  buyers?: number;
  sellers?: number;
  /** Ids: uuid-shaped and deterministic. */
  idPrefix?: string;
}

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Flight {
  orderId: string;
  buyer: Actor;
  seller: Actor;
  state: OrderState;
  revision: number;
  /** Simulated ms of its next step. */
  nextAt: number;
  revisions: number;
  steps: number;
  /** A timeout it is waiting for (the step runs once its time has come). */
  intent: 'expire' | 'lapse' | 'very_late' | 'auto_complete' | DisputeIntent | null;
}

/** A min-heap of flights by nextAt (ties by insertion order, for determinism). */
class Agenda {
  private heap: { at: number; seq: number; flight: Flight }[] = [];
  private seq = 0;
  get size(): number {
    return this.heap.length;
  }
  push(flight: Flight): void {
    const h = this.heap;
    h.push({ at: flight.nextAt, seq: this.seq++, flight });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  pop(): Flight | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top.flight;
  }
  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

const SYSTEM: Actor = { id: 'system', role: 'system' };
const SUPPORT: Actor = { id: 'support-agent-1', role: 'support' };

/** Generates the events of `orders` order lifecycles, in time (and so position) order. */
export function* simulateOrders(options: SimulationOptions): Generator<SimulatedEvent> {
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const chance = (p: number): boolean => random() < p;
  const word = (): string => ((random() * 4294967296) >>> 0).toString(16).padStart(8, '0');
  const uuid = (): string => {
    const a = word();
    const b = word();
    const c = word();
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${'89ab'[c.charCodeAt(0) & 3]}${c.slice(1, 4)}-${c.slice(4)}${word()}`;
  };
  const prefix = options.idPrefix ?? '';
  const buyers = Array.from({ length: options.buyers ?? 500 }, (_, i) => `${prefix}buyer-${i + 1}`);
  const sellers = Array.from({ length: options.sellers ?? 100 }, (_, i) => `${prefix}seller-${i + 1}`);
  const concurrency = options.concurrency ?? 200;
  const agenda = new Agenda();
  let now = (options.start ?? new Date('2025-01-01T00:00:00.000Z')).getTime();
  let placed = 0;
  const pendingReorders: { buyer: string; seller: string; at: number }[] = [];

  const newFlight = (buyer: string, seller: string, at: number): Flight => ({
    orderId: uuid(),
    buyer: { id: buyer, role: 'buyer' },
    seller: { id: seller, role: 'seller' },
    state: initialOrderState,
    revision: -1,
    nextAt: at,
    revisions: 0,
    steps: 0,
    intent: null,
  });

  const hours = (min: number, max: number): number => (min + random() * (max - min)) * HOUR_MS;

  type Step =
    { command: OrderCommand; after: number } | { waitUntil: number; intent: NonNullable<Flight['intent']> };

  /** The next step of this order at `at` (a command, or a timeout to wait for); null when it has ended. */
  const nextCommand = (f: Flight, at: number): Step | null => {
    const s = f.state;
    const cmd = (type: OrderCommand['type'], data: object, actor: Actor): OrderCommand =>
      ({ type, data, actor, now: new Date(at) }) as OrderCommand;
    const intent = f.intent;
    f.intent = null;
    const dispute: DisputeContext = { state: s, buyer: f.buyer, seller: f.seller, at, random, uuid, hours };
    if (intent === 'overdue' || intent === 'info_lapse') {
      const command = disputeTimeout(intent, dispute);
      if (command) return { command, after: hours(1, 5) };
    }
    if (intent === 'expire' && s.openRequest) {
      return {
        command: cmd('ExpireRequest', { requestId: s.openRequest.requestId }, SYSTEM),
        after: hours(1, 10),
      };
    }
    if (intent === 'lapse' && s.pendingExtras[0]) {
      return {
        command: cmd('LapseExtrasOffer', { offerId: s.pendingExtras[0].offerId }, SYSTEM),
        after: hours(1, 5),
      };
    }
    if (intent === 'very_late') return { command: cmd('RecordLateness', {}, SYSTEM), after: hours(1, 5) };
    if (intent === 'auto_complete') return { command: cmd('CompleteAutomatically', {}, SYSTEM), after: 0 };
    if (!s.exists) {
      return {
        command: cmd(
          'PlaceOrder',
          {
            orderId: f.orderId,
            buyerId: f.buyer.id,
            sellerId: f.seller.id,
            title: pick([
              'Logo design',
              'Landing page copy',
              'Podcast edit',
              'Pitch deck',
              'Translation EN-NL',
            ]),
            price: { amount: 1000 + Math.floor(random() * 50) * 500, currency: pick(['USD', 'EUR']) },
            deliveryDays: 1 + Math.floor(random() * 10),
            requirementsNeeded: chance(0.7),
          },
          f.buyer,
        ),
        after: hours(1, 20),
      };
    }
    if (s.status === 'completed' || s.status === 'cancelled' || f.steps > 40) return null;
    const open = s.openRequest;
    // A case goes on while a request is open (its resolution may close the request).
    const casing = open && s.supportCase?.status === 'open' && chance(0.6) ? disputeStep(dispute) : null;
    if (casing) return casing;
    if (open) {
      const counterpart = open.openedBy === 'buyer' ? f.seller : f.buyer;
      const requester = open.openedBy === 'buyer' ? f.buyer : f.seller;
      const respondBy = Date.parse(open.respondBy);
      const r = random();
      if (r < 0.15) return { waitUntil: respondBy, intent: 'expire' };
      if (r < 0.3)
        return {
          command: cmd('WithdrawRequest', { requestId: open.requestId }, requester),
          after: hours(1, 10),
        };
      if (r < 0.5 && open.type !== 'order_update') {
        return {
          command: cmd('DeclineRequest', { requestId: open.requestId, comment: 'No, thanks' }, counterpart),
          after: hours(1, 10),
        };
      }
      return {
        command: cmd(
          'AcceptRequest',
          { requestId: open.requestId, comment: 'Done: here is the update' },
          counterpart,
        ),
        after: hours(1, 10),
      };
    }
    const offer = s.pendingExtras[0];
    if (offer) {
      const r = random();
      if (r < 0.2) return { waitUntil: Date.parse(offer.expiresAt), intent: 'lapse' };
      if (r < 0.5)
        return { command: cmd('DeclineExtras', { offerId: offer.offerId }, f.buyer), after: hours(1, 5) };
      return { command: cmd('AcceptExtras', { offerId: offer.offerId }, f.buyer), after: hours(1, 5) };
    }
    const disputing = disputeStep(dispute);
    if (disputing) return disputing;
    const request = (actor: Actor, type: string, extra: object = {}) =>
      cmd(
        'OpenRequest',
        { requestId: uuid(), requestType: type, comment: 'Can we talk about this?', ...extra },
        actor,
      );
    const r = random();
    switch (s.status) {
      case 'awaiting_requirements':
        if (r < 0.1)
          return { command: cmd('CancelOrder', { reason: 'ordered_by_mistake' }, f.buyer), after: 0 };
        if (r < 0.13)
          return {
            command: request(f.buyer, 'cancellation', { reason: 'no_longer_needed' }),
            after: hours(1, 30),
          };
        if (r < 0.3) return { command: cmd('StartWithoutRequirements', {}, f.seller), after: hours(2, 48) };
        return {
          command: cmd('SubmitRequirements', { text: 'Here is what I need.' }, f.buyer),
          after: hours(2, 48),
        };
      case 'in_progress': {
        const delivered = s.firstDeliveredAt !== null;
        if (r < 0.06) {
          const [actor, reason] = chance(0.5)
            ? [f.buyer, 'seller_unresponsive']
            : [f.seller, 'cannot_deliver'];
          return { command: request(actor, 'cancellation', { reason }), after: hours(1, 30) };
        }
        if (r < 0.1 && !delivered && s.dueAt) {
          const proposedDueAt = new Date(Date.parse(s.dueAt) + 3 * DAY_MS).toISOString();
          return { command: request(f.seller, 'delivery_extension', { proposedDueAt }), after: hours(1, 30) };
        }
        if (r < 0.13) return { command: request(f.buyer, 'order_update'), after: hours(1, 30) };
        if (r < 0.2 && !delivered) {
          return {
            command: cmd(
              'OfferExtras',
              {
                offerId: uuid(),
                description: 'Extra revision round',
                amount: 1500,
                extraDays: Math.floor(random() * 3),
              },
              f.seller,
            ),
            after: hours(1, 20),
          };
        }
        if (!delivered && s.dueAt && s.veryLateRecordedForDueAt === s.dueAt && r < 0.7) {
          return { command: cmd('CancelOrder', { reason: 'late_delivery' }, f.buyer), after: 0 };
        }
        if (r < 0.23 && !delivered && s.dueAt) {
          // Very late: the scheduler records it, then the buyer cancels without consent (forced).
          const veryLate = Date.parse(s.dueAt) + 25 * HOUR_MS;
          if (s.veryLateRecordedForDueAt !== s.dueAt) return { waitUntil: veryLate, intent: 'very_late' };
          return { command: cmd('CancelOrder', { reason: 'late_delivery' }, f.buyer), after: 0 };
        }
        if (r < 0.245) {
          const counts = chance(0.5);
          return {
            command: cmd(
              'CancelOrder',
              counts ? { reason: 'terms_violation' } : { reason: 'fraud', countsTowardCompletionRate: false },
              SUPPORT,
            ),
            after: 0,
          };
        }
        return {
          command: cmd('DeliverOrder', { message: 'Please find the delivery attached.' }, f.seller),
          after: hours(2, 60),
        };
      }
      case 'delivered': {
        if (r < 0.15 && f.revisions < 2) {
          f.revisions++;
          return {
            command: cmd('RequestRevision', { message: 'Almost: one change please.' }, f.buyer),
            after: hours(2, 30),
          };
        }
        if (r < 0.3) {
          return { waitUntil: Date.parse(s.deliveredAt!) + AUTO_COMPLETE_AFTER_MS, intent: 'auto_complete' };
        }
        if (r < 0.33)
          return {
            command: request(f.buyer, 'cancellation', { reason: 'not_as_described' }),
            after: hours(1, 30),
          };
        return { command: cmd('AcceptDelivery', {}, f.buyer), after: 0 };
      }
      default:
        return null;
    }
  };

  const startNext = (): void => {
    if (placed >= options.orders) return;
    placed++;
    const reorder =
      pendingReorders.length > 0 && pendingReorders[0].at <= now + DAY_MS
        ? pendingReorders.shift()
        : undefined;
    const flight = reorder
      ? newFlight(reorder.buyer, reorder.seller, Math.max(now, reorder.at))
      : newFlight(pick(buyers), pick(sellers), now + random() * 10 * 60_000);
    agenda.push(flight);
  };

  for (let i = 0; i < Math.min(concurrency, options.orders); i++) startNext();
  while (agenda.size > 0) {
    const f = agenda.pop()!;
    now = Math.max(now, f.nextAt);
    const next = nextCommand(f, now);
    if (!next) {
      startNext();
      continue;
    }
    f.steps++;
    if ('waitUntil' in next) {
      f.intent = next.intent;
      f.nextAt = Math.max(now, next.waitUntil) + 1000;
      agenda.push(f);
      continue;
    }
    const when = now;
    let events: ReturnType<typeof decide>;
    try {
      events = decide(next.command, f.state);
    } catch {
      events = []; // a step the rules refuse right now (e.g. a timeout not yet due): try something else later
    }
    for (const e of events) {
      f.state = evolve(f.state, e);
      f.revision++;
      yield {
        streamName: `order-${f.orderId}`,
        revision: f.revision,
        expected: f.revision === 0 ? 'no_stream' : f.revision - 1,
        event: {
          id: uuid(),
          type: e.type,
          data: e.data as unknown as Record<string, unknown>,
          metadata: {
            actor: next.command.actor,
            correlationId: uuid(),
            causationId: null,
            schemaVersion: ORDER_EVENT_SCHEMA_VERSION,
          },
        },
        at: new Date(when),
      };
      if (
        e.type === 'OrderCancelled' &&
        (e.data.mode === 'mutual' || e.data.mode === 'auto_accepted') &&
        chance(0.3)
      ) {
        pendingReorders.push({ buyer: f.buyer.id, seller: f.seller.id, at: when + random() * 13 * DAY_MS });
      }
    }
    f.nextAt = now + Math.max(next.after, 60_000) + random() * ANSWER_WINDOW_MS * 0.01;
    agenda.push(f);
  }
}
