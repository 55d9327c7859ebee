import request from 'supertest';
import { AdminServer } from '../../src/observability/metrics.module';
import { bearer, startTestApp, type TestApp } from '../support/test-app';

async function placeAndRead(t: TestApp): Promise<void> {
  const buyer = t.token('buyer-m');
  const placed = await t.http
    .post('/orders')
    .set(bearer(t.token('checkout-m', ['checkout'])))
    .send({
      buyerId: 'buyer-m',
      sellerId: 'seller-m',
      title: 'T',
      price: { amount: 100, currency: 'USD' },
      deliveryDays: 2,
    });
  expect(placed.status).toBe(201);
  await t.http.get(`/orders/${placed.body.orderId}?minPosition=${placed.body.position}`).set(bearer(buyer));
}

describe('GET /metrics without ADMIN_PORT (development)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves Prometheus text without a token: process, HTTP, commands, projections and deadlines', async () => {
    await placeAndRead(t);
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toMatch(/process_resident_memory_bytes \d+/);
    expect(res.text).toMatch(/nodejs_eventloop_lag_p99_seconds [\d.e-]+/);
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/orders",status="201"\} 1/,
    );
    expect(res.text).toContain('rc_commands_total{type="PlaceOrder",outcome="ok"} 1');
    expect(res.text).toMatch(/rc_projection_lag_seconds\{projection="orders"\} [\d.e-]+/);
    expect(res.text).toMatch(/rc_deadlines_due \d+/);
    expect(res.text).toMatch(/rc_deadlines_fired_total \d+/);
  });

  it('keeps the detailed health report on the public /health', async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body.checks).toBeDefined();
  });
});

describe('ADMIN_PORT', () => {
  let t: TestApp;
  let admin: request.Agent;
  beforeAll(async () => {
    t = await startTestApp({ adminPort: 0 });
    admin = request.agent(`http://127.0.0.1:${t.app.get(AdminServer).port}`);
  });
  afterAll(() => t.close());

  it('serves /metrics and the detailed health on the admin port only; the public /health gives the status', async () => {
    await placeAndRead(t);
    expect((await t.http.get('/metrics')).status).toBe(404);
    const pub = await t.http.get('/health');
    expect(pub.status).toBe(200);
    expect(pub.body).toEqual({ status: 'ok' });

    const metrics = await admin.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('rc_commands_total{type="PlaceOrder",outcome="ok"} 1');
    const health = await admin.get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect(Object.keys(health.body.checks)).toContain('eventStore');
    expect((await admin.get('/elsewhere')).status).toBe(404);
  });
});
