// Many deadlines falling due at once are all handled, each once (bench/deadlines.bench.ts runs 10,000 of them
// against a child process; this is the same scenario, smaller, in-process).
import { countPerStream, seedOrders } from '../../bench/deadlines.bench';
import { EVENT_STORE, type EventStore } from '../../src/platform/event-store/event-store.port';
import { startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

const COUNT = 1000;

describe(`${COUNT} deadlines falling due at once`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
  });
  afterAll(() => t.close());

  it('are all handled before POST /testing/clock answers, each exactly once', async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    const { orderIds, dueAt } = await seedOrders(store, COUNT, t.clock!.now());
    // The read side learns about every order (and its deadlines) first; nothing is due yet.
    const idle = await t.http.post('/testing/clock').send({ advanceMs: 0 }).expect(200);
    expect(idle.body.deadlinesHandled).toBe(0);

    const late = await t.http
      .post('/testing/clock')
      .send({ now: new Date(dueAt.getTime() + 1).toISOString() })
      .expect(200);
    // The timer may have fired a few of them meanwhile: the count is of those this call fired.
    expect(late.body.deadlinesHandled).toBeGreaterThan(0);
    expect(await countPerStream(store, orderIds, 'OrderBecameLate')).toEqual(orderIds.map(() => 1));
    expect(await countPerStream(store, orderIds, 'OrderBecameVeryLate')).toEqual(orderIds.map(() => 0));

    // A day later the very_late deadlines fall due together; the late ones are not fired again.
    const veryLate = await t.http
      .post('/testing/clock')
      .send({ advanceMs: 24 * 60 * 60 * 1000 })
      .expect(200);
    expect(veryLate.body.deadlinesHandled).toBeGreaterThan(0);
    expect(await countPerStream(store, orderIds, 'OrderBecameVeryLate')).toEqual(orderIds.map(() => 1));
    expect(await countPerStream(store, orderIds, 'OrderBecameLate')).toEqual(orderIds.map(() => 1));

    // Handled deadlines are gone from the read model.
    const health = await t.http.get('/health').expect(200);
    expect(health.body.checks.deadlines).toMatchObject({ status: 'ok', details: { stuck: 0 } });
  });
});
