// Helpers for the query API tests: commands that must succeed (remembering the last position, so reads can
// ask for read-your-writes), reads as a user, and the manual clock.
import type { Response } from 'supertest';
import type { StaffRole } from '../../src/orders/domain/order.types';
import { orderBody, post, CHECKOUT } from '../support/orders';
import { bearer, type TestApp } from '../support/test-app';

export class Api {
  /** The highest position any command returned: reads wait for it. */
  position = '0';

  constructor(readonly t: TestApp) {}

  private remember(position: unknown): void {
    if (typeof position === 'string' && BigInt(position) > BigInt(this.position)) this.position = position;
  }

  /** A command that must succeed; returns its body. */
  async ok<T = Record<string, unknown>>(
    userId: string,
    path: string,
    body: unknown = {},
    roles?: StaffRole[],
  ): Promise<T & { position: string; revision: number }> {
    const res = await post(this.t, userId, path, body, { roles });
    if (res.status >= 300)
      throw new Error(`POST ${path} as ${userId}: ${res.status} ${JSON.stringify(res.body)}`);
    this.remember(res.body.position);
    return res.body as T & { position: string; revision: number };
  }

  async place(buyer: string, seller: string, extra: Record<string, unknown> = {}): Promise<string> {
    return (
      await this.ok<{ orderId: string }>(CHECKOUT, '/orders', orderBody({ buyer, seller }, extra), [
        'checkout',
      ])
    ).orderId;
  }

  /** GET as `userId`, waiting for every command so far (unless `fresh` is false). */
  get(userId: string | null, path: string, roles: StaffRole[] = [], fresh = true): Promise<Response> {
    const sep = path.includes('?') ? '&' : '?';
    const req = this.t.http.get(fresh ? `${path}${sep}minPosition=${this.position}` : path);
    return userId === null ? req : req.set(bearer(this.t.token(userId, roles)));
  }

  /** GET that must answer 200; returns the body. */
  async read<T = Record<string, unknown>>(userId: string, path: string, roles: StaffRole[] = []): Promise<T> {
    const res = await this.get(userId, path, roles);
    if (res.status !== 200)
      throw new Error(`GET ${path} as ${userId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  }

  /** Moves the manual clock (deadlines due by then are handled and the projections caught up). */
  async advance(ms: number): Promise<Date> {
    const res = await this.t.http.post('/testing/clock').send({ advanceMs: ms });
    if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
    await this.sync();
    return new Date(res.body.now as string);
  }

  async setClock(now: Date): Promise<void> {
    const res = await this.t.http.post('/testing/clock').send({ now: now.toISOString() });
    if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
    await this.sync();
  }

  async now(): Promise<Date> {
    return new Date((await this.t.http.get('/testing/clock').expect(200)).body.now as string);
  }

  /** Timeouts fired by the clock wrote events: read-your-writes must wait for those too. */
  private async sync(): Promise<void> {
    const head = await this.t.http.get('/health');
    this.remember(head.body?.checks?.eventStore?.details?.headPosition);
  }
}

export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;
