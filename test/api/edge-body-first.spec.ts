// api.md's order of checks (401 → 400 → 403 → 404 → 409) for bodies malformed on their own: a text of whitespace
// only is as malformed as an empty one, whoever sends it and whatever the order's or the case's state; a body
// malformed for the request it answers is a 400 before that request's 409.
import { randomUUID } from 'node:crypto';
import { expectProblem, orderBody, parties, placeOrder, post, postOrder } from '../support/orders';
import { startTestApp, type TestApp } from '../support/test-app';
import { Dispute } from './disputes.support';
import { Api } from './queries.support';

const BLANK = ' \n\t ';

describe('edge: a malformed body is a 400 before 403, 404 and 409', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  const expect400 = (res: { status: number; body: { errors?: unknown } }, field: string) => {
    expectProblem(res as never, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
  };

  it('given an order whose state refuses the step, when a text is whitespace only, then 400 (not 409)', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p, { requirementsNeeded: false });
    const at = (path: string) => `/orders/${orderId}${path}`;
    // In progress: no requirements (409), no revision (409); but blank texts are malformed first.
    expect400(await post(t, p.buyer, at('/requirements'), { text: BLANK }), 'text');
    expect400(await post(t, p.buyer, at('/revisions'), { message: BLANK }), 'message');
    expect((await post(t, p.seller, at('/deliveries'), { message: 'Done' })).status).toBe(200);
    // Delivered: no second delivery, no extras (409).
    expect400(await post(t, p.seller, at('/deliveries'), { message: BLANK }), 'message');
    const extras = { description: BLANK, amount: 100, extraDays: 0 };
    expect400(await post(t, p.seller, at('/extras'), extras), 'description');
  });

  it('given a stranger or an unknown order, when a text is whitespace only, then 400 as for an empty one', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p, { requirementsNeeded: false });
    expect400(await post(t, 'eve', `/orders/${orderId}/deliveries`, { message: BLANK }), 'message');
    expect400(await post(t, p.seller, `/orders/${randomUUID()}/deliveries`, { message: BLANK }), 'message');
    const request = { type: 'order_update', comment: BLANK };
    expect400(await post(t, 'eve', `/orders/${orderId}/requests`, request), 'comment');
  });

  it('given an orderId that exists, when the new order is malformed, then 400 (not ORDER_ALREADY_EXISTS)', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p);
    expect400(await postOrder(t, orderBody(p, { orderId, title: BLANK })), 'title');
    expect400(await postOrder(t, orderBody({ buyer: p.buyer, seller: p.buyer }, { orderId })), 'sellerId');
    expectProblem(await postOrder(t, orderBody(p, { orderId })), 409, 'ORDER_ALREADY_EXISTS');
  });

  it('given an order_update request past its respondBy, when the seller accepts it without the update, then 400', async () => {
    const p = parties();
    const orderId = await placeOrder(t, p, { requirementsNeeded: false });
    const opened = await post(t, p.buyer, `/orders/${orderId}/requests`, {
      type: 'order_update',
      comment: 'Please send a draft',
    });
    expect(opened.status).toBe(201);
    const accept = `/orders/${orderId}/requests/${opened.body.requestId}/accept`;
    // Moved behind the scheduler's back: the request is still the open one, but the timeout wins (409).
    t.clock!.set(new Date(opened.body.respondBy));
    expect400(await post(t, p.seller, accept, {}), 'comment');
    expect400(await post(t, p.seller, accept, { comment: BLANK }), 'comment');
    expectProblem(await post(t, p.seller, accept, { comment: 'Draft attached' }), 409, 'REQUEST_NOT_OPEN');
    await api.advance(0);
  });

  it('given a support case closed, unknown or already open, when a case text is whitespace only, then 400', async () => {
    const d = await Dispute.placed(api);
    const { caseId } = await d.openCase('buyer');
    // A case is open already (409 CASE_ALREADY_OPEN), but the new one is malformed first.
    expect400(
      await d.send('seller', '/support-cases', { category: 'quality', description: BLANK }),
      'description',
    );
    const badEvidence = [
      {
        name: BLANK,
        contentType: 'image/png',
        sizeBytes: 1,
        sha256: 'a'.repeat(64),
        url: 'https://x.example/1',
      },
    ];
    expect400(
      await d.send('seller', '/support-cases', {
        category: 'quality',
        description: 'x',
        evidence: badEvidence,
      }),
      'evidence.0.name',
    );
    expect400(await d.send('support', `/support-cases/${randomUUID()}/messages`, { text: BLANK }), 'text');
    await d.ok('buyer', `/support-cases/${caseId}/withdraw`);
    const c = (path: string) => `/support-cases/${caseId}${path}`;
    // Withdrawn: every step is CASE_NOT_OPEN (409), but blank texts are malformed first.
    expect400(await d.send('support', c('/messages'), { text: BLANK }), 'text');
    expect400(
      await d.send('support', c('/information-requests'), { party: 'seller', question: BLANK }),
      'question',
    );
    expect400(await d.send('seller', c('/statements'), { text: BLANK }), 'text');
    expect400(
      await d.send('support', c('/resolution'), { outcome: 'no_action', rationale: BLANK }),
      'rationale',
    );
    expectProblem(await d.send('support', c('/messages'), { text: 'Hello' }), 409, 'CASE_NOT_OPEN');
  });
});
