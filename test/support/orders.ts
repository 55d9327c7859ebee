// Small helpers for API tests: place orders, drive them to a state, read their history, assert problems.
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { bearer, type TestApp } from './test-app';

export const PROBLEM_JSON = /^application\/problem\+json/;

/** Asserts an RFC 9457 answer with the contract's status and code. */
export function expectProblem(res: Response, status: number, code: string): void {
  if (res.status !== status || res.body?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(res.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
  });
  if (status === 400) expect(Array.isArray(res.body.errors)).toBe(true);
}

export const newUser = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export interface Parties {
  buyer: string;
  seller: string;
}

export const parties = (): Parties => ({ buyer: newUser('buyer'), seller: newUser('seller') });

/** The marketplace's checkout: the one caller that places orders (role `checkout`), naming buyer and seller. */
export const CHECKOUT = 'checkout-1';

export function orderBody(p: Parties, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    buyerId: p.buyer,
    sellerId: p.seller,
    title: 'Logo design',
    price: { amount: 5000, currency: 'USD' },
    deliveryDays: 7,
    ...extra,
  };
}

/** POST as `userId` with an optional Idempotency-Key; returns the supertest response. */
export function post(
  t: TestApp,
  userId: string,
  path: string,
  body?: unknown,
  opts: { roles?: Parameters<TestApp['token']>[1]; key?: string } = {},
) {
  let req = t.http.post(path).set(bearer(t.token(userId, opts.roles)));
  if (opts.key) req = req.set('idempotency-key', opts.key);
  return body === undefined ? req : req.send(body as object);
}

/** POST /orders as the checkout (or `opts.as`, another checkout) with an optional Idempotency-Key. */
export function postOrder(t: TestApp, body: unknown, opts: { key?: string; as?: string } = {}) {
  return post(t, opts.as ?? CHECKOUT, '/orders', body, { roles: ['checkout'], key: opts.key });
}

/** Places an order and returns its id (201 asserted). `requirementsNeeded: false` starts it at once. */
export async function placeOrder(
  t: TestApp,
  p: Parties,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await postOrder(t, orderBody(p, extra));
  if (res.status !== 201) throw new Error(`place order: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.orderId as string;
}

/** An order in_progress (placed without requirements). */
export const inProgressOrder = (t: TestApp, p: Parties): Promise<string> =>
  placeOrder(t, p, { requirementsNeeded: false });

/** Opens a request and returns its id (201 asserted). */
export async function openRequest(
  t: TestApp,
  userId: string,
  orderId: string,
  body: Record<string, unknown> = { type: 'cancellation', reason: 'other', comment: 'please' },
): Promise<string> {
  const res = await post(t, userId, `/orders/${orderId}/requests`, body);
  if (res.status !== 201) throw new Error(`open request: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.requestId as string;
}

export interface HistoryEntry {
  revision: number;
  type: string;
  at: string;
  actor: { id: string; role: string };
  data: Record<string, unknown>;
  position: string;
}

/** The order's history as `userId` (200 asserted). */
export async function history(t: TestApp, userId: string, orderId: string): Promise<HistoryEntry[]> {
  const res = await t.http.get(`/orders/${orderId}/history`).set(bearer(t.token(userId)));
  if (res.status !== 200) throw new Error(`history: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.entries as HistoryEntry[];
}

/** Revisions 0..n-1 without gaps, in order. */
export function expectContiguous(entries: HistoryEntry[]): void {
  expect(entries.map((e) => e.revision)).toEqual(entries.map((_, i) => i));
}
