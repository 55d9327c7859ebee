// Helpers for the support-case and partial-refund API specs: an order with its parties and a support agent,
// commands as each of them, and the raw responses for refusals.
import type { Response } from 'supertest';
import type { StaffRole } from '../../src/orders/domain/order.types';
import { newUser, post } from '../support/orders';
import type { TestApp } from '../support/test-app';
import { Api } from './queries.support';

export type Who = 'buyer' | 'seller' | 'support' | 'stranger' | 'auditor';

export const evidence = (n = 1) =>
  Array.from({ length: n }, (_, i) => ({
    name: `shot-${i}.png`,
    contentType: 'image/png',
    sizeBytes: 1024 * (i + 1),
    sha256: 'a'.repeat(63) + String(i % 10),
    url: `https://files.example.com/evidence/${i}`,
  }));

/** One order, its buyer and seller, an agent, an auditor: act as any of them. */
export class Dispute {
  readonly buyer = newUser('buyer');
  readonly seller = newUser('seller');
  readonly agent = newUser('agent');
  readonly auditor = newUser('auditor');
  orderId = '';

  constructor(readonly api: Api) {}

  static async placed(api: Api, extra: Record<string, unknown> = {}): Promise<Dispute> {
    const d = new Dispute(api);
    d.orderId = await api.place(d.buyer, d.seller, { requirementsNeeded: false, ...extra });
    return d;
  }

  private user(who: Who): { id: string; roles: StaffRole[] } {
    switch (who) {
      case 'buyer':
        return { id: this.buyer, roles: [] };
      case 'seller':
        return { id: this.seller, roles: [] };
      case 'support':
        return { id: this.agent, roles: ['support'] };
      case 'auditor':
        return { id: this.auditor, roles: ['auditor'] };
      case 'stranger':
        return { id: newUser('stranger'), roles: [] };
    }
  }

  get t(): TestApp {
    return this.api.t;
  }

  /** A command that must succeed (path relative to the order). */
  ok<T = Record<string, unknown>>(who: Who, path: string, body: unknown = {}) {
    const u = this.user(who);
    return this.api.ok<T>(u.id, `/orders/${this.orderId}${path}`, body, u.roles);
  }

  /** A command's raw response (path relative to the order). */
  send(who: Who, path: string, body: unknown = {}): Promise<Response> {
    const u = this.user(who);
    return post(this.t, u.id, `/orders/${this.orderId}${path}`, body, { roles: u.roles });
  }

  async page<T = Record<string, unknown>>(who: Who): Promise<T> {
    const u = this.user(who);
    return this.api.read<T>(u.id, `/orders/${this.orderId}`, u.roles);
  }

  async history(who: Who): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    const u = this.user(who);
    return (await this.api.read<{ entries: [] }>(u.id, `/orders/${this.orderId}/history`, u.roles)).entries;
  }

  async openCase(who: 'buyer' | 'seller' = 'buyer', body: Record<string, unknown> = {}) {
    return this.ok<{ caseId: string; firstResponseDueAt: string }>(who, '/support-cases', {
      category: 'quality',
      description: 'The logo is blurry.',
      ...body,
    });
  }

  async deliver(): Promise<void> {
    await this.ok('seller', '/deliveries', { message: 'Here it is' });
  }
}
