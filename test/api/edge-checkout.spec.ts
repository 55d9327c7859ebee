// Orders enter only through the marketplace's checkout (role `checkout`), naming the buyer and the seller: a
// buyer's own token cannot place an order against any seller (domain.md "Parties and roles").
import { StoredEvent, EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { streamNameOf } from '../../src/orders/domain/order.types';
import { CHECKOUT, expectProblem, history, orderBody, parties, post, postOrder } from '../support/orders';
import { startTestApp, TestApp } from '../support/test-app';

describe('POST /orders: the checkout only', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('the checkout places an order for the buyer it names: the buyer is the actor, the checkout submittedBy', async () => {
    const p = parties();
    const res = await postOrder(t, orderBody(p));
    expect(res.status).toBe(201);
    const [placed] = await history(t, p.buyer, res.body.orderId);
    expect(placed.actor).toEqual({ id: p.buyer, role: 'buyer' });
    expect(placed.data).toMatchObject({ buyerId: p.buyer, sellerId: p.seller });
    const events: StoredEvent[] = await t.app
      .get<EventStore>(EVENT_STORE)
      .readStream(streamNameOf(res.body.orderId));
    expect(events[0].metadata).toMatchObject({
      actor: { id: p.buyer, role: 'buyer' },
      submittedBy: CHECKOUT,
    });
  });

  it.each([
    ['a plain user token', []],
    ['support', ['support']],
    ['auditor, analyst', ['auditor', 'analyst']],
  ] as const)('403 FORBIDDEN for %s, and nothing is written', async (_name, roles) => {
    const p = parties();
    const orderId = '7d3c1b2a-0000-4000-8000-000000000001'.replace(
      '0001',
      String(roles.length).padStart(4, '0'),
    );
    const res = await post(t, p.buyer, '/orders', orderBody(p, { orderId }), { roles: [...roles] });
    expectProblem(res, 403, 'FORBIDDEN');
    expect(await t.app.get<EventStore>(EVENT_STORE).readStream(streamNameOf(orderId))).toEqual([]);
  });

  it('400 before 403: a malformed body from a non-checkout caller is a 400', async () => {
    const p = parties();
    expectProblem(
      await post(t, p.buyer, '/orders', { ...orderBody(p), deliveryDays: 0 }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('403 before 409: an existing orderId from a non-checkout caller is a 403 (learns nothing)', async () => {
    const p = parties();
    const orderId = (await postOrder(t, orderBody(p))).body.orderId as string;
    expectProblem(await post(t, p.buyer, '/orders', orderBody(p, { orderId })), 403, 'FORBIDDEN');
    expectProblem(await postOrder(t, orderBody(p, { orderId })), 409, 'ORDER_ALREADY_EXISTS');
  });

  it.each([
    ['buyerId missing', { buyerId: undefined }, 'buyerId'],
    ['buyerId system', { buyerId: 'system' }, 'buyerId'],
    ['buyerId with a newline', { buyerId: 'a\nb' }, 'buyerId'],
    ['buyerId with NUL', { buyerId: 'a\u0000b' }, 'buyerId'],
    ['buyerId too long', { buyerId: 'b'.repeat(129) }, 'buyerId'],
    ['sellerId with a slash', { sellerId: 'a/b' }, 'sellerId'],
    ['sellerId with a space', { sellerId: 'a b' }, 'sellerId'],
  ])('400 VALIDATION_FAILED: %s (one user-id grammar)', async (_name, patch, field) => {
    const body = { ...orderBody(parties()), ...patch };
    const res = await postOrder(t, JSON.parse(JSON.stringify(body)));
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('GET /sellers/:sellerId/completion-rate takes the same user-id grammar', async () => {
    const token = t.token('ana', ['analyst']);
    const ok = await t.http
      .get('/sellers/seller.1:x@y-z_/completion-rate')
      .set('authorization', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    for (const bad of ['system', 'a%20b', 'x'.repeat(129)]) {
      const res = await t.http.get(`/sellers/${bad}/completion-rate`).set('authorization', `Bearer ${token}`);
      expectProblem(res, 400, 'VALIDATION_FAILED');
    }
  });
});
