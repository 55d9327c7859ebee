// Rules of domain.md that the decider's unit specs cover, checked once more through HTTP against the real app
// (embedded SQLite, CLOCK=manual): the route, the guard, the DTO and the problem+json mapping all on the way.
// Each case is given/when/then; [decision] marks a rule domain.md records as ours.
import { expectProblem, history, newUser, openRequest, parties, post, type Parties } from '../support/orders';
import { startTestApp, type TestApp } from '../support/test-app';
import { Api, DAY, HOUR } from './queries.support';

describe('domain rules through HTTP', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  /** An order in progress (no requirements): dueAt = now + deliveryDays. */
  const inProgress = async (p: Parties, deliveryDays = 7): Promise<{ orderId: string; dueAt: number }> => {
    const orderId = await api.place(p.buyer, p.seller, { requirementsNeeded: false, deliveryDays });
    const [placed] = await history(t, p.buyer, orderId);
    return { orderId, dueAt: Date.parse(placed.data.dueAt as string) };
  };
  const page = (userId: string, orderId: string) =>
    api.read<{ status: string; dueAt: string | null; openRequest: unknown }>(userId, `/orders/${orderId}`);
  const extension = (dueAt: number, laterByMs: number) => ({
    type: 'delivery_extension',
    comment: 'Need more time',
    proposedDueAt: new Date(dueAt + laterByMs).toISOString(),
  });
  const types = async (p: Parties, orderId: string) =>
    (await history(t, p.buyer, orderId)).map((e) => e.type);

  describe('delivery extension', () => {
    it('given an open extension, when the buyer declines it, then dueAt stays as it was', async () => {
      const p = parties();
      const { orderId, dueAt } = await inProgress(p);
      const requestId = await openRequest(t, p.seller, orderId, extension(dueAt, 2 * DAY));

      await api.ok(p.buyer, `/orders/${orderId}/requests/${requestId}/decline`, { comment: 'No' });

      expect((await types(p, orderId)).slice(-1)).toEqual(['ResolutionRequestDeclined']);
      const view = await page(p.buyer, orderId);
      expect(view).toMatchObject({ status: 'in_progress', openRequest: null });
      expect(Date.parse(view.dueAt!)).toBe(dueAt);
    });

    it('given a delivered order, when the seller asks for an extension, then 409 INVALID_STATE', async () => {
      const p = parties();
      const { orderId, dueAt } = await inProgress(p);
      await api.ok(p.seller, `/orders/${orderId}/deliveries`, { message: 'Done' });

      const res = await post(t, p.seller, `/orders/${orderId}/requests`, extension(dueAt, DAY));

      expectProblem(res, 409, 'INVALID_STATE');
    });

    it('given an order back in revision after a delivery, when the seller asks for an extension, then 409 INVALID_STATE', async () => {
      const p = parties();
      const { orderId, dueAt } = await inProgress(p);
      await api.ok(p.seller, `/orders/${orderId}/deliveries`, { message: 'Done' });
      await api.ok(p.buyer, `/orders/${orderId}/revisions`, { message: 'Bigger' });

      const res = await post(t, p.seller, `/orders/${orderId}/requests`, extension(dueAt, DAY));

      expectProblem(res, 409, 'INVALID_STATE');
    });

    it('given an order in progress, when the proposed date is not later than dueAt, then 400 on proposedDueAt and nothing is written', async () => {
      const p = parties();
      const { orderId, dueAt } = await inProgress(p);
      for (const laterBy of [0, -HOUR]) {
        const res = await post(t, p.seller, `/orders/${orderId}/requests`, extension(dueAt, laterBy));
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(res.body.errors).toEqual([{ field: 'proposedDueAt', message: expect.any(String) }]);
      }
      // One millisecond later is enough.
      await openRequest(t, p.seller, orderId, extension(dueAt, 1));
      expect(await types(p, orderId)).toEqual(['OrderPlaced', 'ResolutionRequestOpened']);
    });
  });

  describe('order update request', () => {
    it('given an open order update, when the seller declines it, then 409 INVALID_STATE (it is answered by the update)', async () => {
      const p = parties();
      const { orderId } = await inProgress(p);
      const requestId = await openRequest(t, p.buyer, orderId, { type: 'order_update', comment: 'News?' });

      const declined = await post(t, p.seller, `/orders/${orderId}/requests/${requestId}/decline`, {});
      const noUpdate = await post(t, p.seller, `/orders/${orderId}/requests/${requestId}/accept`, {});

      expectProblem(declined, 409, 'INVALID_STATE');
      expectProblem(noUpdate, 400, 'VALIDATION_FAILED');
      expect(await types(p, orderId)).toEqual(['OrderPlaced', 'ResolutionRequestOpened']);
    });
  });

  describe('forced cancellation of a very late order', () => {
    it('given a delivered order past dueAt + 24 h, when the buyer cancels without consent, then 409 CANCELLATION_NOT_ALLOWED', async () => {
      const p = parties();
      const { orderId } = await inProgress(p, 1);
      await api.ok(p.seller, `/orders/${orderId}/deliveries`, { message: 'Done' });
      await api.advance(DAY + 25 * HOUR); // dueAt + 25 h; the 3-day auto-completion is not due yet

      const res = await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' });

      expectProblem(res, 409, 'CANCELLATION_NOT_ALLOWED');
    });

    it('[decision] given a delivered order back in revision past dueAt + 24 h, when the buyer cancels, then 409 CANCELLATION_NOT_ALLOWED', async () => {
      const p = parties();
      const { orderId } = await inProgress(p, 1);
      await api.ok(p.seller, `/orders/${orderId}/deliveries`, { message: 'Done' });
      await api.ok(p.buyer, `/orders/${orderId}/revisions`, { message: 'Bigger' });
      await api.advance(DAY + 25 * HOUR);

      const res = await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' });

      expectProblem(res, 409, 'CANCELLATION_NOT_ALLOWED');
    });

    it('given an accepted extension, when 24 h past the old dueAt, then refused; 24 h past the new one, then forced', async () => {
      const p = parties();
      const { orderId, dueAt } = await inProgress(p, 1);
      const requestId = await openRequest(t, p.seller, orderId, extension(dueAt, 3 * DAY));
      await api.ok(p.buyer, `/orders/${orderId}/requests/${requestId}/accept`, {});
      const now = (await api.now()).getTime();

      await api.advance(dueAt + DAY - now); // very late by the old dueAt
      expectProblem(
        await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' }),
        409,
        'CANCELLATION_NOT_ALLOWED',
      );
      await api.advance(3 * DAY - 1); // 1 ms short of new dueAt + 24 h
      expectProblem(
        await post(t, p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' }),
        409,
        'CANCELLATION_NOT_ALLOWED',
      );
      await api.advance(1);
      await api.ok(p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' });

      const last = (await history(t, p.buyer, orderId)).pop()!;
      expect(last).toMatchObject({
        type: 'OrderCancelled',
        data: { mode: 'forced', initiator: 'buyer', countsTowardCompletionRate: true },
      });
    });
  });

  describe('support cancellation', () => {
    it('given an open request, when support cancels the order, then 409 REQUEST_ALREADY_OPEN', async () => {
      const p = parties();
      const { orderId } = await inProgress(p);
      await openRequest(t, p.seller, orderId, {
        type: 'cancellation',
        reason: 'cannot_deliver',
        comment: 'x',
      });

      const res = await post(
        t,
        'agent-1',
        `/orders/${orderId}/cancellation`,
        { reason: 'fraud' },
        { roles: ['support'] },
      );

      expectProblem(res, 409, 'REQUEST_ALREADY_OPEN');
      expect((await page(p.buyer, orderId)).status).toBe('in_progress');
    });
  });

  describe('who answers and who withdraws', () => {
    it('given an open request, when the requester answers it or the counterpart withdraws it, then 403 FORBIDDEN', async () => {
      const p = parties();
      const { orderId } = await inProgress(p);
      const requestId = await openRequest(t, p.buyer, orderId, {
        type: 'cancellation',
        reason: 'no_longer_needed',
        comment: 'x',
      });
      const path = (action: string) => `/orders/${orderId}/requests/${requestId}/${action}`;

      expectProblem(await post(t, p.buyer, path('accept'), {}), 403, 'FORBIDDEN');
      expectProblem(await post(t, p.buyer, path('decline'), {}), 403, 'FORBIDDEN');
      expectProblem(await post(t, p.seller, path('withdraw'), {}), 403, 'FORBIDDEN');
      expectProblem(await post(t, newUser('stranger'), path('accept'), {}), 403, 'FORBIDDEN');
      expectProblem(await post(t, newUser('stranger'), path('withdraw'), {}), 403, 'FORBIDDEN');

      expect(await types(p, orderId)).toEqual(['OrderPlaced', 'ResolutionRequestOpened']);
      await api.ok(p.buyer, path('withdraw')); // the requester may
    });
  });

  describe('extras offers', () => {
    it('given a delivered order, when the seller offers extras, then 409 INVALID_STATE', async () => {
      const p = parties();
      const { orderId } = await inProgress(p);
      await api.ok(p.seller, `/orders/${orderId}/deliveries`, { message: 'Done' });

      const res = await post(t, p.seller, `/orders/${orderId}/extras`, {
        description: 'More',
        amount: 100,
        extraDays: 0,
      });

      expectProblem(res, 409, 'INVALID_STATE');
    });
  });

  describe('completion rate: the 14-day reorder exclusion', () => {
    interface Rate {
      completed: number;
      cancelled: number;
      excluded: number;
      rate: number | null;
    }
    const rateOf = (seller: string) => api.read<Rate>(seller, `/sellers/${seller}/completion-rate`);

    it('given an auto-accepted cancellation, when the same buyer orders again from the seller within 14 days, then it is excluded', async () => {
      const p = parties();
      const { orderId } = await inProgress(p, 30);
      await openRequest(t, p.buyer, orderId, {
        type: 'cancellation',
        reason: 'no_longer_needed',
        comment: 'x',
      });
      await api.advance(48 * HOUR); // the seller did not answer
      expect((await history(t, p.buyer, orderId)).pop()).toMatchObject({
        type: 'OrderCancelled',
        data: { mode: 'auto_accepted', countsTowardCompletionRate: true },
      });
      expect(await rateOf(p.seller)).toMatchObject({ completed: 0, cancelled: 1, excluded: 0, rate: 0 });

      await api.advance(14 * DAY); // exactly 14 days after the cancellation
      await api.place(p.buyer, p.seller);

      expect(await rateOf(p.seller)).toMatchObject({ completed: 0, cancelled: 0, excluded: 1, rate: null });
    });

    it('given a forced cancellation, when the same buyer orders again from the seller the next day, then it still counts', async () => {
      const p = parties();
      const { orderId } = await inProgress(p, 1);
      await api.advance(2 * DAY);
      await api.ok(p.buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' });
      expect((await history(t, p.buyer, orderId)).pop()?.data).toMatchObject({ mode: 'forced' });

      await api.advance(DAY);
      await api.place(p.buyer, p.seller);

      expect(await rateOf(p.seller)).toMatchObject({ completed: 0, cancelled: 1, excluded: 0, rate: 0 });
    });
  });
});
