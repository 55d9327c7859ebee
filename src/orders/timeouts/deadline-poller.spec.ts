import { backoffMs, DEADLINE_OUTCOMES_COLLECTION, type DeadlineOutcome } from './deadline-poller';
import { createKit, deadline, T0, type Kit } from './timeouts.test-kit';

const MIN = 60_000;

describe('DeadlinePoller', () => {
  let kit: Kit;
  afterEach(() => kit.close());

  const outcome = (id: string) => kit.store.get<DeadlineOutcome>(DEADLINE_OUTCOMES_COLLECTION, id);

  it('fires exactly the deadlines due at now, and each only once', async () => {
    kit = await createKit();
    const due = deadline('o-1', 'late', 0);
    const soon = deadline('o-2', 'late', MIN);
    await kit.put(due, soon);
    expect(await kit.poller.runDue(new Date(T0.getTime() - 1))).toBe(0);
    expect(await kit.poller.runDue(T0)).toBe(1);
    expect(await kit.poller.runDue(T0)).toBe(0); // done: the outcome record stops a second firing
    expect(kit.executor.calls.map((c) => c.context.orderId)).toEqual(['o-1']);
    expect(await outcome(due.id)).toMatchObject({ status: 'done', attempts: 1, events: 1 });
    expect(await kit.poller.runDue(new Date(T0.getTime() + MIN))).toBe(1);
    expect(kit.executor.callsFor('o-2')).toBe(1);
  });

  it('counts a command that decided nothing as done', async () => {
    kit = await createKit();
    kit.executor.behaviours.set('o-1', async () => ({ events: 0, position: null }));
    const d = deadline('o-1', 'request_response', 0, 'r1');
    await kit.put(d);
    expect(await kit.poller.runDue(T0)).toBe(1);
    expect(await outcome(d.id)).toMatchObject({ status: 'done', events: 0 });
    expect(await kit.poller.runDue(T0)).toBe(0);
  });

  it('retries a failing deadline with bounded exponential backoff, without holding up the others', async () => {
    kit = await createKit({ backoffBaseMs: 1000, backoffMaxMs: 4000 });
    let failures = 4;
    kit.executor.behaviours.set('o-bad', async () => {
      if (failures-- > 0) throw new Error('boom');
      return { events: 1, position: '9' };
    });
    const bad = deadline('o-bad', 'auto_complete', 0);
    const good = [1, 2, 3].map((i) => deadline(`o-${i}`, 'auto_complete', 0));
    await kit.put(bad, ...good);

    expect(await kit.poller.runDue(kit.clock.now())).toBe(4);
    for (const g of good) expect(await outcome(g.id)).toMatchObject({ status: 'done' });
    const expectRetryAfter = async (attempts: number, waitMs: number) => {
      const o = await outcome(bad.id);
      expect(o).toMatchObject({ status: 'retrying', attempts, lastError: 'Error: boom' });
      expect(o?.nextAttemptAt).toBe(new Date(kit.clock.now().getTime() + waitMs).toISOString());
      // Not a millisecond early...
      kit.clock.advance(waitMs - 1);
      expect(await kit.poller.runDue(kit.clock.now())).toBe(0);
      // ...and at its time.
      kit.clock.advance(1);
      expect(await kit.poller.runDue(kit.clock.now())).toBe(1);
    };
    await expectRetryAfter(1, 1000);
    await expectRetryAfter(2, 2000);
    await expectRetryAfter(3, 4000);
    await expectRetryAfter(4, 4000); // bounded
    expect(await outcome(bad.id)).toMatchObject({ status: 'done', attempts: 5 });
    expect(kit.executor.callsFor('o-bad')).toBe(5);
  });

  it('shows repeated failures in its health report', async () => {
    kit = await createKit({ backoffBaseMs: 1, backoffMaxMs: 1, failingAfterAttempts: 3 });
    kit.executor.behaviours.set('o-bad', async () => {
      throw new Error('boom');
    });
    await kit.put(deadline('o-bad', 'late', 0));
    for (let i = 0; i < 2; i++) {
      await kit.poller.runDue(kit.clock.advance(1));
      expect((await kit.poller.health()).status).toBe('ok');
    }
    await kit.poller.runDue(kit.clock.advance(1));
    const health = await kit.poller.health();
    expect(health.status).toBe('degraded');
    expect(health.details).toMatchObject({
      failing: 1,
      failingDeadlines: [expect.objectContaining({ attempts: 3, lastError: 'Error: boom' })],
    });
  });

  it('treats a command that never reports back as a failed attempt', async () => {
    kit = await createKit({ completionTimeoutMs: 50 });
    kit.executor.behaviours.set('o-hang', () => new Promise(() => undefined));
    await kit.put(deadline('o-hang', 'late', 0), deadline('o-ok', 'late', 0));
    expect(await kit.poller.runDue(T0)).toBe(2);
    expect(await outcome(deadline('o-hang', 'late', 0).id)).toMatchObject({
      status: 'retrying',
      lastError: expect.stringMatching(/did not complete/),
    });
    expect(await outcome(deadline('o-ok', 'late', 0).id)).toMatchObject({ status: 'done' });
  });

  it('pages through more due deadlines than one batch, also when handled ones are still listed', async () => {
    kit = await createKit({ batchSize: 3, concurrency: 2 });
    const all = Array.from({ length: 20 }, (_, i) =>
      deadline(`o-${i % 7}`, 'extras_expiry', -i * 1000, `x${i}`),
    );
    await kit.put(...all);
    // Nothing removes handled deadlines here (no projection): the poller must read past them.
    expect(await kit.poller.runDue(T0)).toBe(20);
    expect(kit.executor.calls).toHaveLength(20);
    expect(new Set(kit.executor.calls.map((c) => c.command.data)).size).toBe(20);
  });

  it("runs one order's deadlines one after the other", async () => {
    kit = await createKit({ concurrency: 8 });
    let active = 0;
    let maxActive = 0;
    kit.executor.behaviours.set('o-1', async () => {
      maxActive = Math.max(maxActive, ++active);
      await new Promise((r) => setImmediate(r));
      active--;
      return { events: 1, position: '1' };
    });
    await kit.put(
      deadline('o-1', 'late', 0),
      deadline('o-1', 'very_late', 0),
      deadline('o-1', 'extras_expiry', 0, 'x'),
    );
    expect(await kit.poller.runDue(T0)).toBe(3);
    expect(maxActive).toBe(1);
  });

  it('never fires one deadline twice in a process: a concurrent run waits for the pass in progress', async () => {
    kit = await createKit();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    kit.executor.behaviours.set('o-1', async () => {
      await gate;
      return { events: 1, position: '1' };
    });
    await kit.put(deadline('o-1', 'late', 0));
    const first = kit.poller.runDue(T0);
    await new Promise((r) => setImmediate(r));
    const second = kit.poller.runDue(T0);
    await new Promise((r) => setImmediate(r));
    release();
    expect(await Promise.all([first, second])).toEqual([1, 0]);
    expect(kit.executor.calls).toHaveLength(1);
  });

  it('start and stop are idempotent, and the timer fires what is due', async () => {
    kit = await createKit({ intervalMs: 5 });
    await kit.put(deadline('o-1', 'late', 0));
    kit.poller.start();
    kit.poller.start();
    expect(kit.poller.isRunning).toBe(true);
    // The first run starts at once; whenIdle waits for it (no sleeping through real time).
    await new Promise((r) => setImmediate(r));
    await kit.poller.whenIdle();
    expect(kit.executor.calls).toHaveLength(1);
    await kit.poller.stop();
    await kit.poller.stop();
    expect(kit.poller.isRunning).toBe(false);
  });

  it('fires nothing more once disposed (shutdown)', async () => {
    kit = await createKit();
    await kit.put(deadline('o-1', 'late', 0));
    await kit.poller.dispose();
    expect(await kit.poller.runDue(T0)).toBe(0);
    expect(kit.executor.calls).toHaveLength(0);
  });

  it('prunes old done outcomes whose deadline is gone', async () => {
    kit = await createKit();
    const gone = deadline('o-1', 'late', 0);
    const kept = deadline('o-2', 'late', 0);
    await kit.put(gone, kept);
    await kit.poller.runDue(T0);
    await kit.store.write((w) => w.delete('deadlines', gone.id));
    expect(await kit.poller.pruneOutcomes(kit.clock.advance(60 * MIN), true)).toBe(0); // too recent
    expect(await kit.poller.pruneOutcomes(kit.clock.advance(24 * 60 * MIN), true)).toBe(1);
    expect(await outcome(gone.id)).toBeNull();
    expect(await outcome(kept.id)).not.toBeNull();
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
