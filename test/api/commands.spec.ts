// Every command route of api.md through HTTP against the real app (embedded SQLite): happy paths with the
// exact response shapes and status codes, and each refusal of the error table.
import { randomUUID } from 'node:crypto';
import {
  expectContiguous,
  expectProblem,
  history,
  inProgressOrder,
  openRequest,
  orderBody,
  parties,
  placeOrder,
  post,
  postOrder,
} from '../support/orders';
import { bearer, startTestApp, TestApp } from '../support/test-app';

const DAY = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('command routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('POST /orders places an order: 201 { orderId, revision, position }', async () => {
    const p = parties();
    const res = await postOrder(t, orderBody(p));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      orderId: expect.stringMatching(UUID),
      revision: 0,
      position: expect.any(String),
    });
    expect(BigInt(res.body.position)).toBeGreaterThan(0n);
    const entries = await history(t, p.buyer, res.body.orderId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      revision: 0,
      type: 'OrderPlaced',
      actor: { id: p.buyer, role: 'buyer' },
      data: { buyerId: p.buyer, sellerId: p.seller, requirementsNeeded: true, dueAt: null },
    });
  });

  it('POST /orders keeps a client-chosen orderId', async () => {
    const p = parties();
    const orderId = randomUUID();
    const res = await postOrder(t, orderBody(p, { orderId, requirementsNeeded: false }));
    expect(res.status).toBe(201);
    expect(res.body.orderId).toBe(orderId);
    const [placed] = await history(t, p.seller, orderId);
    expect(placed.data).toMatchObject({ requirementsNeeded: false, dueAt: expect.any(String) });
  });

  it('runs a whole order through every command route with the documented answers', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p);
    const revisions: number[] = [0];
    const ok = async (userId: string, path: string, body: unknown, status = 200) => {
      const res = await post(t, userId, `/orders/${orderId}${path}`, body);
      if (res.status !== status) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
      expect(res.body).toMatchObject({ orderId, revision: expect.any(Number), position: expect.any(String) });
      expect(res.body.revision).toBeGreaterThan(revisions[revisions.length - 1]);
      revisions.push(res.body.revision);
      return res.body;
    };

    // Extras before the start: declined, then another one accepted.
    const offer1 = await ok(
      p.seller,
      '/extras',
      { description: 'Source files', amount: 1500, extraDays: 1 },
      201,
    );
    expect(offer1.offerId).toMatch(UUID);
    await ok(p.buyer, `/extras/${offer1.offerId}/decline`, {});
    const offer2 = await ok(p.seller, '/extras', { description: 'Express', amount: 2000, extraDays: 0 }, 201);
    await ok(p.buyer, `/extras/${offer2.offerId}/accept`, {});

    await ok(p.buyer, '/requirements', { text: 'A fox, orange, minimal.' });

    // Delivery extension, accepted by the buyer.
    const placed = (await history(t, p.buyer, orderId)).find((e) => e.type === 'RequirementsSubmitted')!;
    const proposedDueAt = new Date(Date.parse(placed.data.dueAt as string) + 2 * DAY).toISOString();
    const ext = await ok(
      p.seller,
      '/requests',
      { type: 'delivery_extension', comment: 'Need two more days', proposedDueAt },
      201,
    );
    expect(ext).toMatchObject({ requestId: expect.stringMatching(UUID), respondBy: expect.any(String) });
    expect(Date.parse(ext.respondBy) - Date.now()).toBeGreaterThan(47 * 60 * 60 * 1000);
    await ok(p.buyer, `/requests/${ext.requestId}/accept`, {});

    // Order update: answered by the seller's update.
    const upd = await ok(p.buyer, '/requests', { type: 'order_update', comment: 'How is it going?' }, 201);
    await ok(p.seller, `/requests/${upd.requestId}/accept`, { comment: 'Sketches done.' });

    // A cancellation request declined, another withdrawn.
    const c1 = await ok(
      p.seller,
      '/requests',
      { type: 'cancellation', reason: 'scope_changed', comment: 'Hm' },
      201,
    );
    await ok(p.buyer, `/requests/${c1.requestId}/decline`, { comment: 'No, please go on' });
    const c2 = await ok(
      p.buyer,
      '/requests',
      { type: 'cancellation', reason: 'other', comment: 'Maybe' },
      201,
    );
    await ok(p.buyer, `/requests/${c2.requestId}/withdraw`, {});

    await ok(p.seller, '/deliveries', { message: 'Here it is' });
    await ok(p.buyer, '/revisions', { message: 'Bigger fox please' });
    await ok(p.seller, '/deliveries', { message: 'Bigger fox' });
    await ok(p.buyer, '/acceptance', {});

    const entries = await history(t, p.buyer, orderId);
    expectContiguous(entries);
    expect(entries[entries.length - 1].revision).toBe(revisions[revisions.length - 1]);
    expect(entries.map((e) => e.type)).toEqual([
      'OrderPlaced',
      'ExtrasOffered',
      'ExtrasDeclined',
      'ExtrasOffered',
      'ExtrasAccepted',
      'RequirementsSubmitted',
      'ResolutionRequestOpened',
      'ResolutionRequestAccepted',
      'DueDateExtended',
      'ResolutionRequestOpened',
      'ResolutionRequestAccepted',
      'ResolutionRequestOpened',
      'ResolutionRequestDeclined',
      'ResolutionRequestOpened',
      'ResolutionRequestWithdrawn',
      'OrderDelivered',
      'RevisionRequested',
      'OrderDelivered',
      'OrderCompleted',
    ]);
    expect(entries.find((e) => e.type === 'DueDateExtended')!.data.newDueAt).toBe(proposedDueAt);
    expect(entries.find((e) => e.type === 'ExtrasAccepted')!.data.newPrice).toEqual({
      amount: 7000,
      currency: 'USD',
    });
  });

  it('POST /start: the seller starts without requirements', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p);
    const res = await post(t, p.seller, `/orders/${orderId}/start`, {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ orderId, revision: 1, position: expect.any(String) });
    // No body at all is the same as {}.
    const again = await post(t, p.seller, `/orders/${orderId}/start`);
    expectProblem(again, 409, 'INVALID_STATE');
  });

  it('POST /cancellation: the buyer cancels an order awaiting requirements (unilateral, not counted)', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p);
    const res = await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'ordered_by_mistake' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ orderId, revision: 1, position: expect.any(String) });
    const last = (await history(t, p.buyer, orderId)).pop()!;
    expect(last).toMatchObject({
      type: 'OrderCancelled',
      data: { mode: 'unilateral', initiator: 'buyer', countsTowardCompletionRate: false },
    });
  });

  it('POST /cancellation: support cancels any active order and decides whether it counts', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const res = await post(
      t,
      'agent-1',
      `/orders/${orderId}/cancellation`,
      { reason: 'fraud', comment: 'stolen card', countsTowardCompletionRate: false },
      { roles: ['support'] },
    );
    expect(res.status).toBe(200);
    const entries = await t.http
      .get(`/orders/${orderId}/history`)
      .set(bearer(t.token('agent-1', ['support'])))
      .expect(200);
    expect(entries.body.entries.pop()).toMatchObject({
      type: 'OrderCancelled',
      actor: { id: 'agent-1', role: 'support' },
      data: { mode: 'support', initiator: 'support', reason: 'fraud', countsTowardCompletionRate: false },
    });
  });

  it('accepting a cancellation request cancels the order (mutual)', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const requestId = await openRequest(t, p.buyer, orderId, {
      type: 'cancellation',
      reason: 'no_longer_needed',
      comment: 'Sorry',
    });
    const res = await post(t, p.seller, `/orders/${orderId}/requests/${requestId}/accept`, {});
    expect(res.status).toBe(200);
    expect(res.body.revision).toBe(3);
    const types = (await history(t, p.seller, orderId)).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['ResolutionRequestAccepted', 'OrderCancelled']);
  });

  it('echoes x-correlation-id and records it on the events', async () => {
    const p = parties();
    const res = await postOrder(t, orderBody(p)).set('x-correlation-id', 'corr-123');
    expect(res.status).toBe(201);
    expect(res.headers['x-correlation-id']).toBe('corr-123');
  });
});

