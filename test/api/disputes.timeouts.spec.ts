// The support-case and partial-refund timeouts through the HTTP API with CLOCK=manual: each at its moment and not a
// minute before, once; auto-completion waiting for an open case; one of them across a restart.
import { startTestApp, type TestApp } from '../support/test-app';
import { Dispute } from './disputes.support';
import { Api, DAY, HOUR } from './queries.support';

const MIN = 60_000;
const count = async (d: Dispute, type: string) =>
  (await d.history('auditor')).filter((e) => e.type === type).length;

describe('support-case and partial-refund timeouts (CLOCK=manual)', () => {
  let t: TestApp;
  let api: Api;
  /** A buyer's case, claimed, with support's question to the seller outstanding. */
  const sellerAsked = async () => {
    const d = await Dispute.placed(api);
    const { caseId } = await d.openCase('buyer');
    const c = `/support-cases/${caseId}`;
    await d.ok('support', `${c}/claim`);
    const { informationRequestId } = await d.ok<{ informationRequestId: string }>(
      'support',
      `${c}/information-requests`,
      { party: 'seller', question: 'When will it be ready?' },
    );
    return { d, caseId, c, informationRequestId };
  };
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  it('marks a case overdue once at 24 h without a first response', async () => {
    const d = await Dispute.placed(api);
    const { caseId } = await d.openCase('buyer');
    await api.advance(DAY - MIN);
    expect(await count(d, 'SupportCaseMarkedOverdue')).toBe(0);
    await api.advance(MIN);
    const marked = (await d.history('auditor')).filter((e) => e.type === 'SupportCaseMarkedOverdue');
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatchObject({ actor: { id: 'system', role: 'system' }, data: { caseId } });
    expect((await d.page<{ supportCase: { overdue: boolean } }>('buyer')).supportCase.overdue).toBe(true);
    // A late claim does not undo it, and nothing fires again.
    await d.ok('support', `/support-cases/${caseId}/claim`);
    await api.advance(3 * DAY);
    expect(await count(d, 'SupportCaseMarkedOverdue')).toBe(1);
    expect((await d.page<{ supportCase: { overdue: boolean } }>('support')).supportCase.overdue).toBe(true);
  });

  it('is not overdue when support claimed or messaged within 24 h', async () => {
    const claimed = await Dispute.placed(api);
    const a = await claimed.openCase('buyer');
    const messaged = await Dispute.placed(api);
    const b = await messaged.openCase('seller');
    await api.advance(23 * HOUR);
    await claimed.ok('support', `/support-cases/${a.caseId}/claim`);
    await messaged.ok('support', `/support-cases/${b.caseId}/messages`, { text: 'Hello both.' });
    await api.advance(2 * DAY);
    expect(await count(claimed, 'SupportCaseMarkedOverdue')).toBe(0);
    expect(await count(messaged, 'SupportCaseMarkedOverdue')).toBe(0);
  });

  it('an unanswered information request lapses at 48 h; the case goes on', async () => {
    const { d, caseId, c, informationRequestId } = await sellerAsked();
    await api.advance(2 * DAY - MIN);
    expect(await count(d, 'SupportInformationRequestLapsed')).toBe(0);
    await api.advance(MIN);
    const lapsed = (await d.history('auditor')).find((e) => e.type === 'SupportInformationRequestLapsed');
    expect(lapsed?.data).toMatchObject({ caseId, informationRequestId, party: 'seller' });
    const page = await d.page<{ supportCase: { status: string; informationRequest: unknown } }>('seller');
    expect(page.supportCase).toMatchObject({ status: 'open', informationRequest: null });
    // Too late to answer it; a plain statement is still welcome.
    const late = await d.send('seller', `${c}/statements`, { text: 'Now.', informationRequestId });
    expect(late.status).toBe(409);
    await d.ok('seller', `${c}/statements`, { text: 'Tomorrow.' });
  });

  it('given an information request to the seller, when the seller adds a statement without its id within 48 h, then that answers it: nothing lapses', async () => {
    const { d, caseId, c, informationRequestId } = await sellerAsked();
    await d.ok('buyer', `${c}/statements`, { text: 'Not my question.' }); // the other party: no answer
    await api.advance(HOUR);

    await d.ok('seller', `${c}/statements`, { text: 'Friday.' });

    const answer = (await d.history('auditor')).filter((e) => e.type === 'SupportStatementAdded').pop();
    expect(answer?.data).toMatchObject({ text: 'Friday.', informationRequestId });
    const page = await d.page<{ supportCase: { informationRequest: unknown } }>('seller');
    expect(page.supportCase.informationRequest).toBeNull();
    const queue = await api.read<{ items: { caseId: string; waitingOn: string }[] }>(
      d.agent,
      '/support/cases?limit=100',
      ['support'],
    );
    expect(queue.items.find((i) => i.caseId === caseId)?.waitingOn).toBe('support');
    await api.advance(2 * DAY);
    expect(await count(d, 'SupportInformationRequestLapsed')).toBe(0);
  });

  it('an unanswered partial refund offer lapses at 48 h with nothing refunded', async () => {
    const d = await Dispute.placed(api, { price: { amount: 10_000, currency: 'USD' } });
    const { requestId } = await d.ok<{ requestId: string }>('seller', '/requests', {
      type: 'partial_refund',
      amount: 3000,
      reason: 'scope_changed',
      comment: 'Less work than planned.',
    });
    await api.advance(2 * DAY - MIN);
    expect(await count(d, 'ResolutionRequestExpired')).toBe(0);
    await api.advance(MIN);
    const expired = (await d.history('auditor')).find((e) => e.type === 'ResolutionRequestExpired');
    expect(expired?.data).toMatchObject({ requestId, requestType: 'partial_refund' });
    expect(await count(d, 'RefundRecorded')).toBe(0);
    const page = await d.page<{ openRequest: unknown; refunds: unknown[]; netPrice: { amount: number } }>(
      'buyer',
    );
    expect(page).toMatchObject({
      openRequest: null,
      refunds: [],
      netPrice: { amount: 10_000 },
      status: 'in_progress',
    });
  });

  it('auto-completion waits while a case is open; due at deliveredAt + 3 d when it closed before', async () => {
    const d = await Dispute.placed(api);
    await d.deliver();
    const { caseId } = await d.openCase('seller', { category: 'communication' });
    await api.advance(DAY);
    await d.ok('seller', `/support-cases/${caseId}/withdraw`);
    await api.advance(2 * DAY - MIN);
    expect((await d.page<{ status: string }>('buyer')).status).toBe('delivered');
    await api.advance(MIN);
    expect((await d.page<{ status: string }>('buyer')).status).toBe('completed');
  });

  it('auto-completion waits past deliveredAt + 3 d for an open case, then is due at its close', async () => {
    const d = await Dispute.placed(api);
    await d.deliver();
    const { caseId } = await d.openCase('buyer');
    await d.ok('support', `/support-cases/${caseId}/claim`);
    await api.advance(4 * DAY);
    expect((await d.page<{ status: string }>('buyer')).status).toBe('delivered');
    await d.ok('support', `/support-cases/${caseId}/resolution`, {
      outcome: 'no_action',
      rationale: 'Fine.',
    });
    await api.advance(0);
    const h = await d.history('auditor');
    expect(h.map((e) => e.type).slice(-2)).toEqual(['SupportCaseResolved', 'OrderCompleted']);
    expect(h.at(-1)?.data).toMatchObject({ completion: 'auto_completed' });
  });
});

describe('a support-case deadline across a restart', () => {
  it('marks the case overdue after the service came back', async () => {
    let t = await startTestApp({ clock: 'manual' });
    try {
      const d = await Dispute.placed(new Api(t));
      const { caseId } = await d.openCase('buyer');
      await d.api.advance(DAY - HOUR);
      t = await t.restart();
      Object.assign(d, { api: new Api(t) });
      expect(await count(d, 'SupportCaseMarkedOverdue')).toBe(0);
      await d.api.advance(HOUR);
      const marked = (await d.history('auditor')).filter((e) => e.type === 'SupportCaseMarkedOverdue');
      expect(marked.map((e) => e.data.caseId)).toEqual([caseId]);
    } finally {
      await t.close();
    }
  });
});
