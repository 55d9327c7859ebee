// CPU time per event of each projection's own work (apply, with every document read parsed from JSON and every
// write serialised to JSON, as the SQLite read store does; no SQLite, no engine): where a core's time per event
// goes on the worker side. Two workloads: realistic lifecycles (the simulation), and the write bench's shape
// (open/withdraw cycles on 2,000 orders), at 10 and at 75 cycles per order (what 300 s at 1,000 commands/s leaves).
// `npm run bench -- projection-cost`.
import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../src/platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../src/platform/read-store/read-store.port';
import { decide } from '../src/orders/domain/order.decider';
import { evolve, initialOrderState, type OrderState } from '../src/orders/domain/order.state';
import type { OrderCommand } from '../src/orders/domain/order.commands';
import { createReadSideProjections } from '../src/orders/read-models/read-side.projections';
import { simulateOrders } from '../src/orders/read-models/testing/order-simulation';
import { DeadlinesProjection } from '../src/orders/timeouts/deadlines.projection';

/** Documents kept as JSON text: get parses, put serialises (the read store's per-document work). */
class JsonWriter implements DocumentWriter {
  private readonly docs = new Map<string, string>();
  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    const text = this.docs.get(`${collection}\u0000${id}`);
    return text === undefined ? null : (JSON.parse(text) as T);
  }
  async put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    this.docs.set(`${collection}\u0000${id}`, JSON.stringify(doc));
  }
  async delete(collection: string, id: string): Promise<void> {
    this.docs.delete(`${collection}\u0000${id}`);
  }
  find(): Promise<never> {
    throw new Error('not used by apply');
  }
  count(): Promise<never> {
    throw new Error('not used by apply');
  }
}

function stored(events: { streamName: string; revision: number; type: string; data: unknown; at: Date }[]) {
  return events.map((e, i): StoredEvent => ({
    id: randomUUID(),
    streamName: e.streamName,
    revision: e.revision,
    position: String(i + 1),
    type: e.type,
    data: e.data as Record<string, unknown>,
    metadata: { actor: { id: 'x', role: 'buyer' }, correlationId: 'c', causationId: null, schemaVersion: 1 },
    recordedAt: e.at.toISOString(),
  }));
}

function realistic(orders: number): StoredEvent[] {
  return stored(
    [...simulateOrders({ orders, seed: 7 })].map((e) => ({
      streamName: e.streamName,
      revision: e.revision,
      type: e.event.type,
      data: e.event.data,
      at: e.at,
    })),
  );
}

/** 2,000 orders placed, then `cycles` open/withdraw rounds over all of them (the write bench's load). */
function cycles(orders: number, rounds: number): StoredEvent[] {
  const out: { streamName: string; revision: number; type: string; data: unknown; at: Date }[] = [];
  const states: OrderState[] = [];
  const revisions: number[] = [];
  const ids = Array.from({ length: orders }, () => randomUUID());
  const buyer = { id: 'buyer-1', role: 'buyer' as const };
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const run = (i: number, command: OrderCommand) => {
    for (const e of decide(command, states[i] ?? initialOrderState)) {
      states[i] = evolve(states[i] ?? initialOrderState, e);
      revisions[i] = (revisions[i] ?? -1) + 1;
      out.push({
        streamName: `order-${ids[i]}`,
        revision: revisions[i],
        type: e.type,
        data: e.data,
        at: new Date(now),
      });
    }
  };
  ids.forEach((orderId, i) =>
    run(i, {
      type: 'PlaceOrder',
      actor: buyer,
      now: new Date(now),
      data: {
        orderId,
        buyerId: buyer.id,
        sellerId: 'seller-1',
        title: 'Logo design',
        price: { amount: 5000, currency: 'USD' },
        deliveryDays: 7,
        requirementsNeeded: false,
      },
    }),
  );
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < orders; i++) {
      now += 10;
      const requestId = randomUUID();
      const base = { actor: buyer, now: new Date(now) };
      run(i, {
        ...base,
        type: 'OpenRequest',
        data: { requestId, requestType: 'cancellation', reason: 'no_longer_needed', comment: 'bench' },
      } as OrderCommand);
      run(i, { ...base, type: 'WithdrawRequest', data: { requestId } });
    }
  }
  return stored(out);
}

async function cost(projection: Projection, events: StoredEvent[], measureLast: number): Promise<number> {
  const writer = new JsonWriter();
  const warm = events.length - measureLast;
  for (let i = 0; i < warm; i++) await projection.apply(events[i], writer);
  const t = process.cpuUsage();
  for (let i = warm; i < events.length; i++) await projection.apply(events[i], writer);
  const used = process.cpuUsage(t);
  return (used.user + used.system) / measureLast;
}

export async function runProjectionCostBench(): Promise<Record<string, Record<string, number>>> {
  const projections = (): Projection[] => [...createReadSideProjections(), new DeadlinesProjection()];
  const workloads: [string, StoredEvent[]][] = [
    ['realistic lifecycles (20,000 orders)', realistic(20_000)],
    ['open/withdraw, 10 cycles per order (2,000 orders)', cycles(2000, 10)],
    ['open/withdraw, 75 cycles per order (2,000 orders)', cycles(2000, 75)],
  ];
  const result: Record<string, Record<string, number>> = {};
  for (const [name, events] of workloads) {
    // The last 20,000 events (the others build the documents up first).
    const measured = Math.min(20_000, events.length);
    const row: Record<string, number> = {};
    for (const p of projections()) row[p.name] = Math.round((await cost(p, events, measured)) * 10) / 10;
    row.total = Math.round(Object.values(row).reduce((a, b) => a + b, 0) * 10) / 10;
    result[name] = row;
    console.log(
      `projection-cost: ${name}, CPU µs per event: ` +
        Object.entries(row)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
    );
  }
  return result;
}

export const run = runProjectionCostBench;