describe('the error table', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('400 VALIDATION_FAILED: malformed body, with errors[{ field, message }]', async () => {
    const p = parties();
    const res = await postOrder(t, { ...orderBody(p), deliveryDays: 0 });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field: 'deliveryDays', message: expect.any(String) }]);
  });

  it('400 VALIDATION_FAILED: a malformed request body (OpenRequestDto), with its field errors; nothing appended', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const before = await history(t, p.buyer, orderId);
    const typeError = {
      field: 'type',
      message: expect.stringMatching(/^type must be one of the following values/),
    };
    const cases: Array<[unknown, unknown[]]> = [
      [
        undefined,
        [
          typeError,
          { field: 'comment', message: 'comment must be shorter than or equal to 10000 characters' },
          { field: 'comment', message: 'comment should not be empty' },
          { field: 'comment', message: 'comment must be a string' },
        ],
      ],
      [{ type: 'refund', comment: 'c' }, [typeError]],
      [
        { type: 'cancellation', reason: 'because', comment: 'c' },
        [{ field: 'reason', message: expect.stringMatching(/^reason must be one of the following values/) }],
      ],
      [{ type: 'order_update', comment: '' }, [{ field: 'comment', message: 'comment should not be empty' }]],
      [
        { type: 'order_update', comment: 'x'.repeat(10_001) },
        [{ field: 'comment', message: 'comment must be shorter than or equal to 10000 characters' }],
      ],
      [
        { type: 'delivery_extension', comment: 'c', proposedDueAt: 7 },
        [
          { field: 'proposedDueAt', message: 'proposedDueAt must be shorter than or equal to 64 characters' },
          { field: 'proposedDueAt', message: 'proposedDueAt must be a string' },
        ],
      ],
      [
        { type: 'order_update', comment: 'c', priority: 'high' },
        [{ field: 'priority', message: 'property priority should not exist' }],
      ],
    ];
    for (const [body, errors] of cases) {
      const res = await post(t, p.buyer, `/orders/${orderId}/requests`, body);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual(errors);
    }
    expect(await history(t, p.buyer, orderId)).toEqual(before);
  });

  it('400 VALIDATION_FAILED: a rule of the decider (a cancellation request needs a reason)', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const res = await post(t, p.buyer, `/orders/${orderId}/requests`, { type: 'cancellation', comment: 'x' });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field: 'reason', message: expect.any(String) }]);
  });

  it('401 UNAUTHENTICATED: no token', async () => {
    const res = await t.http.post('/orders').send(orderBody(parties()));
    expectProblem(res, 401, 'UNAUTHENTICATED');
  });

  it('403 FORBIDDEN: not a party, or the wrong party', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    expectProblem(
      await post(t, 'stranger', `/orders/${orderId}/deliveries`, { message: 'x' }),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await post(t, p.buyer, `/orders/${orderId}/deliveries`, { message: 'x' }),
      403,
      'FORBIDDEN',
    );
    // Auditors read everything and change nothing.
    const auditor = await post(
      t,
      'aud',
      `/orders/${orderId}/cancellation`,
      { reason: 'other' },
      { roles: ['auditor'] },
    );
    expectProblem(auditor, 403, 'FORBIDDEN');
  });

  it('404 ORDER_NOT_FOUND / REQUEST_NOT_FOUND / OFFER_NOT_FOUND', async () => {
    const p = parties();
    expectProblem(await post(t, p.buyer, `/orders/${randomUUID()}/acceptance`, {}), 404, 'ORDER_NOT_FOUND');
    const orderId = await inProgressOrder(t, p);
    expectProblem(
      await post(t, p.seller, `/orders/${orderId}/requests/${randomUUID()}/accept`, {}),
      404,
      'REQUEST_NOT_FOUND',
    );
    expectProblem(
      await post(t, p.buyer, `/orders/${orderId}/extras/${randomUUID()}/accept`, {}),
      404,
      'OFFER_NOT_FOUND',
    );
  });

  it('404 NOT_FOUND: unknown route', async () => {
    const res = await t.http
      .post('/orders/nope/nothing')
      .set(bearer(t.token('u')))
      .send({});
    expectProblem(res, 404, 'NOT_FOUND');
    expectProblem(await t.http.get('/nowhere'), 404, 'NOT_FOUND');
  });

  it('409 ORDER_ALREADY_EXISTS', async () => {
    const p = parties();
    const orderId = randomUUID();
    await placeOrder(t, p, { orderId });
    expectProblem(await postOrder(t, orderBody(p, { orderId })), 409, 'ORDER_ALREADY_EXISTS');
  });

  it('409 RESOLUTION_CENTER_UNAVAILABLE: completed or cancelled orders', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p);
    await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'other' }).expect(200);
    const res = await post(t, p.seller, `/orders/${orderId}/requests`, {
      type: 'cancellation',
      reason: 'other',
      comment: 'x',
    });
    expectProblem(res, 409, 'RESOLUTION_CENTER_UNAVAILABLE');
    expectProblem(
      await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'other' }),
      409,
      'RESOLUTION_CENTER_UNAVAILABLE',
    );
  });

  it('409 REQUEST_ALREADY_OPEN: a second request, or a unilateral cancellation while one is open', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p);
    await openRequest(t, p.seller, orderId, { type: 'cancellation', reason: 'cannot_deliver', comment: 'x' });
    expectProblem(
      await post(t, p.buyer, `/orders/${orderId}/requests`, {
        type: 'cancellation',
        reason: 'other',
        comment: 'y',
      }),
      409,
      'REQUEST_ALREADY_OPEN',
    );
    expectProblem(
      await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'other' }),
      409,
      'REQUEST_ALREADY_OPEN',
    );
  });

  it('409 REQUEST_NOT_OPEN: withdrawn twice', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const requestId = await openRequest(t, p.buyer, orderId);
    await post(t, p.buyer, `/orders/${orderId}/requests/${requestId}/withdraw`, {}).expect(200);
    expectProblem(
      await post(t, p.buyer, `/orders/${orderId}/requests/${requestId}/withdraw`, {}),
      409,
      'REQUEST_NOT_OPEN',
    );
    expectProblem(
      await post(t, p.seller, `/orders/${orderId}/requests/${requestId}/accept`, {}),
      409,
      'REQUEST_NOT_OPEN',
    );
  });

  it('409 CANCELLATION_NOT_ALLOWED: in progress and not very late', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    expectProblem(
      await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' }),
      409,
      'CANCELLATION_NOT_ALLOWED',
    );
  });

  it('409 INVALID_STATE: delivering an order awaiting requirements', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p);
    expectProblem(
      await post(t, p.seller, `/orders/${orderId}/deliveries`, { message: 'x' }),
      409,
      'INVALID_STATE',
    );
  });

  it('refusals write nothing', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p);
    await post(t, p.seller, `/orders/${orderId}/deliveries`, { message: 'x' }).expect(409);
    await post(t, 'stranger', `/orders/${orderId}/start`, {}).expect(403);
    expect(await history(t, p.buyer, orderId)).toHaveLength(1);
  });
});

