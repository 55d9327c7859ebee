import { expectProblem, history, newUser, openRequest, parties, post } from '../support/orders';
import { bearer, startTestApp, type TestApp } from '../support/test-app';
import { Api, DAY, HOUR } from './queries.support';

jest.setTimeout(60000);
describe('probe4', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());
  const page = (u: string, id: string, roles: any[] = []) => api.read<any>(u, `/orders/${id}`, roles);
  const log = (...a: unknown[]) => process.stdout.write(a.map((x) => typeof x === 'string' ? x : JSON.stringify(x)).join(' ') + '\n');

  it('chain: refund offer expiry then auto-complete in one advance', async () => {
    const p = parties();
    const id = await api.place(p.buyer, p.seller, { requirementsNeeded: false, price: { amount: 10000, currency: 'USD' } });
    await api.ok(p.seller, `/orders/${id}/deliveries`, { message: 'x' });
    await api.advance(2 * DAY + 12 * HOUR);
    await openRequest(t, p.seller, id, { type: 'partial_refund', reason: 'other', comment: 'c', amount: 1000 });
    const res = await t.http.post('/testing/clock').send({ advanceMs: 5 * DAY });
    log('chain1 clock', res.body);
    const h = await history(t, p.buyer, id);
    log('chain1', h.map((e) => [e.type, e.at]));
  });

  it('chain: extension auto-accepted then very late', async () => {
    const p = parties();
    const id = await api.place(p.buyer, p.seller, { requirementsNeeded: false, deliveryDays: 1 });
    const pg = await page(p.buyer, id);
    await openRequest(t, p.seller, id, { type: 'delivery_extension', comment: 'c', proposedDueAt: new Date(Date.parse(pg.dueAt) + 1 * DAY).toISOString() });
    const res = await t.http.post('/testing/clock').send({ advanceMs: 10 * DAY });
    log('chain2 clock', res.body);
    const h = await history(t, p.buyer, id);
    log('chain2', h.map((e) => [e.type, e.at]));
  });

  it('clock without manual', async () => {
    const t2 = await startTestApp();
    const r = await t2.http.get('/testing/clock');
    log('no manual', r.status, r.body);
    await t2.close();
  });
});
