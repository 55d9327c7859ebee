// No input, however malformed, gets a 5xx or writes anything: unknown fields, wrong types, malformed JSON, wrong
// content types, oversized and deeply nested bodies, bad ids; plus a fast-check property over every route.
// Also: health, and the OpenAPI document covering every route and error.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { HealthRegistry } from '../../src/platform/health/health.registry';
import {
  expectProblem,
  history,
  inProgressOrder,
  openRequest,
  orderBody,
  parties,
  post,
} from '../support/orders';
import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('malformed input', () => {
  let t: TestApp;
  let p: ReturnType<typeof parties>;
  let orderId: string;
  let requestId: string;
  let revisions: number;
  beforeAll(async () => {
    t = await startTestApp();
    p = parties();
    orderId = await inProgressOrder(t, p);
    requestId = await openRequest(t, p.buyer, orderId);
    revisions = (await history(t, p.buyer, orderId)).length;
  });
  afterAll(() => t?.close());
  afterEach(async () => {
    // Whatever was sent, the order is untouched.
    expect(await history(t, p.buyer, orderId)).toHaveLength(revisions);
  });

  const raw = (path: string, body: string, contentType = 'application/json', userId = p.buyer) =>
    t.http
      .post(path)
      .set(bearer(t.token(userId)))
      .set('content-type', contentType)
      .send(body);

  it('refuses unknown fields on every kind of body', async () => {
    const cases: Array<[string, string, object]> = [
      [p.buyer, '/orders', { ...orderBody(p), isAdmin: true }],
      [p.buyer, '/orders', { ...orderBody(p), price: { amount: 1, currency: 'USD', fx: 1 } }],
      [p.buyer, `/orders/${orderId}/requirements`, { text: 'x', extra: 1 }],
      [p.seller, `/orders/${orderId}/start`, { force: true }],
      [p.seller, `/orders/${orderId}/deliveries`, { message: 'x', files: [] }],
      [p.buyer, `/orders/${orderId}/acceptance`, { really: true }],
      [p.buyer, `/orders/${orderId}/requests`, { type: 'order_update', comment: 'x', priority: 'high' }],
      [p.seller, `/orders/${orderId}/requests/${requestId}/accept`, { comment: 'ok', mood: 'good' }],
      [p.buyer, `/orders/${orderId}/requests/${requestId}/withdraw`, { why: 'x' }],
      [p.buyer, `/orders/${orderId}/cancellation`, { reason: 'other', refund: 100 }],
      [p.seller, `/orders/${orderId}/extras`, { description: 'x', amount: 1, extraDays: 0, discount: 1 }],
      [p.buyer, `/orders/${orderId}/extras/${randomUUID()}/decline`, { x: 1 }],
    ];
    for (const [user, path, body] of cases) {
      const res = await post(t, user, path, body);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
  });

  it('refuses wrong types (no implicit conversion)', async () => {
    const bad: object[] = [
      { ...orderBody(p), price: { amount: '5000', currency: 'USD' } },
      { ...orderBody(p), price: { amount: 50.5, currency: 'USD' } },
      { ...orderBody(p), price: { amount: 5000, currency: 'usd' } },
      { ...orderBody(p), price: 'cheap' },
      { ...orderBody(p), price: null },
      { ...orderBody(p), deliveryDays: 1.5 },
      { ...orderBody(p), deliveryDays: 366 },
      { ...orderBody(p), deliveryDays: '7' },
      { ...orderBody(p), requirementsNeeded: 'yes' },
      { ...orderBody(p), sellerId: 42 },
      { ...orderBody(p), title: '' },
      { ...orderBody(p), title: 'x'.repeat(201) },
      { ...orderBody(p), orderId: 'not-a-uuid' },
    ];
    for (const body of bad) {
      const res = await post(t, p.buyer, '/orders', body);
      expectProblem(res, 400, 'VALIDATION_FAILED');
    }
    const res = await post(t, p.buyer, '/orders', { ...orderBody(p), deliveryDays: '7', title: 5 });
    expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual([
      'deliveryDays',
      'title',
    ]);
    const nested = await post(t, p.buyer, '/orders', {
      ...orderBody(p),
      price: { amount: -1, currency: 'USD' },
    });
    expect(nested.body.errors).toEqual([{ field: 'price.amount', message: expect.any(String) }]);
  });

  it('refuses bodies that are not a JSON object', async () => {
    for (const body of ['[]', '[{"text":"x"}]', '"text"', '42', 'true']) {
      expectProblem(await raw(`/orders/${orderId}/requirements`, body), 400, 'VALIDATION_FAILED');
      expectProblem(await raw(`/orders/${orderId}/acceptance`, body), 400, 'VALIDATION_FAILED');
    }
  });

  it('refuses malformed JSON', async () => {
    for (const body of ['{', '{"text": }', "{'text': 'x'}", '{"text":"x"}}', '\u0000', 'nul']) {
      expectProblem(
        await raw(`/orders/${orderId}/deliveries`, body, 'application/json', p.seller),
        400,
        'VALIDATION_FAILED',
      );
    }
  });

  it('refuses prototype poisoning', async () => {
    const res = await raw(`/orders/${orderId}/deliveries`, '{"message":"x","__proto__":{"admin":true}}');
    expectProblem(res, 400, 'VALIDATION_FAILED');
    const ctor = await raw(
      `/orders/${orderId}/deliveries`,
      '{"message":"x","constructor":{"prototype":{"a":1}}}',
    );
    expectProblem(ctor, 400, 'VALIDATION_FAILED');
  });

  it('refuses other content types', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
    ]) {
      expectProblem(
        await raw(`/orders/${orderId}/deliveries`, 'message=x', type, p.seller),
        400,
        'VALIDATION_FAILED',
      );
    }
  });

  it('refuses oversized bodies and overlong fields', async () => {
    const huge = JSON.stringify({ message: 'x'.repeat(200_000) });
    expectProblem(
      await raw(`/orders/${orderId}/deliveries`, huge, 'application/json', p.seller),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    const long = await post(t, p.seller, `/orders/${orderId}/deliveries`, { message: 'x'.repeat(10_001) });
    expectProblem(long, 400, 'VALIDATION_FAILED');
    expect(long.body.errors[0].field).toBe('message');
  });

  it('refuses deeply nested bodies without overflowing the stack (with and without Idempotency-Key)', async () => {
    // 10,000 levels: deep, yet under the 64 KiB body limit (over it is a 413 before any parsing).
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    expectProblem(
      await raw(`/orders/${orderId}/deliveries`, deep, 'application/json', p.seller),
      400,
      'VALIDATION_FAILED',
    );
    const arrays = '{"message":' + '['.repeat(30_000) + ']'.repeat(30_000) + '}';
    expectProblem(
      await raw(`/orders/${orderId}/deliveries`, arrays, 'application/json', p.seller),
      400,
      'VALIDATION_FAILED',
    );
    const keyed = await t.http
      .post(`/orders/${orderId}/deliveries`)
      .set(bearer(t.token(p.seller)))
      .set('idempotency-key', 'deep')
      .set('content-type', 'application/json')
      .send(arrays);
    expectProblem(keyed, 400, 'VALIDATION_FAILED');
  });

  it('refuses text that is not well-formed Unicode (a lone surrogate) with 400, naming the field', async () => {
    const lone = await raw(
      `/orders/${orderId}/deliveries`,
      '{"message":"half a pair: \\ud83d, then more"}',
      'application/json',
      p.seller,
    );
    expectProblem(lone, 400, 'VALIDATION_FAILED');
    expect(lone.body.errors[0].field).toBe('message');
    const nested = await raw(
      '/orders',
      JSON.stringify({ ...orderBody(p), title: 'ok' }).replace('"title":"ok"', '"title":"\\udc00"'),
    );
    expectProblem(nested, 400, 'VALIDATION_FAILED');
    expect(nested.body.errors[0].field).toBe('title');
    const key = await raw(`/orders/${orderId}/deliveries`, '{"\\ud800":"x"}', 'application/json', p.seller);
    expectProblem(key, 400, 'VALIDATION_FAILED');
    const keyed = await t.http
      .post(`/orders/${orderId}/deliveries`)
      .set(bearer(t.token(p.seller)))
      .set('idempotency-key', 'lone-surrogate')
      .set('content-type', 'application/json')
      .send('{"message":"\\ud800"}');
    expectProblem(keyed, 400, 'VALIDATION_FAILED');
  });

  it('refuses malformed ids in the path with the parameter named', async () => {
    const cases = [
      `/orders/not-a-uuid/start`,
      `/orders/${orderId.toUpperCase().replace(/-/g, '')}/start`,
      `/orders/${orderId}/requests/123/accept`,
      `/orders/${orderId}/extras/%27%20OR%201=1/accept`,
    ];
    const fields = ['orderId', 'orderId', 'requestId', 'offerId'];
    for (const [i, path] of cases.entries()) {
      const res = await post(t, p.buyer, path, {});
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors[0].field).toBe(fields[i]);
    }
  });

  it('accepts an absent or empty body on the commands without input', async () => {
    // (A 409 here, not a 400: the body was fine, the order is not delivered.)
    expectProblem(await post(t, p.buyer, `/orders/${orderId}/acceptance`), 409, 'INVALID_STATE');
    expectProblem(await raw(`/orders/${orderId}/acceptance`, ''), 409, 'INVALID_STATE');
    expectProblem(await raw(`/orders/${orderId}/acceptance`, 'null'), 409, 'INVALID_STATE');
  });

  it('property: random bodies, content types and ids on every route never give a 5xx', async () => {
    const routes = [
      '/orders',
      '/orders/:o/requirements',
      '/orders/:o/start',
      '/orders/:o/deliveries',
      '/orders/:o/acceptance',
      '/orders/:o/revisions',
      '/orders/:o/requests',
      '/orders/:o/requests/:r/accept',
      '/orders/:o/requests/:r/decline',
      '/orders/:o/requests/:r/withdraw',
      '/orders/:o/cancellation',
      '/orders/:o/extras',
      '/orders/:o/extras/:r/accept',
      '/orders/:o/extras/:r/decline',
      '/orders/:o/history',
    ];
    const id = fc.oneof(
      fc.constant(orderId),
      fc.constant(requestId),
      fc.uuid(),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
    );
    const jsonBody = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc
        .record(
          {
            type: fc.oneof(
              fc.constantFrom('cancellation', 'delivery_extension', 'order_update'),
              fc.anything(),
            ),
            reason: fc.oneof(fc.constantFrom('other', 'fraud', 'cannot_deliver'), fc.anything()),
            comment: fc.anything(),
            text: fc.anything(),
            message: fc.anything(),
            proposedDueAt: fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.string(),
            ),
            price: fc.anything(),
            amount: fc.anything(),
            extraDays: fc.anything(),
            description: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
      fc.string({ maxLength: 200 }),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/octet-stream',
    );
    const user = fc.constantFrom(p.buyer, p.seller, 'stranger');
    const key = fc.option(fc.string({ maxLength: 300 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        id,
        id,
        jsonBody,
        contentType,
        user,
        key,
        async (route, o, r, body, type, userId, idemKey) => {
          const path = route.replace(':o', o).replace(':r', r);
          let req = route.endsWith('/history')
            ? t.http.get(path)
            : t.http.post(path).set('content-type', type);
          req = req.set(bearer(t.token(userId)));
          if (idemKey !== undefined) req = req.set('idempotency-key', idemKey.replace(/[\r\n]/g, ''));
          const res = route.endsWith('/history') ? await req : await req.send(body);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        },
      ),
      { numRuns: 300 },
    );
    // The order may have changed through valid random commands (e.g. a withdraw): re-read for afterEach.
    revisions = (await history(t, p.buyer, orderId)).length;
  }, 60_000);
});

