// Helpers for the timeout API specs: place orders and drive the manual clock through the HTTP API only.
import { CHECKOUT } from '../support/orders';
import { randomUUID } from 'node:crypto';
import { bearer, type TestApp } from '../support/test-app';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export interface HistoryEntry {
  revision: number;
  type: string;
  at: string;
  actor: { id: string; role: string };
  data: Record<string, unknown>;
}

export class Driver {
  readonly buyer = randomUUID();
  readonly seller = randomUUID();
  constructor(readonly t: TestApp) {}

  as(user: 'buyer' | 'seller'): { authorization: string } {
    return bearer(this.t.token(user === 'buyer' ? this.buyer : this.seller));
  }

  async now(): Promise<number> {
    const r = await this.t.http.get('/testing/clock').expect(200);
    return Date.parse((r.body as { now: string }).now);
  }

  /** Moves the test clock; resolves when every deadline due by then is handled. */
  async setNow(ms: number): Promise<void> {
    await this.t.http
      .post('/testing/clock')
      .send({ now: new Date(ms).toISOString() })
      .expect(200);
  }

  async advance(ms: number): Promise<void> {
    await this.t.http.post('/testing/clock').send({ advanceMs: ms }).expect(200);
  }

  /** An order in progress (no requirements needed): dueAt = placement + deliveryDays. */
  async placeInProgress(deliveryDays = 7): Promise<{ orderId: string; placedAt: number; dueAt: number }> {
    const orderId = randomUUID();
    await this.t.http
      .post('/orders')
      .set(bearer(this.t.token(CHECKOUT, ['checkout'])))
      .send({
        orderId,
        buyerId: this.buyer,
        sellerId: this.seller,
        title: 'Logo',
        price: { amount: 5000, currency: 'USD' },
        deliveryDays,
        requirementsNeeded: false,
      })
      .expect(201);
    const placed = (await this.history(orderId))[0];
    const data = placed.data as { placedAt: string; dueAt: string };
    return { orderId, placedAt: Date.parse(data.placedAt), dueAt: Date.parse(data.dueAt) };
  }

  /** The seller delivers; the delivery's time (ms). */
  async deliver(orderId: string): Promise<number> {
    await this.t.http
      .post(`/orders/${orderId}/deliveries`)
      .set(this.as('seller'))
      .send({ message: 'Done.' })
      .expect(200);
    return Date.parse((await this.last(orderId, 'OrderDelivered'))!.data.deliveredAt as string);
  }

  async openRequest(
    orderId: string,
    by: 'buyer' | 'seller',
    body: Record<string, unknown>,
  ): Promise<{ requestId: string; respondBy: number }> {
    const r = await this.t.http.post(`/orders/${orderId}/requests`).set(this.as(by)).send(body).expect(201);
    const b = r.body as { requestId: string; respondBy: string };
    return { requestId: b.requestId, respondBy: Date.parse(b.respondBy) };
  }

  async history(orderId: string): Promise<HistoryEntry[]> {
    const r = await this.t.http.get(`/orders/${orderId}/history`).set(this.as('buyer')).expect(200);
    return (r.body as { entries: HistoryEntry[] }).entries;
  }

  async types(orderId: string): Promise<string[]> {
    return (await this.history(orderId)).map((e) => e.type);
  }

  async last(orderId: string, type: string): Promise<HistoryEntry | undefined> {
    return (await this.history(orderId)).filter((e) => e.type === type).at(-1);
  }
}

/** Waits for a condition another part of the service brings about (a bounded wait, not a sleep through time). */
export async function eventually(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
