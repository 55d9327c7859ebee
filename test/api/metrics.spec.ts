import { bearer, startTestApp, type TestApp } from '../support/test-app';

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves Prometheus text without a token: HTTP, event store, projections and deadlines', async () => {
    const buyer = t.token('buyer-m');
    const placed = await t.http
      .post('/orders')
      .set(bearer(buyer))
      .send({ sellerId: 'seller-m', title: 'T', price: { amount: 100, currency: 'USD' }, deliveryDays: 2 });
    expect(placed.status).toBe(201);
    await t.http.get(`/orders/${placed.body.orderId}?minPosition=${placed.body.position}`).set(bearer(buyer));

    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('rc_http_requests_total{method="POST",route="/orders",status="201"} 1');
    expect(res.text).toMatch(/rc_event_store_head_position \d+/);
    expect(res.text).toMatch(/rc_projection_position\{projection="orders"\} \d+/);
    expect(res.text).toContain('rc_deadlines_due');
    expect(res.text).toMatch(/process_resident_memory_bytes \d+/);
  });
});