describe('rules that depend on time (CLOCK=manual)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
  });
  afterAll(() => t?.close());

  it('exposes the manual clock, which stamps the events', async () => {
    expect(t.clock).toBeDefined();
    t.clock!.set(new Date('2030-01-01T00:00:00.000Z'));
    const p = parties();
    const orderId = await placeOrder(t, p);
    const [placed] = await history(t, p.buyer, orderId);
    expect(placed.data.placedAt).toBe('2030-01-01T00:00:00.000Z');
    expect(placed.at).toBe('2030-01-01T00:00:00.000Z');
  });

  it('409 REQUEST_NOT_OPEN once respondBy has passed (the timeout wins)', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const requestId = await openRequest(t, p.buyer, orderId);
    t.clock!.advance(48 * 60 * 60 * 1000 + 1);
    expectProblem(
      await post(t, p.seller, `/orders/${orderId}/requests/${requestId}/decline`, {}),
      409,
      'REQUEST_NOT_OPEN',
    );
  });

  it('a very late order may be cancelled by the buyer (forced); before that CANCELLATION_NOT_ALLOWED', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p, { requirementsNeeded: false, deliveryDays: 2 });
    t.clock!.advance(2 * DAY + 23 * 60 * 60 * 1000); // late, not yet very late
    expectProblem(
      await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' }),
      409,
      'CANCELLATION_NOT_ALLOWED',
    );
    t.clock!.advance(60 * 60 * 1000);
    const res = await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' });
    expect(res.status).toBe(200);
    const last = (await history(t, p.buyer, orderId)).pop()!;
    expect(last.data).toMatchObject({ mode: 'forced', countsTowardCompletionRate: true });
  });
});
