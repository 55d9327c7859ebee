// GET /orders/:orderId/history: the stream itself, complete and in order, for the parties, support and auditors.
import { randomUUID } from 'node:crypto';
import {
  expectContiguous,
  expectProblem,
  inProgressOrder,
  openRequest,
  orderBody,
  parties,
  post,
  postOrder,
} from '../support/orders';
import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('GET /orders/:orderId/history', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const get = (orderId: string, userId: string, roles: Parameters<TestApp['token']>[1] = []) =>
    t.http.get(`/orders/${orderId}/history`).set(bearer(t.token(userId, roles)));

  it('returns every event in order with revision, type, at, actor and data', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const requestId = await openRequest(t, p.seller, orderId, {
      type: 'cancellation',
      reason: 'cannot_deliver',
      comment: 'Verbatim comment ✓',
    });
    await post(t, p.buyer, `/orders/${orderId}/requests/${requestId}/decline`, { comment: 'No' }).expect(200);
    await post(t, p.seller, `/orders/${orderId}/deliveries`, { message: 'done' }).expect(200);

    const res = await get(orderId, p.buyer);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.orderId).toBe(orderId);
    const entries = res.body.entries;
    expectContiguous(entries);
    expect(entries.map((e: { type: string }) => e.type)).toEqual([
      'OrderPlaced',
      'ResolutionRequestOpened',
      'ResolutionRequestDeclined',
      'OrderDelivered',
    ]);
    expect(entries.map((e: { actor: unknown }) => e.actor)).toEqual([
      { id: p.buyer, role: 'buyer' },
      { id: p.seller, role: 'seller' },
      { id: p.buyer, role: 'buyer' },
      { id: p.seller, role: 'seller' },
    ]);
    expect(entries[1].data).toMatchObject({
      requestId,
      comment: 'Verbatim comment ✓',
      reason: 'cannot_deliver',
    });
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(['actor', 'at', 'data', 'position', 'revision', 'type']);
      expect(new Date(e.at).toISOString()).toBe(e.at);
    }
    const positions = entries.map((e: { position: string }) => BigInt(e.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
  });

  it('accepts ?minPosition (the stream is always current) and answers X-Read-Model-Position', async () => {
    const p = parties();
    const placed = await postOrder(t, orderBody(p)).expect(201);
    const res = await t.http
      .get(`/orders/${placed.body.orderId}/history?minPosition=${placed.body.position}`)
      .set(bearer(t.token(p.buyer)));
    expect(res.status).toBe(200);
    expect(BigInt(res.headers['x-read-model-position'])).toBeGreaterThanOrEqual(BigInt(placed.body.position));
    const bad = await t.http
      .get(`/orders/${placed.body.orderId}/history?minPosition=abc&other=1`)
      .set(bearer(t.token(p.buyer)));
    expectProblem(bad, 400, 'VALIDATION_FAILED');
  });

  it('is readable by the seller, support and auditors', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    expect((await get(orderId, p.seller)).status).toBe(200);
    expect((await get(orderId, 'agent', ['support'])).status).toBe(200);
    expect((await get(orderId, 'aud', ['auditor'])).status).toBe(200);
  });

  it('403 FORBIDDEN for anyone else (analysts included)', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    expectProblem(await get(orderId, 'stranger'), 403, 'FORBIDDEN');
    expectProblem(await get(orderId, 'ana', ['analyst']), 403, 'FORBIDDEN');
  });

  it('404 ORDER_NOT_FOUND for an unknown order, 400 for a malformed id, 401 without a token', async () => {
    expectProblem(await get(randomUUID(), 'anyone', ['auditor']), 404, 'ORDER_NOT_FOUND');
    const bad = await get('not-a-uuid', 'anyone');
    expectProblem(bad, 400, 'VALIDATION_FAILED');
    expect(bad.body.errors).toEqual([{ field: 'orderId', message: expect.any(String) }]);
    expectProblem(await t.http.get(`/orders/${randomUUID()}/history`), 401, 'UNAUTHENTICATED');
  });
});
