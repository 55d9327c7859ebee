// Support cases through the HTTP API (api.md "Commands"): each route's success and its refusals in the contract's
// order — 400 malformed, 403 not the caller's to do, 404 unknown case, 409 not in the case's state.
import { randomUUID } from 'node:crypto';
import { expectProblem } from '../support/orders';
import { startTestApp, type TestApp } from '../support/test-app';
import { Dispute, evidence } from './disputes.support';
import { Api, DAY, HOUR } from './queries.support';

describe('support cases (HTTP)', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  it('a party opens a case: 201 with caseId and firstResponseDueAt (24 h); one open case per order', async () => {
    const d = await Dispute.placed(api);
    const now = await api.now();
    const opened = await d.openCase('seller', { category: 'communication', evidence: evidence(10) });
    expect(opened).toMatchObject({
      orderId: d.orderId,
      caseId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      firstResponseDueAt: new Date(now.getTime() + DAY).toISOString(),
      revision: 1,
      position: expect.any(String),
    });
    expectProblem(
      await d.send('buyer', '/support-cases', { category: 'other', description: 'x' }),
      409,
      'CASE_ALREADY_OPEN',
    );
    const entry = (await d.history('auditor')).find((e) => e.type === 'SupportCaseOpened');
    expect(entry?.data).toMatchObject({ caseId: opened.caseId, category: 'communication' });
    expect((entry?.data.evidence as unknown[]).length).toBe(10);
  });

  it('refuses malformed case bodies with 400 VALIDATION_FAILED naming the field', async () => {
    const d = await Dispute.placed(api);
    const bad = async (body: Record<string, unknown>, field: string) => {
      const res = await d.send('buyer', '/support-cases', { category: 'quality', description: 'd', ...body });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    };
    await bad({ category: 'refund' }, 'category');
    await bad({ description: '' }, 'description');
    await bad({ description: 'x'.repeat(10_001) }, 'description');
    await bad({ evidence: evidence(11) }, 'evidence');
    await bad({ evidence: [{ ...evidence()[0], sha256: 'xyz' }] }, 'evidence.0.sha256');
    await bad({ evidence: [{ ...evidence()[0], url: 'http://files.example.com/e' }] }, 'evidence.0.url');
    await bad({ evidence: [{ ...evidence()[0], sizeBytes: 100 * 1024 * 1024 + 1 }] }, 'evidence.0.sizeBytes');
    await bad({ evidence: [{ ...evidence()[0], sizeBytes: 1.5 }] }, 'evidence.0.sizeBytes');
    await bad({ evidence: [{ ...evidence()[0], extra: 1 }] }, 'evidence.0.extra');
    await bad({ unknown: true }, 'unknown');
    await bad({ evidence: 'file' }, 'evidence');
    const route = `/support-cases/${randomUUID()}`;
    expectProblem(
      await d.send('support', `${route}/information-requests`, { party: 'agent', question: 'q' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await d.send('support', `${route}/resolution`, { outcome: 'refund_all', rationale: 'r' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await d.send('support', `${route}/resolution`, {
        outcome: 'partial_refund',
        rationale: 'r',
        amount: 0,
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await d.send('support', `${route}/claim`, { assignee: 'me' }), 400, 'VALIDATION_FAILED');
    expectProblem(await d.send('support', '/support-cases/not-a-uuid/claim'), 400, 'VALIDATION_FAILED');
  });

  it('only the parties open a case; unknown orders are 404; ended orders 409 INVALID_STATE', async () => {
    const d = await Dispute.placed(api);
    const body = { category: 'quality', description: 'd' };
    expectProblem(await d.send('stranger', '/support-cases', body), 403, 'FORBIDDEN');
    expectProblem(await d.send('support', '/support-cases', body), 403, 'FORBIDDEN');
    const unknown = await api.t.http
      .post(`/orders/${randomUUID()}/support-cases`)
      .set({ authorization: `Bearer ${t.token(d.buyer)}` })
      .send(body);
    expectProblem(unknown, 404, 'ORDER_NOT_FOUND');
    await d.deliver();
    await d.ok('buyer', '/acceptance');
    expectProblem(await d.send('buyer', '/support-cases', body), 409, 'INVALID_STATE');
  });

  it('support claims, posts messages, asks for information; the party answers with a statement', async () => {
    const d = await Dispute.placed(api);
    const { caseId } = await d.openCase('buyer');
    const c = `/support-cases/${caseId}`;
    expect(await d.ok('support', `${c}/claim`)).toMatchObject({ orderId: d.orderId, revision: 2 });
    expectProblem(await d.send('support', `${c}/claim`), 409, 'INVALID_STATE');
    const message = await d.send('support', `${c}/messages`, { text: 'Looking into it.' });
    expect(message.status).toBe(201);
    const now = await api.now();
    const info = await d.send('support', `${c}/information-requests`, {
      party: 'seller',
      question: 'Source files?',
    });
    expect(info.status).toBe(201);
    expect(info.body).toMatchObject({
      informationRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      respondBy: new Date(now.getTime() + 2 * DAY).toISOString(),
    });
    const { informationRequestId } = info.body as { informationRequestId: string };
    // Asked of the seller: the buyer's statement cannot answer it, a plain one is fine.
    expectProblem(
      await d.send('buyer', `${c}/statements`, { text: 'x', informationRequestId }),
      409,
      'INVALID_STATE',
    );
    expect(
      (await d.send('buyer', `${c}/statements`, { text: 'My side.', evidence: evidence(2) })).status,
    ).toBe(201);
    await api.advance(HOUR);
    const answer = await d.send('seller', `${c}/statements`, { text: 'Attached.', informationRequestId });
    expect(answer.status).toBe(201);
    const types = (await d.history('support')).map((e) => e.type);
    expect(types).toEqual([
      'OrderPlaced',
      'SupportCaseOpened',
      'SupportCaseClaimed',
      'SupportMessagePosted',
      'SupportInformationRequested',
      'SupportStatementAdded',
      'SupportStatementAdded',
    ]);
  });

  it('checks 403 before 404 before 409 on every case route', async () => {
    const d = await Dispute.placed(api);
    const unknown = `/support-cases/${randomUUID()}`;
    const supportRoutes: Array<[string, unknown]> = [
      ['claim', {}],
      ['messages', { text: 't' }],
      ['information-requests', { party: 'buyer', question: 'q' }],
      ['resolution', { outcome: 'no_action', rationale: 'r' }],
    ];
    for (const [route, body] of supportRoutes) {
      expectProblem(await d.send('buyer', `${unknown}/${route}`, body), 403, 'FORBIDDEN');
      expectProblem(await d.send('auditor', `${unknown}/${route}`, body), 403, 'FORBIDDEN');
      expectProblem(await d.send('support', `${unknown}/${route}`, body), 404, 'CASE_NOT_FOUND');
    }
    expectProblem(await d.send('support', `${unknown}/statements`, { text: 't' }), 403, 'FORBIDDEN');
    expectProblem(await d.send('buyer', `${unknown}/statements`, { text: 't' }), 404, 'CASE_NOT_FOUND');
    expectProblem(await d.send('stranger', `${unknown}/withdraw`), 403, 'FORBIDDEN');
    expectProblem(await d.send('seller', `${unknown}/withdraw`), 404, 'CASE_NOT_FOUND');

    const { caseId } = await d.openCase('buyer');
    const c = `/support-cases/${caseId}`;
    expectProblem(await d.send('seller', `${c}/withdraw`), 403, 'FORBIDDEN');
    expect((await d.send('buyer', `${c}/withdraw`)).status).toBe(200);
    for (const [route, body] of supportRoutes) {
      expectProblem(await d.send('buyer', `${c}/${route}`, body), 403, 'FORBIDDEN');
      expectProblem(await d.send('support', `${c}/${route}`, body), 409, 'CASE_NOT_OPEN');
    }
    expectProblem(await d.send('seller', `${c}/statements`, { text: 't' }), 409, 'CASE_NOT_OPEN');
    expectProblem(await d.send('buyer', `${c}/withdraw`), 409, 'CASE_NOT_OPEN');
    // A new case may be opened once the earlier one closed.
    expect((await d.openCase('seller')).caseId).not.toBe(caseId);
  });

  it('CASE_NOT_OPEN after a resolution; idempotent retries answer the same case', async () => {
    const d = await Dispute.placed(api);
    const key = randomUUID();
    const body = { category: 'scope_dispute', description: 'More pages than agreed.' };
    const first = await api.t.http
      .post(`/orders/${d.orderId}/support-cases`)
      .set({ authorization: `Bearer ${t.token(d.seller)}`, 'idempotency-key': key })
      .send(body);
    const retry = await api.t.http
      .post(`/orders/${d.orderId}/support-cases`)
      .set({ authorization: `Bearer ${t.token(d.seller)}`, 'idempotency-key': key })
      .send(body);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    const c = `/support-cases/${first.body.caseId as string}`;
    await d.ok('support', `${c}/resolution`, { outcome: 'no_action', rationale: 'Within scope.' });
    expectProblem(
      await d.send('support', `${c}/resolution`, { outcome: 'no_action', rationale: 'again' }),
      409,
      'CASE_NOT_OPEN',
    );
    expectProblem(await d.send('buyer', `${c}/statements`, { text: 'late' }), 409, 'CASE_NOT_OPEN');
    const resolved = (await d.history('buyer')).find((e) => e.type === 'SupportCaseResolved');
    expect(resolved?.data).toMatchObject({
      outcome: 'no_action',
      rationale: 'Within scope.',
      resolvedBy: d.agent,
    });
  });
});
