// GET /sellers/:sellerId/completion-rate and GET /analytics/cancellations through HTTP, with the manual clock:
// the completion-rate rules of domain.md (counted and excluded cancellations, the 14-day retroactive reorder
// exclusion, the rolling 60-day window, null when nothing counted ended) and the analytics breakdowns.
import { expectProblem, newUser } from '../support/orders';
import { startTestApp, type TestApp } from '../support/test-app';
import { Api, DAY, HOUR } from './queries.support';

interface Rate {
  sellerId: string;
  windowDays: number;
  asOf: string;
  completed: number;
  cancelled: number;
  excluded: number;
  rate: number | null;
}

describe('GET /sellers/:sellerId/completion-rate', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  const rateOf = (seller: string, as = seller, roles: ('analyst' | 'support')[] = []) =>
    api.read<Rate>(as, `/sellers/${seller}/completion-rate`, roles);

  const complete = async (buyer: string, seller: string): Promise<string> => {
    const id = await api.place(buyer, seller, { requirementsNeeded: false });
    await api.ok(seller, `/orders/${id}/deliveries`, { message: 'Done' });
    await api.ok(buyer, `/orders/${id}/acceptance`);
    return id;
  };
  const mutual = async (buyer: string, seller: string): Promise<string> => {
    const id = await api.place(buyer, seller, { requirementsNeeded: false });
    const { requestId } = await api.ok<{ requestId: string }>(seller, `/orders/${id}/requests`, {
      type: 'cancellation',
      reason: 'cannot_deliver',
      comment: 'Sorry',
    });
    await api.ok(buyer, `/orders/${id}/requests/${requestId}/accept`, {});
    return id;
  };

  it('is null (not 100 %) for a seller with nothing ended, with the contract shape', async () => {
    const seller = newUser('seller');
    await api.place(newUser('buyer'), seller); // open, not ended
    const now = await api.now();
    expect(await rateOf(seller)).toEqual({
      sellerId: seller,
      windowDays: 60,
      asOf: now.toISOString(),
      completed: 0,
      cancelled: 0,
      excluded: 0,
      rate: null,
    });
  });

  it('counts mutual, auto-accepted, forced and counting support cancellations; excludes the others', async () => {
    const seller = newUser('seller');
    const b = () => newUser('buyer');
    await complete(b(), seller);
    await complete(b(), seller);
    await complete(b(), seller);
    await mutual(b(), seller); // counted
    // Buyer cancels while awaiting requirements: excluded.
    const hasty = b();
    await api.ok(hasty, `/orders/${await api.place(hasty, seller)}/cancellation`, {
      reason: 'ordered_by_mistake',
    });
    // Support: one not counting (fraud), one counting (terms violation).
    const agent = newUser('agent');
    await api.ok(agent, `/orders/${await api.place(b(), seller)}/cancellation`, { reason: 'fraud' }, [
      'support',
    ]);
    await api.ok(
      agent,
      `/orders/${await api.place(b(), seller)}/cancellation`,
      { reason: 'terms_violation' },
      ['support'],
    );
    // Auto-accepted: a cancellation request nobody answers within 48 h.
    const autoBuyer = b();
    const auto = await api.place(autoBuyer, seller, { requirementsNeeded: false, deliveryDays: 30 });
    await api.ok(autoBuyer, `/orders/${auto}/requests`, {
      type: 'cancellation',
      reason: 'other',
      comment: 'Hello?',
    });
    // Forced: very late, then the buyer cancels without consent.
    const lateBuyer = b();
    const late = await api.place(lateBuyer, seller, { requirementsNeeded: false, deliveryDays: 1 });
    await api.advance(2 * DAY + HOUR); // the request expires (auto-accepted) and the order is very late
    await api.ok(lateBuyer, `/orders/${late}/cancellation`, { reason: 'late_delivery' });
    expect(await api.read(seller, `/orders/${auto}`)).toMatchObject({
      cancellation: { mode: 'auto_accepted' },
    });

    // completed 3; counted: mutual, support (counting), auto_accepted, forced = 4; excluded: awaiting, fraud = 2.
    expect(await rateOf(seller)).toMatchObject({ completed: 3, cancelled: 4, excluded: 2, rate: 3 / 7 });
  });

  it('excludes a mutual cancellation once the same buyer orders from the same seller within 14 days', async () => {
    const seller = newUser('seller');
    const loyal = newUser('loyal');
    const late = newUser('late');
    await complete(newUser('buyer'), seller);
    await mutual(loyal, seller);
    await mutual(late, seller);
    expect(await rateOf(seller)).toMatchObject({ completed: 1, cancelled: 2, excluded: 0, rate: 1 / 3 });

    // Another buyer ordering changes nothing; the same buyer with another seller neither.
    await api.place(newUser('other'), seller);
    await api.place(loyal, newUser('elsewhere'));
    await api.advance(14 * DAY); // exactly 14 days after the cancellations: still within the window
    expect(await rateOf(seller)).toMatchObject({ cancelled: 2, excluded: 0 });
    await api.place(loyal, seller);
    expect(await rateOf(seller)).toMatchObject({ completed: 1, cancelled: 1, excluded: 1, rate: 0.5 });

    await api.advance(1); // 14 days + 1 ms: too late to exclude
    await api.place(late, seller);
    expect(await rateOf(seller)).toMatchObject({ completed: 1, cancelled: 1, excluded: 1, rate: 0.5 });
  });

  it('rolls over the last 60 days against the clock: the window edge, then null once everything aged out', async () => {
    const seller = newUser('seller');
    await complete(newUser('buyer'), seller);
    const endedAt = await api.now();
    await api.advance(10 * DAY);
    await mutual(newUser('buyer'), seller);
    expect(await rateOf(seller)).toMatchObject({ completed: 1, cancelled: 1, rate: 0.5 });

    await api.setClock(new Date(endedAt.getTime() + 60 * DAY)); // exactly 60 days after: still in
    expect(await rateOf(seller)).toMatchObject({ completed: 1, cancelled: 1, rate: 0.5 });
    await api.advance(1); // one millisecond later: out
    expect(await rateOf(seller)).toMatchObject({ completed: 0, cancelled: 1, rate: 0 });
    await api.advance(10 * DAY);
    expect(await rateOf(seller)).toMatchObject({ completed: 0, cancelled: 0, excluded: 0, rate: null });
  });

  it('answers that seller, support and analysts; refuses anyone else', async () => {
    const seller = newUser('seller');
    await rateOf(seller);
    await rateOf(seller, newUser('agent'), ['support']);
    await rateOf(seller, newUser('analyst'), ['analyst']);
    expectProblem(await api.get(newUser('buyer'), `/sellers/${seller}/completion-rate`), 403, 'FORBIDDEN');
    expectProblem(
      await api.get(newUser('auditor'), `/sellers/${seller}/completion-rate`, ['auditor']),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await api.get(seller, `/sellers/${seller}/completion-rate?window=30`),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await api.get(null, `/sellers/${seller}/completion-rate`), 401, 'UNAUTHENTICATED');
  });
});

