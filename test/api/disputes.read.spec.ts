// What the order page shows of refunds, the net price and the latest support case, per viewer; the confidential
// partial refund reason kept from the buyer on the page and in the history (examples, then random sequences).
import fc from 'fast-check';
import { startTestApp, type TestApp } from '../support/test-app';
import { Dispute, evidence, type Who } from './disputes.support';
import { Api, HOUR } from './queries.support';

const PRICE = { amount: 10_000, currency: 'USD' };

interface Page {
  price: { amount: number };
  netPrice: { amount: number; currency: string };
  refunds: { amount: number; at: string; by: string }[];
  openRequest: { type: string; reason: string | null; amount: number | null } | null;
  supportCase: Record<string, unknown> | null;
  allowedActions: string[];
}

describe('order page: refunds, net price, support case, confidential reason (HTTP)', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  it('shows refunds and the net price (price with extras minus refunds)', async () => {
    const d = await Dispute.placed(api, { price: PRICE });
    expect(await d.page<Page>('buyer')).toMatchObject({
      refunds: [],
      netPrice: { amount: 10_000 },
      supportCase: null,
    });
    const { offerId } = await d.ok<{ offerId: string }>('seller', '/extras', {
      description: 'x',
      amount: 2000,
      extraDays: 0,
    });
    await d.ok('buyer', `/extras/${offerId}/accept`);
    const { requestId } = await d.ok<{ requestId: string }>('seller', '/requests', {
      type: 'partial_refund',
      amount: 1500,
      reason: 'partial_dissatisfaction',
      comment: 'One page is missing.',
    });
    const now = await api.now();
    await d.ok('buyer', `/requests/${requestId}/accept`);
    const page = await d.page<Page>('seller');
    expect(page.price.amount).toBe(12_000);
    expect(page.netPrice).toEqual({ amount: 10_500, currency: 'USD' });
    expect(page.refunds).toEqual([{ amount: 1500, at: now.toISOString(), by: 'request' }]);
  });

  it('shows the open partial refund with its amount; its reason to the seller, support and auditor only', async () => {
    const d = await Dispute.placed(api, { price: PRICE });
    await d.ok('seller', '/requests', {
      type: 'partial_refund',
      amount: 2000,
      reason: 'delay_compensation',
      comment: 'Sorry it took longer.',
    });
    for (const who of ['seller', 'support', 'auditor'] as const) {
      expect((await d.page<Page>(who)).openRequest).toMatchObject({
        type: 'partial_refund',
        amount: 2000,
        reason: 'delay_compensation',
      });
    }
    const buyerPage = await d.page<Page>('buyer');
    expect(buyerPage.openRequest).toMatchObject({ type: 'partial_refund', amount: 2000, reason: null });
    expect(buyerPage.allowedActions).toEqual(expect.arrayContaining(['accept_request', 'decline_request']));
    expect(JSON.stringify(buyerPage)).not.toContain('delay_compensation');
    expect(JSON.stringify(await d.history('buyer'))).not.toContain('delay_compensation');
    expect(JSON.stringify(await d.history('seller'))).toContain('delay_compensation');
  });

  it('shows the latest case: thread, information request, assignee, resolution; allowedActions per role', async () => {
    const d = await Dispute.placed(api);
    const { caseId } = await d.openCase('buyer', { evidence: evidence(1) });
    const c = `/support-cases/${caseId}`;
    expect((await d.page<Page>('buyer')).supportCase).toMatchObject({
      caseId,
      status: 'open',
      category: 'quality',
      openedBy: 'buyer',
      assignee: null,
      overdue: false,
      informationRequest: null,
      thread: [],
      resolution: null,
    });
    expect((await d.page<Page>('buyer')).allowedActions).toEqual(
      expect.arrayContaining(['add_statement', 'withdraw_support_case']),
    );
    expect((await d.page<Page>('seller')).allowedActions).toContain('add_statement');
    expect((await d.page<Page>('seller')).allowedActions).not.toContain('withdraw_support_case');
    expect((await d.page<Page>('support')).allowedActions).toEqual([
      'cancel_without_consent',
      'claim_support_case',
      'post_support_message',
      'request_information',
      'resolve_support_case',
    ]);
    await d.ok('support', `${c}/claim`);
    await d.ok('support', `${c}/messages`, { text: 'On it.' });
    const info = await d.ok<{ informationRequestId: string; respondBy: string }>(
      'support',
      `${c}/information-requests`,
      {
        party: 'seller',
        question: 'Do you have the source file?',
      },
    );
    const page = await d.page<Page>('buyer');
    expect(page.supportCase).toMatchObject({
      assignee: d.agent,
      informationRequest: {
        id: info.informationRequestId,
        party: 'seller',
        question: 'Do you have the source file?',
        respondBy: info.respondBy,
      },
      thread: [
        { kind: 'message', by: { id: d.agent, role: 'support' }, text: 'On it.', evidence: [] },
        {
          kind: 'information_request',
          by: { id: d.agent, role: 'support' },
          text: 'Do you have the source file?',
        },
      ],
    });
    await d.ok('seller', `${c}/statements`, {
      text: 'Yes, attached.',
      evidence: evidence(1),
      informationRequestId: info.informationRequestId,
    });
    await d.ok('support', `${c}/resolution`, {
      outcome: 'no_action',
      rationale: 'The files were delivered.',
    });
    const resolved = (await d.page<Page>('seller')).supportCase!;
    expect(resolved).toMatchObject({
      status: 'resolved',
      informationRequest: null,
      resolution: { outcome: 'no_action', rationale: 'The files were delivered.', at: expect.any(String) },
    });
    expect((resolved.thread as unknown[]).at(-1)).toMatchObject({
      kind: 'statement',
      by: { id: d.seller, role: 'seller' },
      evidence: evidence(1),
    });
  });

  it("random sequences: the buyer's page and history never contain the confidential reason", async () => {
    const reasons = ['delay_compensation', 'partial_dissatisfaction'];
    type Step =
      { who: Who; path: (d: Dispute, s: Ctx) => string; body: (s: Ctx) => unknown } | { advance: number };
    interface Ctx {
      requestId: string;
      caseId: string;
      reason: string;
      amount: number;
    }
    const steps: Step[] = [
      {
        who: 'seller',
        path: () => '/requests',
        body: (s) => ({ type: 'partial_refund', amount: s.amount, reason: s.reason, comment: 'offer' }),
      },
      { who: 'buyer', path: (_, s) => `/requests/${s.requestId}/accept`, body: () => ({}) },
      { who: 'buyer', path: (_, s) => `/requests/${s.requestId}/decline`, body: () => ({}) },
      { who: 'seller', path: (_, s) => `/requests/${s.requestId}/withdraw`, body: () => ({}) },
      {
        who: 'buyer',
        path: () => '/support-cases',
        body: () => ({ category: 'other', description: 'help' }),
      },
      {
        who: 'support',
        path: (_, s) => `/support-cases/${s.caseId}/messages`,
        body: () => ({ text: 'hello' }),
      },
      {
        who: 'support',
        path: (_, s) => `/support-cases/${s.caseId}/resolution`,
        body: () => ({ outcome: 'partial_refund', rationale: 'r', amount: 700 }),
      },
      { who: 'seller', path: () => '/deliveries', body: () => ({ message: 'done' }) },
      { advance: 30 * HOUR },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            step: fc.integer({ min: 0, max: steps.length - 1 }),
            reason: fc.constantFrom(...reasons),
            amount: fc.integer({ min: 500, max: 3000 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (plan) => {
          const d = await Dispute.placed(api, { price: PRICE });
          const s: Ctx = { requestId: '', caseId: '', reason: '', amount: 0 };
          for (const p of plan) {
            const step = steps[p.step];
            if ('advance' in step) {
              await api.advance(step.advance);
              continue;
            }
            s.reason = p.reason;
            s.amount = p.amount;
            if (!s.requestId && step.path(d, s).startsWith('/requests/')) continue;
            if (!s.caseId && step.path(d, s).startsWith('/support-cases/')) continue;
            const res = await d.send(step.who, step.path(d, s), step.body(s));
            if (res.status === 201 && res.body.requestId) s.requestId = res.body.requestId as string;
            if (res.status === 201 && res.body.caseId) s.caseId = res.body.caseId as string;
            if (res.status < 300)
              api.position =
                BigInt(res.body.position) > BigInt(api.position) ? res.body.position : api.position;
            const buyerView = JSON.stringify([await d.page('buyer'), await d.history('buyer')]);
            for (const r of reasons) expect(buyerView).not.toContain(r);
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});