describe('GET /health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('200 ok with the event store check, without a token', async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.eventStore).toMatchObject({ status: 'ok', critical: true });
  });

  it('degraded (200) when a non-critical check fails; down (503) when a critical one does', async () => {
    const registry = t.app.get(HealthRegistry);
    registry.register('flaky', () => Promise.reject(new Error('nope')), { critical: false });
    let res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.checks.flaky).toMatchObject({
      status: 'down',
      critical: false,
      details: { error: 'nope' },
    });
    registry.register('vital', () => ({ status: 'down' }));
    res = await t.http.get('/health');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('down');
    registry.unregister('flaky');
    registry.unregister('vital');
  });
});

describe('OpenAPI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('documents every command route with its success and problem responses', async () => {
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<
      string,
      Record<string, { responses: Record<string, unknown>; security?: unknown }>
    >;
    const expected: Array<[string, string, string]> = [
      ['post', '/orders', '201'],
      ['post', '/orders/{orderId}/requirements', '200'],
      ['post', '/orders/{orderId}/start', '200'],
      ['post', '/orders/{orderId}/deliveries', '200'],
      ['post', '/orders/{orderId}/acceptance', '200'],
      ['post', '/orders/{orderId}/revisions', '200'],
      ['post', '/orders/{orderId}/requests', '201'],
      ['post', '/orders/{orderId}/requests/{requestId}/accept', '200'],
      ['post', '/orders/{orderId}/requests/{requestId}/decline', '200'],
      ['post', '/orders/{orderId}/requests/{requestId}/withdraw', '200'],
      ['post', '/orders/{orderId}/cancellation', '200'],
      ['post', '/orders/{orderId}/extras', '201'],
      ['post', '/orders/{orderId}/extras/{offerId}/accept', '200'],
      ['post', '/orders/{orderId}/extras/{offerId}/decline', '200'],
      ['get', '/orders/{orderId}/history', '200'],
    ];
    for (const [method, path, ok] of expected) {
      const op = paths[path]?.[method];
      expect(op).toBeDefined();
      const codes = path === '/orders' ? [ok, '400', '401', '403', '409'] : [ok, '400', '401', '403', '404'];
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(codes));
      expect(op.responses['401']).toMatchObject({
        content: { 'application/problem+json': expect.anything() },
      });
      expect(op.security).toEqual([{ bearer: [] }]);
    }
    expect(paths['/orders'].post.responses['409']).toMatchObject({
      description: expect.stringContaining('ORDER_ALREADY_EXISTS'),
    });
    expect(paths['/orders/{orderId}/requests'].post.responses['409']).toMatchObject({
      description: expect.stringContaining('REQUEST_ALREADY_OPEN'),
    });
    expect(paths['/orders/{orderId}/requests'].post.responses['422']).toMatchObject({
      description: expect.stringContaining('IDEMPOTENCY_KEY_REUSED'),
    });
    expect(res.body.components.schemas.ProblemDto).toBeDefined();
    expect(res.body.components.schemas.PlaceOrderDto.required).toEqual(
      expect.arrayContaining(['sellerId', 'title', 'price', 'deliveryDays']),
    );
  });
});
