// The query routes of api.md against the real app (embedded SQLite, CLOCK=manual): GET /orders/:orderId,
// GET /orders, GET /notifications; the right callers only; read-your-writes.
import { randomUUID } from 'node:crypto';
import { expectProblem, newUser } from '../support/orders';
import { bearer, startTestApp, type TestApp } from '../support/test-app';
import { Api, DAY, HOUR } from './queries.support';

describe('query routes', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  describe('GET /orders/:orderId', () => {
    it('answers the order page with the contract shape, for the buyer', async () => {
      const buyer = newUser('buyer');
      const seller = newUser('seller');
      const orderId = await api.place(buyer, seller, { requirementsNeeded: false, deliveryDays: 5 });
      const now = await api.now();
      const { offerId: accepted } = await api.ok<{ offerId: string }>(seller, `/orders/${orderId}/extras`, {
        description: 'Source files',
        amount: 1500,
        extraDays: 2,
      });
      await api.ok(buyer, `/orders/${orderId}/extras/${accepted}/accept`);
      const { offerId: pending } = await api.ok<{ offerId: string }>(seller, `/orders/${orderId}/extras`, {
        description: 'Express delivery',
        amount: 900,
        extraDays: 0,
      });
      const opened = await api.ok<{ requestId: string; respondBy: string }>(
        buyer,
        `/orders/${orderId}/requests`,
        {
          type: 'order_update',
          comment: 'How is it going?',
        },
      );

      const res = await api.get(buyer, `/orders/${orderId}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(BigInt(res.headers['x-read-model-position'])).toBeGreaterThanOrEqual(BigInt(opened.position));
      const iso = (ms: number) => new Date(ms).toISOString();
      expect(res.body).toEqual({
        orderId,
        buyerId: buyer,
        sellerId: seller,
        title: 'Logo design',
        price: { amount: 6500, currency: 'USD' },
        status: 'in_progress',
        lateness: 'on_time',
        placedAt: now.toISOString(),
        dueAt: iso(now.getTime() + 7 * DAY),
        deliveredAt: null,
        completedAt: null,
        openRequest: {
          requestId: opened.requestId,
          type: 'order_update',
          openedBy: 'buyer',
          reason: null,
          comment: 'How is it going?',
          openedAt: now.toISOString(),
          respondBy: opened.respondBy,
          proposedDueAt: null,
          amount: null,
        },
        pendingExtras: [
          {
            offerId: pending,
            description: 'Express delivery',
            amount: 900,
            extraDays: 0,
            expiresAt: iso(now.getTime() + 2 * DAY),
          },
        ],
        cancellation: null,
        refunds: [],
        netPrice: { amount: 6500, currency: 'USD' },
        supportCase: null,
        allowedActions: ['withdraw_request', 'accept_extras', 'decline_extras', 'open_support_case'],
        revision: opened.revision,
      });
    });

    it('computes allowedActions for the caller with the commands rules; support and auditors read too', async () => {
      const buyer = newUser('buyer');
      const seller = newUser('seller');
      const orderId = await api.place(buyer, seller);
      const actions = async (userId: string, roles: ('support' | 'auditor' | 'analyst')[] = []) =>
        (await api.read<{ allowedActions: string[] }>(userId, `/orders/${orderId}`, roles)).allowedActions;
      expect(await actions(buyer)).toEqual([
        'submit_requirements',
        'open_cancellation_request',
        'cancel_without_consent',
        'open_support_case',
      ]);
      expect(await actions(seller)).toEqual([
        'start_without_requirements',
        'open_cancellation_request',
        'open_delivery_extension_request',
        'offer_extras',
        'open_support_case',
      ]);
      expect(await actions(newUser('agent'), ['support'])).toEqual(['cancel_without_consent']);
      expect(await actions(newUser('auditor'), ['auditor'])).toEqual([]);
      // Every listed action is accepted by the command it names (one of them, as the seller).
      await api.ok(seller, `/orders/${orderId}/start`);
      expect(await actions(seller)).toEqual([
        'deliver',
        'open_cancellation_request',
        'open_delivery_extension_request',
        'offer_extras',
        'open_support_case',
      ]);
      expect(await actions(buyer)).toEqual([
        'open_cancellation_request',
        'open_order_update_request',
        'open_support_case',
      ]);
    });

    it('refuses anyone else (403), unknown orders (404), bad ids and unknown parameters (400), no token (401)', async () => {
      const buyer = newUser('buyer');
      const orderId = await api.place(buyer, newUser('seller'));
      expectProblem(await api.get(newUser('stranger'), `/orders/${orderId}`), 403, 'FORBIDDEN');
      expectProblem(await api.get(newUser('analyst'), `/orders/${orderId}`, ['analyst']), 403, 'FORBIDDEN');
      expectProblem(await api.get(buyer, `/orders/${randomUUID()}`), 404, 'ORDER_NOT_FOUND');
      expectProblem(await api.get(buyer, '/orders/not-a-uuid'), 400, 'VALIDATION_FAILED');
      const unknown = await api.get(buyer, `/orders/${orderId}?foo=1`);
      expectProblem(unknown, 400, 'VALIDATION_FAILED');
      expect(unknown.body.errors).toEqual([{ field: 'foo', message: expect.any(String) }]);
      const badPosition = await api.get(buyer, `/orders/${orderId}?minPosition=abc`, [], false);
      expectProblem(badPosition, 400, 'VALIDATION_FAILED');
      expect(badPosition.body.errors[0].field).toBe('minPosition');
      expectProblem(await api.get(null, `/orders/${orderId}`), 401, 'UNAUTHENTICATED');
    });

    it('computes lateness at read time against the clock: late, very late (then the buyer may cancel)', async () => {
      const buyer = newUser('buyer');
      const orderId = await api.place(buyer, newUser('seller'), {
        requirementsNeeded: false,
        deliveryDays: 1,
      });
      const page = () =>
        api.read<{ lateness: string; allowedActions: string[] }>(buyer, `/orders/${orderId}`);
      expect((await page()).lateness).toBe('on_time');
      await api.advance(DAY + 1);
      expect(await page()).toMatchObject({ lateness: 'late' });
      expect((await page()).allowedActions).not.toContain('cancel_without_consent');
      await api.advance(DAY);
      const veryLate = await page();
      expect(veryLate.lateness).toBe('very_late');
      expect(veryLate.allowedActions).toContain('cancel_without_consent');
      await api.ok(buyer, `/orders/${orderId}/cancellation`, { reason: 'late_delivery' });
      expect(await page()).toMatchObject({ lateness: null, allowedActions: [] });
    });

    it('shows an open request and pending extras only while they can still be answered', async () => {
      const buyer = newUser('buyer');
      const seller = newUser('seller');
      const orderId = await api.place(buyer, seller, { requirementsNeeded: false, deliveryDays: 30 });
      await api.ok(seller, `/orders/${orderId}/extras`, { description: 'More', amount: 100, extraDays: 1 });
      await api.ok(buyer, `/orders/${orderId}/requests`, { type: 'order_update', comment: 'Any news?' });
      const page = () =>
        api.read<{ openRequest: unknown; pendingExtras: unknown[] }>(seller, `/orders/${orderId}`);
      expect(await page()).toMatchObject({
        openRequest: { type: 'order_update' },
        pendingExtras: [{ amount: 100 }],
      });
      await api.advance(2 * DAY);
      expect(await page()).toMatchObject({ openRequest: null, pendingExtras: [] });
    });

    it('shows how the order ended: a mutual cancellation', async () => {
      const buyer = newUser('buyer');
      const seller = newUser('seller');
      const orderId = await api.place(buyer, seller, { requirementsNeeded: false });
      const { requestId } = await api.ok<{ requestId: string }>(seller, `/orders/${orderId}/requests`, {
        type: 'cancellation',
        reason: 'cannot_deliver',
        comment: 'Sorry, I am ill.',
      });
      const at = (await api.now()).toISOString();
      const accepted = await api.ok(buyer, `/orders/${orderId}/requests/${requestId}/accept`, {});
      const page = await api.read(buyer, `/orders/${orderId}`);
      expect(page).toMatchObject({
        status: 'cancelled',
        lateness: null,
        openRequest: null,
        cancellation: {
          mode: 'mutual',
          initiator: 'seller',
          reason: 'cannot_deliver',
          at,
          countsTowardCompletionRate: true,
        },
        allowedActions: [],
        revision: accepted.revision,
      });
      expect(Object.keys(page.cancellation as object).sort()).toEqual(
        ['at', 'countsTowardCompletionRate', 'initiator', 'mode', 'reason'].sort(),
      );
    });

    it('read-your-writes: ?minPosition answers with the write applied and says which position it shows', async () => {
      const buyer = newUser('buyer');
      const seller = newUser('seller');
      const orderId = await api.place(buyer, seller);
      for (let i = 0; i < 5; i++) {
        const body = i % 2 === 0 ? { type: 'cancellation', reason: 'other', comment: `try ${i}` } : undefined;
        if (body) {
          const r = await api.ok<{ requestId: string; position: string }>(
            buyer,
            `/orders/${orderId}/requests`,
            body,
          );
          const res = await t.http
            .get(`/orders/${orderId}?minPosition=${r.position}`)
            .set(bearer(t.token(seller)));
          expect(res.body.openRequest?.requestId).toBe(r.requestId);
          expect(BigInt(res.headers['x-read-model-position'])).toBeGreaterThanOrEqual(BigInt(r.position));
          await api.ok(buyer, `/orders/${orderId}/requests/${r.requestId}/withdraw`);
        }
      }
      // Without minPosition the header is still there.
      const res = await t.http.get(`/orders/${orderId}`).set(bearer(t.token(buyer)));
      expect(res.headers['x-read-model-position']).toMatch(/^\d+$/);
    });
  });

  describe('GET /orders', () => {
    it("lists the caller's orders, both sides, newest first, with an opaque cursor", async () => {
      const me = newUser('me');
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push(await api.place(me, newUser('seller'), { requirementsNeeded: i % 2 === 0 }));
        await api.advance(HOUR);
      }
      ids.push(await api.place(newUser('buyer'), me)); // I sell this one
      await api.advance(HOUR);
      const newestFirst = [...ids].reverse();

      const all = await api.read<{ items: { orderId: string; role: string }[]; nextCursor: string | null }>(
        me,
        '/orders',
      );
      expect(all.items.map((o) => o.orderId)).toEqual(newestFirst);
      expect(all.items[0].role).toBe('seller');
      expect(all.nextCursor).toBeNull();
      expect(all.items[1]).toEqual({
        orderId: ids[3],
        role: 'buyer',
        buyerId: me,
        sellerId: expect.any(String),
        title: 'Logo design',
        price: { amount: 5000, currency: 'USD' },
        status: 'in_progress',
        lateness: 'on_time',
        placedAt: expect.any(String),
        dueAt: expect.any(String),
        deliveredAt: null,
        completedAt: null,
        cancelledAt: null,
        openRequest: null,
        revision: 0,
      });

      const asBuyer = await api.read<{ items: { orderId: string }[] }>(me, '/orders?as=buyer');
      expect(asBuyer.items.map((o) => o.orderId)).toEqual(newestFirst.slice(1));
      const asSeller = await api.read<{ items: { orderId: string }[] }>(me, '/orders?as=seller');
      expect(asSeller.items.map((o) => o.orderId)).toEqual([ids[4]]);
      const awaiting = await api.read<{ items: { orderId: string }[] }>(
        me,
        '/orders?status=awaiting_requirements',
      );
      expect(awaiting.items.map((o) => o.orderId)).toEqual([ids[4], ids[2], ids[0]]);
      const awaitingAsBuyer = await api.read<{ items: { orderId: string }[] }>(
        me,
        '/orders?as=buyer&status=awaiting_requirements',
      );
      expect(awaitingAsBuyer.items.map((o) => o.orderId)).toEqual([ids[2], ids[0]]);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const path: string = `/orders?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page: { items: { orderId: string }[]; nextCursor: string | null } = await api.read(me, path);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((o) => o.orderId));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(newestFirst);
    });

    it('defaults to 20 items per page and shows only the caller their own orders', async () => {
      const me = newUser('many');
      for (let i = 0; i < 21; i++) await api.place(me, newUser('seller'));
      const first = await api.read<{ items: unknown[]; nextCursor: string | null }>(me, '/orders');
      expect(first.items).toHaveLength(20);
      expect(first.nextCursor).toEqual(expect.any(String));
      const none = await api.read<{ items: unknown[]; nextCursor: string | null }>(
        newUser('nobody'),
        '/orders',
      );
      expect(none).toEqual({ items: [], nextCursor: null });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['as=support', 'as'],
      ['status=paused', 'status'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['sort=asc', 'sort'],
    ])('refuses ?%s (400 on %s)', async (query, field) => {
      const res = await api.get(newUser('me'), `/orders?${query}`);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('needs a token', async () => {
      expectProblem(await t.http.get('/orders'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('GET /notifications', () => {
    type Notification = {
      type: string;
      actor: { id: string; role: string };
      orderId: string;
      data: Record<string, unknown>;
    };
    const list = async (userId: string, query = '') =>
      (await api.read<{ items: Notification[]; nextCursor: string | null }>(userId, `/notifications${query}`))
        .items;

    it('tells each party what the other one (or support, or the system) did, never their own actions', async () => {
      const buyer = newUser('buyer');
      const seller = newUser('seller');
      const orderId = await api.place(buyer, seller, { requirementsNeeded: false, deliveryDays: 20 });
      const { offerId } = await api.ok<{ offerId: string }>(seller, `/orders/${orderId}/extras`, {
        description: 'Extra',
        amount: 500,
        extraDays: 1,
      });
      await api.ok(buyer, `/orders/${orderId}/extras/${offerId}/decline`);
      const { requestId } = await api.ok<{ requestId: string }>(buyer, `/orders/${orderId}/requests`, {
        type: 'order_update',
        comment: 'Status?',
      });
      await api.ok(seller, `/orders/${orderId}/requests/${requestId}/accept`, { comment: 'Halfway there.' });
      await api.ok(seller, `/orders/${orderId}/deliveries`, { message: 'Done' });
      await api.ok(buyer, `/orders/${orderId}/revisions`, { message: 'One change' });
      await api.ok(seller, `/orders/${orderId}/deliveries`, { message: 'Changed' });
      await api
        .ok(seller, `/orders/${orderId}/extras`, { description: 'Late offer', amount: 100, extraDays: 0 })
        .catch(
          () => undefined, // not allowed once delivered: nothing to notify
        );
      await api.advance(3 * DAY + 1); // the system completes it

      const toBuyer = await list(buyer);
      expect(toBuyer.filter((n) => n.orderId === orderId).map((n) => `${n.actor.role}:${n.type}`)).toEqual([
        'system:OrderCompleted',
        'seller:OrderDelivered',
        'seller:OrderDelivered',
        'seller:ResolutionRequestAccepted',
        'seller:ExtrasOffered',
      ]);
      const toSeller = await list(seller);
      expect(toSeller.map((n) => `${n.actor.role}:${n.type}`)).toEqual([
        'system:OrderCompleted',
        'buyer:RevisionRequested',
        'buyer:ResolutionRequestOpened',
        'buyer:ExtrasDeclined',
      ]);
      expect(toSeller[2].data).toMatchObject({ requestId, requestType: 'order_update', comment: 'Status?' });
      for (const n of toBuyer) expect(n.actor.id).not.toBe(buyer);
      for (const n of toSeller) expect(n.actor.id).not.toBe(seller);
    });

    it('support cancellations reach both parties; pages newest first with a cursor', async () => {
      const buyer = newUser('buyer');
      const seller = newUser('seller');
      const orders: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = await api.place(buyer, seller);
        orders.push(id);
        await api.ok(newUser('agent'), `/orders/${id}/cancellation`, { reason: 'fraud' }, ['support']);
      }
      const full = await list(seller);
      expect(full.map((n) => n.orderId)).toEqual([...orders].reverse());
      expect(full.every((n) => n.type === 'OrderCancelled' && n.actor.role === 'support')).toBe(true);
      expect((await list(buyer)).map((n) => n.orderId)).toEqual([...orders].reverse());

      const first = await api.read<{ items: Notification[]; nextCursor: string }>(
        seller,
        '/notifications?limit=2',
      );
      expect(first.items.map((n) => n.orderId)).toEqual([orders[2], orders[1]]);
      const second = await api.read<{ items: Notification[]; nextCursor: string | null }>(
        seller,
        `/notifications?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
      );
      expect(second).toMatchObject({ items: [{ orderId: orders[0] }], nextCursor: null });
    });

    it('refuses bad parameters', async () => {
      for (const q of ['limit=0', 'limit=1000', 'cursor=xyz', 'as=buyer']) {
        expectProblem(await api.get(newUser('me'), `/notifications?${q}`), 400, 'VALIDATION_FAILED');
      }
      expectProblem(await t.http.get('/notifications'), 401, 'UNAUTHENTICATED');
    });
  });
});
