// Concurrency and durability through HTTP: simultaneous conflicting commands on one order, many orders at once,
// and data that survives a restart of the app on the same DATA_DIR.
import {
  expectContiguous,
  expectProblem,
  history,
  inProgressOrder,
  openRequest,
  orderBody,
  parties,
  post,
  postOrder,
} from '../support/orders';
import { startTestApp, TestApp } from '../support/test-app';

describe('concurrent commands', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('20 simultaneous conflicting requests on one order: exactly one opens, 19 get REQUEST_ALREADY_OPEN', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(t, i % 2 ? p.buyer : p.seller, `/orders/${orderId}/requests`, {
          type: 'cancellation',
          reason: 'other',
          comment: `attempt ${i}`,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, 'REQUEST_ALREADY_OPEN');
    const entries = await history(t, p.buyer, orderId);
    expectContiguous(entries);
    expect(entries.map((e) => e.type)).toEqual(['OrderPlaced', 'ResolutionRequestOpened']);
    expect(ok[0].body.revision).toBe(1);
  });

  it('20 simultaneous withdrawals of one request: one succeeds, 19 get REQUEST_NOT_OPEN', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const requestId = await openRequest(t, p.buyer, orderId);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(t, p.buyer, `/orders/${orderId}/requests/${requestId}/withdraw`, {}),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectProblem(r, 409, 'REQUEST_NOT_OPEN');
    expectContiguous(await history(t, p.buyer, orderId));
  });

  it('a mix of different commands on one order keeps revisions contiguous and every answer consistent', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const results = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) =>
        post(t, p.seller, `/orders/${orderId}/extras`, {
          description: `extra ${i}`,
          amount: 100,
          extraDays: 1,
        }),
      ),
      ...Array.from({ length: 5 }, () =>
        post(t, p.seller, `/orders/${orderId}/deliveries`, { message: 'v1' }),
      ),
      ...Array.from({ length: 5 }, () =>
        post(t, p.buyer, `/orders/${orderId}/requests`, { type: 'order_update', comment: 'status?' }),
      ),
    ]);
    for (const r of results) expect([200, 201, 409]).toContain(r.status);
    const entries = await history(t, p.buyer, orderId);
    expectContiguous(entries);
    const revisions = results.filter((r) => r.status < 300).map((r) => r.body.revision as number);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(Math.max(...revisions)).toBe(entries.length - 1);
    expect(entries.filter((e) => e.type === 'OrderDelivered')).toHaveLength(1);
  });

  it('commands on different orders run side by side', async () => {
    const ps = Array.from({ length: 10 }, parties);
    const placed = await Promise.all(ps.map((p) => postOrder(t, orderBody(p))));
    expect(placed.every((r) => r.status === 201)).toBe(true);
    expect(new Set(placed.map((r) => r.body.position)).size).toBe(10);
  });
});

describe('two processes on one DATA_DIR', () => {
  it('the optimistic check guards across processes: 20 conflicting requests split over two apps, one wins', async () => {
    const a = await startTestApp();
    const b = await startTestApp({ dataDir: a.dataDir });
    try {
      const p = parties();
      const orderId = await inProgressOrder(a, p);
      // b learns the order (and caches it) before the race.
      await post(b, p.seller, `/orders/${orderId}/extras`, {
        description: 'x',
        amount: 1,
        extraDays: 0,
      }).expect(201);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(i % 2 ? a : b, p.buyer, `/orders/${orderId}/requests`, {
            type: 'cancellation',
            reason: 'other',
            comment: `attempt ${i}`,
          }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, 'REQUEST_ALREADY_OPEN');
      const entries = await history(b, p.buyer, orderId);
      expectContiguous(entries);
      expect(entries.map((e) => e.type)).toEqual(['OrderPlaced', 'ExtrasOffered', 'ResolutionRequestOpened']);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('durability', () => {
  it('orders, history and recorded idempotent responses survive a restart on the same DATA_DIR', async () => {
    let t = await startTestApp();
    try {
      const p = parties();
      const orderId = await inProgressOrder(t, p);
      const opened = await post(
        t,
        p.buyer,
        `/orders/${orderId}/requests`,
        { type: 'cancellation', reason: 'other', comment: 'x' },
        { key: 'k1' },
      );
      expect(opened.status).toBe(201);
      const before = await history(t, p.buyer, orderId);

      t = await t.restart();

      expect(await history(t, p.buyer, orderId)).toEqual(before);
      const replay = await post(
        t,
        p.buyer,
        `/orders/${orderId}/requests`,
        { type: 'cancellation', reason: 'other', comment: 'x' },
        { key: 'k1' },
      );
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(opened.body);
      // The state is rebuilt from the stream: the open request still blocks another one, and can be withdrawn.
      expectProblem(
        await post(t, p.seller, `/orders/${orderId}/requests`, {
          type: 'cancellation',
          reason: 'other',
          comment: 'y',
        }),
        409,
        'REQUEST_ALREADY_OPEN',
      );
      const withdrawn = await post(
        t,
        p.buyer,
        `/orders/${orderId}/requests/${opened.body.requestId}/withdraw`,
        {},
      );
      expect(withdrawn.status).toBe(200);
      expect(withdrawn.body.revision).toBe(before.length);
      expectContiguous(await history(t, p.buyer, orderId));
    } finally {
      await t.close();
    }
  });
});
