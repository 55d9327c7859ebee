import { backoffMs, DEADLINE_ATTEMPTS_COLLECTION, type DeadlineAttempt } from './deadline-poller';
import { createKit, DUE, type Kit, T0, unknownDeadline } from './timeouts.test-kit';

const LATE_AT = new Date(DUE.getTime() + 1);
const BASE = 1000;

describe('DeadlinePoller', () => {
  let kit: Kit;
  afterEach(() => kit.close());

  const attempt = (id: string) => kit.store.get<DeadlineAttempt>(DEADLINE_ATTEMPTS_COLLECTION, id);
  const lateOf = async (orderId: string) =>
    (await kit.deadlines()).find((d) => d.orderId === orderId && d.kind === 'late');
  /** One timer-like pass at the clock's time, its commands finished. */
  const pass = async (retryNow = false) => {
    const { fired } = await kit.poller.runDue(kit.clock.now(), { retryNow });
    await kit.handler.settled();
    return fired;
  };

  it('fires exactly the deadlines due at now, and not again before their backoff', async () => {
    kit = await createKit({ backoffBaseMs: BASE });
    await kit.place('o-1');
    await kit.project();
    kit.clock.set(DUE);
    expect(await pass()).toEqual([]);
    kit.clock.set(LATE_AT);
    const late = await lateOf('o-1');
    expect(await pass()).toEqual([late!.id]);
    // Not projected yet: still listed, but backing off.
    expect(await pass()).toEqual([]);
    expect(kit.handler.calls[0]).toMatchObject({
      input: { type: 'RecordLateness', data: {} },
      options: { orderId: 'o-1', actor: { id: 'system', role: 'system' } },
    });
    expect(await kit.count('o-1', 'OrderBecameLate')).toBe(1);
  });

  it('keeps a deadline and retries it with backoff until the stream shows it handled, then it leaves', async () => {
    kit = await createKit({ backoffBaseMs: BASE, backoffMaxMs: 8 * BASE });
    await kit.place('o-1');
    await kit.project();
    kit.handler.failures.set('o-1', 2);
    kit.clock.set(LATE_AT);
    const late = (await lateOf('o-1'))!;

    const expectRetryAfter = async (attempts: number, waitMs: number) => {
      await kit.project();
      expect(await lateOf('o-1')).toEqual(late);
      expect(await attempt(late.id)).toMatchObject({
        attempts,
        nextAttemptAt: new Date(kit.clock.now().getTime() + waitMs).toISOString(),
      });
      kit.clock.advance(waitMs - 1);
      expect(await pass()).toEqual([]); // not a millisecond early
      kit.clock.advance(1);
      expect(await pass()).toEqual([late.id]);
    };
    expect(await pass()).toEqual([late.id]); // fails
    await expectRetryAfter(1, BASE); // fails again
    await expectRetryAfter(2, 2 * BASE); // succeeds
    expect(await kit.count('o-1', 'OrderBecameLate')).toBe(1);

    // The stream shows it handled, the projection has not seen it yet: it stays, and firing it once more is a
    // no-op (the decider refuses a stale timeout by deciding nothing).
    expect(await lateOf('o-1')).toEqual(late);
    expect(await pass(true)).toEqual([late.id]);
    expect(await kit.count('o-1', 'OrderBecameLate')).toBe(1);

    await kit.project();
    expect(await lateOf('o-1')).toBeUndefined();
    kit.clock.advance(60 * BASE);
    expect(await pass(true)).toEqual([]);
    expect(kit.handler.callsFor('o-1')).toBe(4);
    // Its attempt record goes with the next prune.
    expect(await kit.poller.pruneAttempts(kit.clock.now(), true)).toBe(1);
    expect(await attempt(late.id)).toBeNull();
  });

  it('a deadline that cannot be mapped or whose command throws does not stop the others', async () => {
    kit = await createKit({ backoffBaseMs: BASE });
    for (const o of ['o-fail', 'o-1', 'o-2']) await kit.place(o);
    await kit.project();
    kit.handler.failures.set('o-fail', Infinity);
    await kit.put(unknownDeadline('o-bad', T0));
    kit.clock.set(LATE_AT);
    expect(await pass()).toHaveLength(4);
    expect(await kit.count('o-1', 'OrderBecameLate')).toBe(1);
    expect(await kit.count('o-2', 'OrderBecameLate')).toBe(1);

    // The saga and the bus still carry later deadlines; the bad ones are retried after their backoff.
    await kit.place('o-3');
    await kit.project();
    kit.clock.advance(BASE);
    const fired = await pass();
    expect(fired).toHaveLength(3);
    expect(await kit.count('o-3', 'OrderBecameLate')).toBe(1);
    expect(kit.handler.callsFor('o-fail')).toBe(2);
  });

  it('reports a deadline stuck after repeated attempts and keeps retrying it at the bounded backoff', async () => {
    kit = await createKit({ backoffBaseMs: BASE, backoffMaxMs: 4 * BASE, stuckAfterAttempts: 4 });
    const bad = unknownDeadline('o-bad', T0);
    await kit.put(bad);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(await pass()).toEqual([bad.id]);
      const next = Date.parse((await attempt(bad.id))!.nextAttemptAt);
      waits.push(next - kit.clock.now().getTime());
      if (i === 2) expect((await kit.poller.health()).status).toBe('ok');
      kit.clock.set(new Date(next));
    }
    expect(waits).toEqual([BASE, 2 * BASE, 4 * BASE, 4 * BASE, 4 * BASE]);
    const health = await kit.poller.health();
    expect(health.status).toBe('degraded');
    expect(health.details).toMatchObject({ stuck: 1, stuckDeadlines: [{ id: bad.id, attempts: 5 }] });
    // Once it leaves the store (fixed and rebuilt, say), it is no longer reported.
    await kit.store.write((w) => w.delete('deadlines', bad.id));
    expect((await kit.poller.health()).status).toBe('ok');
  });

  it('pages through more due deadlines than one batch, reading past those already fired', async () => {
    kit = await createKit({ batchSize: 3 });
    const orders = Array.from({ length: 10 }, (_, i) => `o-${i}`);
    for (const o of orders) await kit.place(o);
    await kit.project();
    kit.clock.set(LATE_AT);
    expect(await pass()).toHaveLength(10);
    for (const o of orders) expect(await kit.count(o, 'OrderBecameLate')).toBe(1);
    expect(await kit.poller.figures()).toEqual({ due: 10, fired: 10 });
    await kit.project();
    expect(await kit.poller.figures()).toEqual({ due: 0, fired: 10 });
  });

  it('start and stop are idempotent, and the timer fires what is due', async () => {
    kit = await createKit({ intervalMs: 5 });
    await kit.place('o-1');
    await kit.project();
    kit.clock.set(LATE_AT);
    kit.poller.start();
    kit.poller.start();
    expect(kit.poller.isRunning).toBe(true);
    // The first run starts at once; whenIdle waits for it (no sleeping through real time).
    await new Promise((r) => setImmediate(r));
    await kit.poller.whenIdle();
    await kit.handler.settled();
    expect(await kit.count('o-1', 'OrderBecameLate')).toBe(1);
    await kit.poller.stop();
    await kit.poller.stop();
    expect(kit.poller.isRunning).toBe(false);
  });

  it('fires nothing once disposed (shutdown)', async () => {
    kit = await createKit();
    await kit.place('o-1');
    await kit.project();
    await kit.poller.dispose();
    expect(await kit.poller.runDue(LATE_AT)).toEqual({ due: [], fired: [] });
    expect(kit.handler.calls).toHaveLength(0);
  });
});

describe('backoffMs', () => {
  it('doubles from the base and stays bounded', () => {
    const o = { backoffBaseMs: 1000, backoffMaxMs: 600_000 };
    expect([1, 2, 3, 4, 10, 11, 1000].map((a) => backoffMs(a, o))).toEqual([
      1000, 2000, 4000, 8000, 512_000, 600_000, 600_000,
    ]);
  });
});
