// Request-level probes against the real app: one Idempotency-Key header, ISO 4217 currencies, the bound on
// pending extras offers, and the contract's order of checks (401 → 400 → 403 → 404 → 409).
import { randomUUID } from 'node:crypto';
import { expectProblem, inProgressOrder, orderBody, parties, post, postOrder } from '../support/orders';
import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('edge: request probes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('two Idempotency-Key headers are a 400, not one merged key', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const res = await t.http
      .post(`/orders/${orderId}/deliveries`)
      .set(bearer(t.token(p.seller)))
      .set('idempotency-key', ['a', 'b'] as unknown as string) // two header lines
      .send({ message: 'here' });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors[0].field).toBe('Idempotency-Key');
    const one = await post(
      t,
      p.seller,
      `/orders/${orderId}/deliveries`,
      { message: 'here' },
      { key: 'a, b' },
    );
    expect(one.status).toBe(200);
  });

  it.each(['ZZZ', 'XXX', 'XTS', 'XAU', 'usd', 'US'])('currency %s ⇒ 400', async (currency) => {
    const res = await postOrder(t, orderBody(parties(), { price: { amount: 5000, currency } }));
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors[0].field).toBe('price.currency');
  });

  it.each(['EUR', 'JPY', 'XOF', 'CHF'])('currency %s is placed', async (currency) => {
    expect((await postOrder(t, orderBody(parties(), { price: { amount: 5000, currency } }))).status).toBe(
      201,
    );
  });

  it('the 11th pending extras offer is refused (409 INVALID_STATE) and no longer offered on the order page', async () => {
    const p = parties();
    const orderId = await inProgressOrder(t, p);
    const offer = () =>
      post(t, p.seller, `/orders/${orderId}/extras`, {
        description: 'x'.repeat(2000),
        amount: 100,
        extraDays: 0,
      });
    for (let i = 0; i < 10; i++) expect((await offer()).status).toBe(201);
    expectProblem(await offer(), 409, 'INVALID_STATE');
    const page = await t.http.get(`/orders/${orderId}`).set(bearer(t.token(p.seller)));
    expect(page.body.pendingExtras).toHaveLength(10);
    expect(page.body.allowedActions).not.toContain('offer_extras');
    const tooLong = await post(t, p.seller, `/orders/${orderId}/extras`, {
      description: 'x'.repeat(2001),
      amount: 100,
      extraDays: 0,
    });
    expectProblem(tooLong, 400, 'VALIDATION_FAILED');
  });

  describe('order of checks: 401 → 400 → 403 → 404 → 409', () => {
    it('a buyer sending the support-only countsTowardCompletionRate on an in-progress order: 403, not 409', async () => {
      const p = parties();
      const orderId = await inProgressOrder(t, p);
      const body = { reason: 'other', countsTowardCompletionRate: false };
      expectProblem(await post(t, p.buyer, `/orders/${orderId}/cancellation`, body), 403, 'FORBIDDEN');
      // Without the field the state decides: 409.
      expectProblem(
        await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'other' }),
        409,
        'CANCELLATION_NOT_ALLOWED',
      );
      // A malformed value is a 400 first; no token is a 401 first.
      expectProblem(
        await post(t, p.buyer, `/orders/${orderId}/cancellation`, {
          ...body,
          countsTowardCompletionRate: 'no',
        }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await t.http.post(`/orders/${orderId}/cancellation`).send({ reason: 'x' }),
        401,
        'UNAUTHENTICATED',
      );
    });

    it('given a party, when its request body is malformed for the order it targets, then 400 before any state 409', async () => {
      const p = parties();
      const orderId = await inProgressOrder(t, p);
      // In progress and not late: the buyer may not cancel (409), but a support-only reason is malformed first.
      expectProblem(
        await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'fraud' }),
        400,
        'VALIDATION_FAILED',
      );
      expect((await post(t, p.seller, `/orders/${orderId}/deliveries`, { message: 'Done' })).status).toBe(
        200,
      );
      // Delivered: no extension any more (409), but one without its proposed date is malformed first.
      const extension = await post(t, p.seller, `/orders/${orderId}/requests`, {
        type: 'delivery_extension',
        comment: 'More time',
      });
      expectProblem(extension, 400, 'VALIDATION_FAILED');
      expect(extension.body.errors).toEqual([{ field: 'proposedDueAt', message: expect.any(String) }]);
      expect((await post(t, p.buyer, `/orders/${orderId}/acceptance`, {})).status).toBe(200);
      // Completed: the Resolution Center is closed (409), but a cancellation request needs its reason first.
      const noReason = await post(t, p.buyer, `/orders/${orderId}/requests`, {
        type: 'cancellation',
        comment: 'x',
      });
      expectProblem(noReason, 400, 'VALIDATION_FAILED');
      expectProblem(
        await post(t, p.buyer, `/orders/${orderId}/requests`, {
          type: 'cancellation',
          reason: 'other',
          comment: 'x',
        }),
        409,
        'RESOLUTION_CENTER_UNAVAILABLE',
      );
    });

    it('a step only support may take (or a field only support may send): 403 whatever the order, before its 404', async () => {
      const unknown = `/orders/${randomUUID()}`;
      const aCase = `${unknown}/support-cases/${randomUUID()}`;
      const steps: Array<[string, object]> = [
        [`${aCase}/claim`, {}],
        [`${aCase}/messages`, { text: 'Hello' }],
        [`${aCase}/information-requests`, { party: 'buyer', question: 'Which files?' }],
        [`${aCase}/resolution`, { outcome: 'no_action', rationale: 'Fine.' }],
        [`${unknown}/cancellation`, { reason: 'other', countsTowardCompletionRate: false }],
      ];
      for (const [path, body] of steps) {
        // Any order id, existing or not, answers the same: the caller learns nothing of which exist.
        expectProblem(await post(t, 'eve', path, body), 403, 'FORBIDDEN');
        expectProblem(await post(t, 'agent-1', path, body, { roles: ['support'] }), 404, 'ORDER_NOT_FOUND');
      }
      expectProblem(
        await post(t, 'eve', `${unknown}/cancellation`, { reason: 'other' }),
        404,
        'ORDER_NOT_FOUND',
      );
    });

    it('a stranger learns nothing: 403 on an existing order, 404 only for a party-less unknown id', async () => {
      const p = parties();
      const orderId = await inProgressOrder(t, p);
      expectProblem(
        await post(t, 'eve', `/orders/${orderId}/deliveries`, { message: 'x' }),
        403,
        'FORBIDDEN',
      );
      expectProblem(
        await post(t, 'eve', `/orders/${randomUUID()}/deliveries`, { message: 'x' }),
        404,
        'ORDER_NOT_FOUND',
      );
      expectProblem(
        await post(t, 'eve', `/orders/${orderId}/deliveries`, { message: 5 }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });
});
