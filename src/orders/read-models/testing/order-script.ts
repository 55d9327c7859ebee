// Test helper: one order driven by the real decider, command by command, its events handed to projections as the
// feed would (stream revision, global position). For the read models' given-events-then-documents specs.
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import { InMemoryReadStore } from '../../../platform/read-store/in-memory/in-memory-read-store';
import type { Projection } from '../../../platform/read-store/read-store.port';
import type { OrderCommand } from '../../domain/order.commands';
import { decide } from '../../domain/order.decider';
import { ORDER_EVENT_SCHEMA_VERSION } from '../../domain/order.events';
import { evolve, initialOrderState, type OrderState } from '../../domain/order.state';
import { HOUR_MS, type Actor, type Party } from '../../domain/order.types';

export const T0 = Date.parse('2025-03-03T09:00:00.000Z');
export const SUPPORT_AGENT: Actor = { id: 'agent-7', role: 'support' };
export const SYSTEM: Actor = { id: 'system', role: 'system' };

/** Projections over one read store, fed by any number of scripted orders sharing one global position. */
export class ScriptedFeed {
  readonly store = new InMemoryReadStore();
  private position = 0;
  readonly events: StoredEvent[] = [];
  constructor(readonly projections: Projection[]) {}

  async apply(event: StoredEvent): Promise<void> {
    this.events.push(event);
    for (const p of this.projections) await this.store.write((w) => p.apply(event, w));
  }

  nextPosition(): string {
    return String(++this.position);
  }

  order(orderId: string, buyerId = 'buyer-1', sellerId = 'seller-1'): OrderScript {
    return new OrderScript(this, orderId, { id: buyerId, role: 'buyer' }, { id: sellerId, role: 'seller' });
  }
}

export class OrderScript {
  state: OrderState = initialOrderState;
  private revision = -1;
  private ids = 0;
  constructor(
    private readonly feed: ScriptedFeed,
    readonly orderId: string,
    readonly buyer: Actor,
    readonly seller: Actor,
  ) {}

  party(p: Party): Actor {
    return p === 'buyer' ? this.buyer : this.seller;
  }

  /** Decides `type` with `data` by `actor` at T0 + `hours`, and feeds the events to the projections. */
  async run(
    hours: number,
    actor: Actor,
    type: OrderCommand['type'],
    data: object = {},
  ): Promise<StoredEvent[]> {
    const now = new Date(T0 + hours * HOUR_MS);
    const command = { type, data, actor, now } as OrderCommand;
    const stored: StoredEvent[] = [];
    for (const e of decide(command, this.state)) {
      this.state = evolve(this.state, e);
      this.revision++;
      const event: StoredEvent = {
        id: `${this.orderId}-${this.revision}`,
        streamName: `order-${this.orderId}`,
        revision: this.revision,
        position: this.feed.nextPosition(),
        type: e.type,
        data: e.data as unknown as Record<string, unknown>,
        metadata: {
          actor,
          correlationId: `c-${this.orderId}-${this.revision}`,
          causationId: null,
          schemaVersion: ORDER_EVENT_SCHEMA_VERSION,
        },
        recordedAt: now.toISOString(),
      };
      stored.push(event);
      await this.feed.apply(event);
    }
    return stored;
  }

  /** Placed (price 10,000 USD minor units, 5 days) and started at `hours`. */
  async placeAndStart(hours = 0, price = 10_000): Promise<this> {
    await this.run(hours, this.buyer, 'PlaceOrder', {
      orderId: this.orderId,
      buyerId: this.buyer.id,
      sellerId: this.seller.id,
      title: `Order ${this.orderId}`,
      price: { amount: price, currency: 'USD' },
      deliveryDays: 5,
      requirementsNeeded: false,
    });
    return this;
  }

  newId(kind: string): string {
    return `${kind}-${this.orderId}-${++this.ids}`;
  }

  /** Opens a support case by `party` at `hours`; returns its id. */
  async openCase(hours: number, party: Party, category = 'quality'): Promise<string> {
    const caseId = this.newId('case');
    await this.run(hours, this.party(party), 'OpenSupportCase', {
      caseId,
      category,
      description: 'It is not what we agreed.',
    });
    return caseId;
  }
}