describe('GET /analytics/cancellations', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  const day = (d: Date) => d.toISOString().slice(0, 10);

  it('breaks cancellations down by mode, initiator, reason and day, zero days included', async () => {
    const analyst = newUser('analyst');
    // Start at a UTC midnight so "days" are unambiguous.
    const start = await api.now();
    await api.setClock(
      new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + 1, 9)),
    );
    const first = await api.now();
    const buyer = newUser('buyer');
    const seller = newUser('seller');
    await api.ok(buyer, `/orders/${await api.place(buyer, seller)}/cancellation`, {
      reason: 'ordered_by_mistake',
    });
    await api.ok(buyer, `/orders/${await api.place(buyer, seller)}/cancellation`, {
      reason: 'no_longer_needed',
    });
    await api.advance(2 * DAY);
    const id = await api.place(buyer, seller, { requirementsNeeded: false });
    const { requestId } = await api.ok<{ requestId: string }>(seller, `/orders/${id}/requests`, {
      type: 'cancellation',
      reason: 'cannot_deliver',
      comment: 'x',
    });
    await api.ok(buyer, `/orders/${id}/requests/${requestId}/accept`, {});
    await api.ok(
      newUser('agent'),
      `/orders/${await api.place(buyer, seller)}/cancellation`,
      { reason: 'fraud' },
      ['support'],
    );
    const third = await api.now();

    const from = day(new Date(first.getTime() - DAY));
    const to = day(new Date(third.getTime() + DAY));
    const res = await api.get(analyst, `/analytics/cancellations?from=${from}&to=${to}`, ['analyst']);
    expect(res.status).toBe(200);
    expect(res.headers['x-read-model-position']).toMatch(/^\d+$/);
    expect(res.body).toEqual({
      from,
      to,
      total: 4,
      byMode: { unilateral: 2, forced: 0, mutual: 1, auto_accepted: 0, support: 1 },
      byInitiator: { buyer: 2, seller: 1, support: 1 },
      byReason: expect.objectContaining({
        ordered_by_mistake: 1,
        no_longer_needed: 1,
        cannot_deliver: 1,
        fraud: 1,
      }),
      daily: [
        { date: from, count: 0 },
        { date: day(first), count: 2 },
        { date: day(new Date(first.getTime() + DAY)), count: 0 },
        { date: day(third), count: 2 },
        { date: to, count: 0 },
      ],
    });
    expect(Object.values(res.body.byReason as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(4);

    // Support reads it too; a range without cancellations is all zeros.
    const empty = await api.read<{ total: number; daily: unknown[] }>(
      newUser('agent'),
      '/analytics/cancellations?from=2020-01-01&to=2020-01-03',
      ['support'],
    );
    expect(empty).toMatchObject({ total: 0, daily: [{ count: 0 }, { count: 0 }, { count: 0 }] });
  });

  it('allows a range of up to 366 days, one day included', async () => {
    const analyst = newUser('analyst');
    const year = await api.read<{ daily: unknown[] }>(
      analyst,
      '/analytics/cancellations?from=2024-01-01&to=2024-12-31',
      ['analyst'],
    );
    expect(year.daily).toHaveLength(366);
    const one = await api.read<{ daily: unknown[] }>(
      analyst,
      '/analytics/cancellations?from=2024-02-29&to=2024-02-29',
      ['analyst'],
    );
    expect(one.daily).toEqual([{ date: '2024-02-29', count: 0 }]);
  });

  it.each([
    ['from=2025-03-10&to=2025-03-01', 'to'],
    ['from=2024-01-01&to=2025-01-01', 'to'],
    ['from=2025-02-30&to=2025-03-01', 'from'],
    ['from=2025-3-1&to=2025-03-02', 'from'],
    ['from=2025-03-01', 'to'],
    ['to=2025-03-01', 'from'],
    ['from=2025-03-01&to=2025-03-02&mode=mutual', 'mode'],
  ])('refuses ?%s (400 on %s)', async (query, field) => {
    const res = await api.get(newUser('analyst'), `/analytics/cancellations?${query}`, ['analyst']);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('given a caller without the role, when the date range is impossible or reversed, then 400 before 403 (order of checks)', async () => {
    for (const query of ['from=2025-02-30&to=2025-03-01', 'from=2025-03-10&to=2025-03-01']) {
      const res = await api.get(newUser('buyer'), `/analytics/cancellations?${query}`);
      expectProblem(res, 400, 'VALIDATION_FAILED');
    }
  });

  it('is for analysts and support only', async () => {
    const q = '/analytics/cancellations?from=2025-01-01&to=2025-01-02';
    expectProblem(await api.get(newUser('user'), q), 403, 'FORBIDDEN');
    expectProblem(await api.get(newUser('auditor'), q, ['auditor']), 403, 'FORBIDDEN');
    expectProblem(await api.get(null, q), 401, 'UNAUTHENTICATED');
  });
});
