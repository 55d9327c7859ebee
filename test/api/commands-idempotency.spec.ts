// Idempotency-Key: retries get the recorded answer and apply nothing twice; a reused key is refused; a crash
// between append and recording is recovered by the stale-reservation takeover.
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { IDEMPOTENCY_STORE, IdempotencyStore } from '../../src/platform/idempotency/idempotency-store.port';
import { requestFingerprint } from '../../src/http/idempotency/idempotency.service';
import {
  OrderCommandService,
  orderIdForIdempotencyKey,
  orderIdKeyOf,
} from '../../src/orders/write/order-command.service';
import { APP_CONFIG } from '../../src/platform/config/config';
import { streamNameOf } from '../../src/orders/domain/order.types';
import {
  expectContiguous,
  expectProblem,
  history,
  inProgressOrder,
  orderBody,
  parties,
  post,
  postOrder,
  CHECKOUT,
} from '../support/orders';
import { startTestApp, TestApp } from '../support/test-app';

describe('Idempotency-Key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('replays POST /orders (without orderId) with the same order and places it once', async () => {
    const p = parties();
    const key = randomUUID();
    const first = await postOrder(t, orderBody(p), { key });
    const second = await postOrder(t, orderBody(p), { key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await history(t, p.buyer, first.body.orderId)).toHaveLength(1);
  });

  it('replays an opened request with the same requestId and respondBy', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const body = { type: 'cancellation', reason: 'other', comment: 'x' };
    const key = 'open-1';
    const a = await post(t, p.buyer, `/orders/${orderId}/requests`, body, { key });
    const b = await post(t, p.buyer, `/orders/${orderId}/requests`, body, { key });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    const entries = await history(t, p.buyer, orderId);
    expect(entries.filter((e) => e.type === 'ResolutionRequestOpened')).toHaveLength(1);
  });

  it('replays a domain refusal as recorded', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    // Not very late yet: refused, and the refusal is recorded under the key.
    const cancel = { reason: 'late_delivery' };
    const refused = await post(t, p.buyer, `/orders/${orderId}/cancellation`, cancel, { key: 'c-1' });
    expectProblem(refused, 409, 'CANCELLATION_NOT_ALLOWED');
    const replay = await post(t, p.buyer, `/orders/${orderId}/cancellation`, cancel, { key: 'c-1' });
    expectProblem(replay, 409, 'CANCELLATION_NOT_ALLOWED');
    expect(replay.body).toEqual(refused.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('keys are per caller: the same key from two callers are two requests', async () => {
    const a = parties();
    const b = parties();
    const key = 'shared-key';
    const ra = await postOrder(t, orderBody(a), { key, as: 'checkout-a' });
    const rb = await postOrder(t, orderBody(b), { key, as: 'checkout-b' });
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    expect(rb.body.orderId).not.toBe(ra.body.orderId);
  });

  it('422 IDEMPOTENCY_KEY_REUSED: same key, different body or path', async () => {
    const p = parties();
    const key = randomUUID();
    await postOrder(t, orderBody(p), { key }).expect(201);
    expectProblem(
      await postOrder(t, orderBody(p, { title: 'Other' }), { key }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    const orderId = await inProgressOrder(t, p);
    expectProblem(
      await post(t, CHECKOUT, `/orders/${orderId}/acceptance`, {}, { key, roles: ['checkout'] }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('409 IDEMPOTENCY_KEY_IN_USE: the same request still in flight', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const path = `/orders/${orderId}/deliveries`;
    const body = { message: 'here' };
    // A fresh reservation from "another request" that has not finished yet.
    const store = t.app.get<IdempotencyStore>(IDEMPOTENCY_STORE);
    await store.reserve(p.seller, 'busy', requestFingerprint('POST', path, body), Date.now(), 30_000);
    expectProblem(await post(t, p.seller, path, body, { key: 'busy' }), 409, 'IDEMPOTENCY_KEY_IN_USE');
    expect(await history(t, p.seller, orderId)).toHaveLength(1);
  });

  it('concurrent duplicates: one applies, the others replay or are told it is in flight', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const body = { type: 'cancellation', reason: 'other', comment: 'dup' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => post(t, p.buyer, `/orders/${orderId}/requests`, body, { key: 'dup' })),
    );
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.requestId)).size).toBe(1);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, 'IDEMPOTENCY_KEY_IN_USE');
    const entries = await history(t, p.buyer, orderId);
    expect(entries.filter((e) => e.type === 'ResolutionRequestOpened')).toHaveLength(1);
  });

  it('a validation failure does not consume the key', async () => {
    const p = parties();
    const key = randomUUID();
    expectProblem(await postOrder(t, { sellerId: p.seller }, { key }), 400, 'VALIDATION_FAILED');
    expect((await postOrder(t, orderBody(p), { key })).status).toBe(201);
  });

  it('records the key on the events it wrote', async () => {
    const p = parties();
    const res = await postOrder(t, orderBody(p), { key: 'meta-key' }).expect(201);
    const [event] = await t.app.get<EventStore>(EVENT_STORE).readStream(streamNameOf(res.body.orderId));
    expect(event.metadata).toMatchObject({
      idempotencyKey: 'meta-key',
      actor: { id: p.buyer, role: 'buyer' },
      schemaVersion: 1,
      correlationId: expect.any(String),
      causationId: expect.any(String),
    });
  });

  it('400 VALIDATION_FAILED for a malformed key, nothing written', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    for (const key of [' ', 'x'.repeat(256), 'tab\there', 'ünï']) {
      const res = await t.http
        .post(`/orders/${orderId}/deliveries`)
        .set('authorization', `Bearer ${t.token(p.seller)}`)
        .set('idempotency-key', key)
        .send({ message: 'x' });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors[0].field).toBe('Idempotency-Key');
    }
    expect(await history(t, p.seller, orderId)).toHaveLength(1);
  });

  describe('a crash between the append and the recording', () => {
    it('a stale reservation whose events were written is answered from the stream, not applied again', async () => {
      const p = parties();
      const orderId = await inProgressOrder(t, p);
      const path = `/orders/${orderId}/requests`;
      const body = { type: 'cancellation', reason: 'other', comment: 'crash' };
      // Simulate the crashed process: its reservation (40 s old), and its events, written with the key.
      const store = t.app.get<IdempotencyStore>(IDEMPOTENCY_STORE);
      await store.reserve(
        CHECKOUT,
        'crash-1',
        requestFingerprint('POST', path, body),
        Date.now() - 40_000,
        30_000,
      );
      const crashed = await t.app.get(OrderCommandService).execute(
        {
          type: 'OpenRequest',
          data: { requestId: randomUUID(), requestType: 'cancellation', reason: 'other', comment: 'crash' },
        },
        {
          orderId,
          caller: { userId: p.buyer, roles: [] },
          idempotency: { key: 'crash-1', takenOver: false, writeState: 'pending' },
        },
      );

      const retry = await post(t, p.buyer, path, body, { key: 'crash-1' });
      expect(retry.status).toBe(201);
      const opened = crashed.events[0].data as { requestId: string; respondBy: string };
      expect(retry.body).toEqual({
        orderId,
        revision: crashed.revision,
        position: crashed.position,
        requestId: opened.requestId,
        respondBy: opened.respondBy,
      });
      const entries = await history(t, p.buyer, orderId);
      expect(entries.filter((e) => e.type === 'ResolutionRequestOpened')).toHaveLength(1);
      expectContiguous(entries);
      // And from now on the response is recorded.
      const again = await post(t, p.buyer, path, body, { key: 'crash-1' });
      expect(again.body).toEqual(retry.body);
    });

    it('a stale reservation with nothing written is taken over and applied once', async () => {
      const p = parties();
      const orderId = await inProgressOrder(t, p);
      const path = `/orders/${orderId}/deliveries`;
      const body = { message: 'late retry' };
      const store = t.app.get<IdempotencyStore>(IDEMPOTENCY_STORE);
      await store.reserve(
        p.seller,
        'crash-2',
        requestFingerprint('POST', path, body),
        Date.now() - 40_000,
        30_000,
      );
      const res = await post(t, p.seller, path, body, { key: 'crash-2' });
      expect(res.status).toBe(200);
      const entries = await history(t, p.seller, orderId);
      expect(entries.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderDelivered']);
    });

    it('POST /orders without orderId derives the id from the key, so a retry finds the placed order', async () => {
      const p = parties();
      const body = orderBody(p);
      const store = t.app.get<IdempotencyStore>(IDEMPOTENCY_STORE);
      await store.reserve(
        CHECKOUT,
        'crash-3',
        requestFingerprint('POST', '/orders', body),
        Date.now() - 40_000,
        30_000,
      );
      // The crashed attempt had placed the order (same derived id) before dying.
      const orderId = orderIdForIdempotencyKey(orderIdKeyOf(t.app.get(APP_CONFIG))!, CHECKOUT, 'crash-3');
      await t.app.get(OrderCommandService).execute(
        {
          type: 'PlaceOrder',
          data: {
            orderId,
            buyerId: p.buyer,
            sellerId: p.seller,
            title: 'Logo design',
            price: { amount: 5000, currency: 'USD' },
            deliveryDays: 7,
            requirementsNeeded: true,
          },
        },
        {
          orderId,
          caller: { userId: CHECKOUT, roles: ['checkout'] },
          idempotency: { key: 'crash-3', takenOver: false, writeState: 'pending' },
        },
      );
      const retry = await postOrder(t, body, { key: 'crash-3' });
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ orderId, revision: 0 });
      expect(await history(t, p.buyer, orderId)).toHaveLength(1);
    });
  });
});
