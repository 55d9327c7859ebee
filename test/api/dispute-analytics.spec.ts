// GET /analytics/disputes through the real app with the manual clock: the figures of the cases opened on the
// days asked (opened, resolved, withdrawn, overdue, outcomes, categories, medians), who may read them, the
// date checks shared with the cancellation analytics, and the OpenAPI description of the issue 17 queries.
import { expectProblem, newUser } from '../support/orders';
import { startTestApp, type TestApp } from '../support/test-app';
import { Dispute } from './disputes.support';
import { Api, DAY, HOUR } from './queries.support';

describe('GET /analytics/disputes', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  const analyst = newUser('analyst');
  const figures = (from: string, to: string) =>
    api.read(analyst, `/analytics/disputes?from=${from}&to=${to}`, ['analyst']);

  it('counts the cases by their day of opening, with outcomes, categories and medians', async () => {
    await api.setClock(new Date('2031-05-10T08:00:00.000Z'));
    const a = await Dispute.placed(api, { price: { amount: 20_000, currency: 'USD' } });
    const caseA = await a.openCase('buyer', { category: 'quality' });
    await api.advance(HOUR);
    await a.ok('support', `/support-cases/${caseA.caseId}/claim`); // 60 min
    await api.advance(HOUR);
    await a.ok('support', `/support-cases/${caseA.caseId}/resolution`, {
      outcome: 'partial_refund',
      rationale: 'The colours were off.',
      amount: 4000,
    }); // 120 min

    const b = await Dispute.placed(api);
    const caseB = await b.openCase('seller', { category: 'scope_dispute' });
    await api.advance(20 * HOUR); // a first response within the 24 h
    await b.ok('support', `/support-cases/${caseB.caseId}/messages`, { text: 'Sorry for the wait.' }); // 20 h
    await b.ok('support', `/support-cases/${caseB.caseId}/resolution`, {
      outcome: 'cancel_order',
      rationale: 'The scope cannot be met.',
      countsTowardCompletionRate: false,
    }); // 20 h

    const c = await Dispute.placed(api);
    const caseC = await c.openCase('buyer', { category: 'communication' }); // 2031-05-11
    await c.ok('buyer', `/support-cases/${caseC.caseId}/withdraw`);
    await api.advance(3 * DAY);
    await Dispute.placed(api).then((d) => d.openCase('seller', { category: 'other' })); // 2031-05-14

    expect(await figures('2031-05-10', '2031-05-11')).toEqual({
      from: '2031-05-10',
      to: '2031-05-11',
      opened: 3,
      resolved: 2,
      withdrawn: 1,
      overdue: 0,
      byOutcome: {
        cancel_order: 1,
        partial_refund: 1,
        extend_due_date: 0,
        complete_order: 0,
        no_action: 0,
        settled_by_parties: 0,
      },
      byCategory: { quality: 1, non_delivery: 0, communication: 1, scope_dispute: 1, other: 0 },
      medianMinutesToFirstResponse: (60 + 20 * 60) / 2,
      medianMinutesToResolution: (120 + 20 * 60) / 2,
    });
    expect(await figures('2031-05-12', '2031-05-13')).toMatchObject({
      opened: 0,
      resolved: 0,
      medianMinutesToFirstResponse: null,
      medianMinutesToResolution: null,
    });
    // The case cancellation is a support cancellation in the cancellation analytics.
    expect(
      await api.read(analyst, '/analytics/cancellations?from=2031-05-11&to=2031-05-11', ['analyst']),
    ).toMatchObject({ total: 1, byMode: { support: 1 }, byInitiator: { support: 1 } });
  });

  it('analysts and support read it; parties and auditors get 403', async () => {
    const q = '/analytics/disputes?from=2031-01-01&to=2031-01-31';
    expect((await api.get(newUser('agent'), q, ['support'])).status).toBe(200);
    expectProblem(await api.get(newUser('buyer'), q), 403, 'FORBIDDEN');
    expectProblem(await api.get(newUser('auditor'), q, ['auditor']), 403, 'FORBIDDEN');
    expectProblem(await api.get(null, q), 401, 'UNAUTHENTICATED');
  });

  it('given a party (no role), when the date range is impossible or reversed, then 400 before 403 (order of checks)', async () => {
    for (const query of ['from=2031-02-30&to=2031-03-01', 'from=2031-03-02&to=2031-03-01']) {
      expectProblem(
        await api.get(newUser('buyer'), `/analytics/disputes?${query}`),
        400,
        'VALIDATION_FAILED',
      );
    }
  });

  it.each([
    ['', 'from'],
    ['from=2031-01-01', 'to'],
    ['from=2031-1-1&to=2031-01-31', 'from'],
    ['from=2031-02-30&to=2031-03-01', 'from'],
    ['from=2031-03-02&to=2031-03-01', 'to'],
    ['from=2029-01-01&to=2031-03-01', 'to'],
    ['from=2031-01-01&to=2031-01-02&outcome=x', 'outcome'],
  ])('?%s is a 400 naming %s', async (query, field) => {
    const res = await api.get(analyst, `/analytics/disputes?${query}`, ['analyst']);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(res.body.errors)).toContain(field);
  });

  it('OpenAPI describes both issue 17 queries with their problems', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    for (const path of ['/support/cases', '/analytics/disputes']) {
      const op = doc.paths[path].get;
      // The edge's own statuses (503, ...) come on top: test/api/openapi.spec.ts checks them.
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '500']));
      expect(op.responses['403'].content['application/problem+json']).toBeDefined();
    }
    const queueParams = doc.paths['/support/cases'].get.parameters.map((p: { name: string }) => p.name);
    expect(queueParams).toEqual(expect.arrayContaining(['status', 'assignee', 'overdue', 'limit', 'cursor']));
  });
});
