// The whole service on the production stores: EVENT_STORE=esdb and READ_STORE=mongo against real servers in
// containers, driven through HTTP like a client: commands, read-your-writes queries, history, idempotent
// retries, timeouts (CLOCK=manual), health, and a restart on the same servers.
import { randomUUID } from 'node:crypto';
import {
  expectContiguous,
  history,
  inProgressOrder,
  openRequest,
  parties,
  post,
  postOrder,
} from '../support/orders';
import { bearer, startTestApp, TestApp } from '../support/test-app';
import { CONTAINER_START_TIMEOUT_MS, describeWithContainers } from './runtime';
import { startEventStoreDb, StartedEventStoreDb, StartedMongo, startMongoReplicaSet } from './servers';

jest.setTimeout(60_000);

describeWithContainers('API end to end on EventStoreDB + MongoDB', () => {
  let esdb: StartedEventStoreDb;
  let mongo: StartedMongo;
  let t: TestApp;

  beforeAll(async () => {
    [esdb, mongo] = await Promise.all([startEventStoreDb(), startMongoReplicaSet()]);
    t = await startTestApp({
      eventStore: 'esdb',
      esdbConnectionString: esdb.connectionString,
      readStore: 'mongo',
      mongodbUri: mongo.uri('resolution_center_e2e'),
      clock: 'manual',
    });
  }, CONTAINER_START_TIMEOUT_MS);

  afterAll(async () => {
    await t?.close();
    await Promise.all([esdb?.stop(), mongo?.stop()]);
  });

  it('reports both production stores healthy', async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body.checks).toMatchObject({
      eventStore: { status: 'ok' },
      readStore: { status: 'ok', details: { kind: 'mongo' } },
    });
  });

  it('runs an order through commands and reads its own writes from MongoDB', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const requestId = await openRequest(t, p.buyer, orderId);
    const accepted = await post(t, p.seller, `/orders/${orderId}/requests/${requestId}/accept`, {});
    expect(accepted.status).toBe(200);
    // EventStoreDB positions are large integers (commit * 2^64 + prepare), always decimal strings.
    expect(accepted.body.position).toMatch(/^\d{20,}$/);

    const page = await t.http
      .get(`/orders/${orderId}?minPosition=${accepted.body.position}`)
      .set(bearer(t.token(p.buyer)));
    expect(page.status).toBe(200);
    expect(page.headers['x-read-model-position']).toBeDefined();
    expect(BigInt(page.headers['x-read-model-position'] as string)).toBeGreaterThanOrEqual(
      BigInt(accepted.body.position),
    );
    expect(page.body).toMatchObject({ orderId, status: 'cancelled', cancellation: { mode: 'mutual' } });

    const entries = await history(t, p.buyer, orderId);
    expectContiguous(entries);
    expect(entries.map((e) => e.type)).toEqual([
      'OrderPlaced',
      'WorkStartedWithoutRequirements',
      'ResolutionRequestOpened',
      'ResolutionRequestAccepted',
      'OrderCancelled',
    ]);

    const mine = await t.http
      .get(`/orders?as=buyer&minPosition=${accepted.body.position}`)
      .set(bearer(t.token(p.buyer)));
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((o: { orderId: string }) => o.orderId)).toContain(orderId);
  });

  it('replays a retried command with the same Idempotency-Key (keys kept in MongoDB)', async () => {
    const p = parties();
    const key = randomUUID();
    const body = {
      orderId: randomUUID(),
      buyerId: p.buyer,
      sellerId: p.seller,
      title: 'Logo',
      price: { amount: 5000, currency: 'USD' },
      deliveryDays: 7,
    };
    const first = await postOrder(t, body, { key });
    const again = await postOrder(t, body, { key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await history(t, p.buyer, body.orderId)).toHaveLength(1);
  });

  it('fires a timeout when the clock passes respondBy, once', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    await openRequest(t, p.buyer, orderId);
    const moved = await t.http.post('/testing/clock').send({ advanceMs: 49 * 60 * 60 * 1000 });
    expect(moved.status).toBeLessThan(300);
    await t.http.post('/testing/clock').send({ advanceMs: 60 * 60 * 1000 });
    const types = (await history(t, p.buyer, orderId)).map((e) => e.type);
    expect(types.filter((type) => type === 'ResolutionRequestExpired')).toHaveLength(1);
    expect(types.at(-1)).toBe('OrderCancelled');
  });

  it('keeps everything across a restart on the same servers', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const before = await history(t, p.buyer, orderId);
    t = await t.restart();
    const after = await history(t, p.buyer, orderId);
    expect(after).toEqual(before);
    const page = await t.http
      .get(`/orders/${orderId}?minPosition=${before.at(-1)!.position}`)
      .set(bearer(t.token(p.buyer)));
    expect(page.status).toBe(200);
    expect(page.body.status).toBe('in_progress');
  });
});
