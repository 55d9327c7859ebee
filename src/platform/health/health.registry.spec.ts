import { HealthRegistry } from './health.registry';

describe('HealthRegistry', () => {
  it('is ok with no checks, or when every check passes (void counts as ok)', async () => {
    const r = new HealthRegistry();
    expect(await r.run()).toEqual({ status: 'ok', checks: {} });
    r.register('a', () => undefined);
    r.register('b', async () => ({ status: 'ok', details: { lag: 0 } }));
    expect(await r.run()).toEqual({
      status: 'ok',
      checks: {
        a: { status: 'ok', critical: true },
        b: { status: 'ok', details: { lag: 0 }, critical: true },
      },
    });
  });

  it('takes the worst: degraded, then down; non-critical failures only degrade', async () => {
    const r = new HealthRegistry();
    r.register('slow', () => ({ status: 'degraded' }));
    expect((await r.run()).status).toBe('degraded');
    r.register(
      'optional',
      () => {
        throw new Error('gone');
      },
      { critical: false },
    );
    expect((await r.run()).status).toBe('degraded');
    r.register('vital', async () => {
      throw new Error('down');
    });
    const report = await r.run();
    expect(report.status).toBe('down');
    expect(report.checks.vital).toEqual({ status: 'down', details: { error: 'down' }, critical: true });
  });

  it('fails a check that does not answer in time', async () => {
    jest.useFakeTimers();
    try {
      const r = new HealthRegistry();
      r.register('hang', () => new Promise(() => undefined), { timeoutMs: 100 });
      const pending = r.run();
      await jest.advanceTimersByTimeAsync(100);
      const report = await pending;
      expect(report.status).toBe('down');
      expect(report.checks.hang.details).toEqual({ error: 'timed out after 100 ms' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('shares one run among concurrent callers; later callers get a fresh run', async () => {
    const r = new HealthRegistry();
    let runs = 0;
    r.register('counted', async () => {
      runs++;
    });
    const reports = await Promise.all([r.run(), r.run(), r.run()]);
    expect(runs).toBe(1);
    expect(reports[1]).toBe(reports[0]);
    await r.run();
    expect(runs).toBe(2);
    // A change to the checks is seen at once.
    r.register('other', () => ({ status: 'degraded' }));
    expect((await r.run()).status).toBe('degraded');
    expect(runs).toBe(3);
  });
});
