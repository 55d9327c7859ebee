// The supervisor on a manual clock: the ManualClock (the supervisor's and the lease store's time) and jest's fake
// timers (its renewal interval and watchdog) move together, one millisecond at a time, so every bound below is
// exact on the simulated timeline and nothing waits for real time.
import { ManualClock } from '../clock/clock.port';
import type { LeaseStore } from './lease-store.port';
import { SqliteLeaseStore } from './sqlite-lease-store';
import { WorkerSupervisor } from './worker-supervisor';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const TTL = 300;
const RENEWAL = TTL / 3;

class FakeWorker {
  running = false;
  starts = 0;
  stops = 0;
  start(): void {
    this.running = true;
    this.starts++;
  }
  stop(): void {
    this.running = false;
    this.stops++;
  }
}

/** A lease store whose calls can be made to hang or fail, like a store that became unreachable. */
class FlakyLeases implements LeaseStore {
  mode: 'ok' | 'hang' | 'fail' = 'ok';
  constructor(private readonly inner: LeaseStore) {}
  private gate<T>(call: () => Promise<T>): Promise<T> {
    if (this.mode === 'hang') return new Promise<T>(() => undefined);
    if (this.mode === 'fail') return Promise.reject(new Error('store unreachable'));
    return call();
  }
  tryAcquire(n: string, o: string, t: number) {
    return this.gate(() => this.inner.tryAcquire(n, o, t));
  }
  renew(n: string, o: string, t: number) {
    return this.gate(() => this.inner.renew(n, o, t));
  }
  release(n: string, o: string) {
    return this.gate(() => this.inner.release(n, o));
  }
  holder(n: string) {
    return this.inner.holder(n);
  }
  close() {
    return this.inner.close();
  }
}

describe('WorkerSupervisor', () => {
  const supervisors: WorkerSupervisor[] = [];
  let clock: ManualClock;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    clock = new ManualClock(new Date('2026-01-01T00:00:00.000Z'));
  });
  afterEach(async () => {
    const stopping = Promise.all(supervisors.splice(0).map((s) => s.stop()));
    await jest.advanceTimersByTimeAsync(5000); // a release that hangs gives up after its timeout
    await stopping;
    jest.useRealTimers();
  });

  /** The clock and the timers forward by `ms`, a millisecond at a time; `check` runs after each step. */
  async function advance(ms: number, check: () => void = () => undefined): Promise<void> {
    for (let i = 0; i < ms; i++) {
      clock.advance(1);
      await jest.advanceTimersByTimeAsync(1);
      check();
    }
  }

  /** Forward until `condition` holds; the simulated milliseconds it took. Fails after `limitMs`. */
  async function advanceUntil(
    condition: () => boolean,
    limitMs: number,
    check: () => void = () => undefined,
  ): Promise<number> {
    let elapsed = 0;
    while (!condition()) {
      if (elapsed >= limitMs) throw new Error(`condition not met within ${limitMs} ms of the manual clock`);
      await advance(1, check);
      elapsed++;
    }
    return elapsed;
  }

  const leasesOnClock = () => new SqliteLeaseStore(':memory:', clock);
  const make = (leases: LeaseStore, role: 'api' | 'worker' | 'all', worker: FakeWorker, ttlMs = TTL) => {
    const s = new WorkerSupervisor(leases, { role, ttlMs, logger: quiet, clock });
    s.register('projections', worker);
    supervisors.push(s);
    return s;
  };
  const neverBoth = (a: FakeWorker, b: FakeWorker) => () => {
    if (a.running && b.running) throw new Error('both instances run the workers');
  };

  it('never runs workers with APP_ROLE=api', async () => {
    const worker = new FakeWorker();
    const s = make(leasesOnClock(), 'api', worker);
    await s.start();
    await advance(3 * TTL);
    expect(worker.starts).toBe(0);
    expect(s.status().leader).toBe(false);
  });

  it('runs the workers in exactly one of two competing instances, renewal after renewal', async () => {
    const leases = leasesOnClock();
    const a = new FakeWorker();
    const b = new FakeWorker();
    const sa = make(leases, 'worker', a);
    const sb = make(leases, 'all', b);
    await sa.start();
    await sb.start();
    await advance(5 * TTL, neverBoth(a, b));
    expect(sa.status().leader).toBe(true);
    expect(sb.status().leader).toBe(false);
    expect(a.running).toBe(true);
    expect(a.starts).toBe(1);
    expect(b.starts).toBe(0);
  });

  it("hands over on a graceful stop at the standby's next attempt, without waiting for the TTL", async () => {
    const leases = leasesOnClock();
    const a = new FakeWorker();
    const b = new FakeWorker();
    const sa = make(leases, 'worker', a, 60_000);
    const sb = make(leases, 'worker', b);
    await sa.start();
    await sb.start();
    await sa.stop();
    expect(a.running).toBe(false);
    expect(await advanceUntil(() => b.running, TTL)).toBeLessThanOrEqual(RENEWAL);
  });

  it('a standby takes over from a frozen holder within the TTL plus one renewal period, never both at once', async () => {
    const shared = leasesOnClock();
    const frozen = new FlakyLeases(shared);
    const a = new FakeWorker();
    const b = new FakeWorker();
    const sa = make(frozen, 'worker', a);
    const sb = make(shared, 'worker', b);
    await sa.start();
    await sb.start();
    expect(a.running).toBe(true);
    frozen.mode = 'hang'; // the holder's process is frozen as far as the store is concerned

    const takeoverMs = await advanceUntil(() => b.running, 10 * TTL, neverBoth(a, b));

    // The holder renewed at most one renewal period ago; its lease ran out TTL after that; the standby tries
    // every renewal period.
    expect(takeoverMs).toBeLessThanOrEqual(TTL + RENEWAL);
    expect(takeoverMs).toBeGreaterThan(TTL - RENEWAL);
    // The old holder's watchdog stopped its workers before the lease could be taken over.
    expect(a.running).toBe(false);
    expect(a.stops).toBe(1);
  });

  it('stops its workers before the lease would expire when it cannot renew, and takes it back once it can', async () => {
    const leases = new FlakyLeases(leasesOnClock());
    const a = new FakeWorker();
    const sa = make(leases, 'worker', a);
    await sa.start();
    expect(a.running).toBe(true);
    leases.mode = 'fail';
    // The last renewal was at most one renewal period before the failures began; the watchdog fires before TTL.
    expect(await advanceUntil(() => !a.running, 2 * TTL)).toBeLessThan(TTL);
    expect(sa.status().leader).toBe(false);
    leases.mode = 'ok';
    expect(await advanceUntil(() => a.running, 2 * TTL)).toBeLessThanOrEqual(RENEWAL); // still the owner
    expect(a.starts).toBe(2);
  });

  it('stops at the next renewal when another instance holds the lease', async () => {
    const leases = leasesOnClock();
    const a = new FakeWorker();
    const sa = make(leases, 'worker', a);
    await sa.start();
    await leases.release('worker', sa.owner);
    await leases.tryAcquire('worker', 'intruder', 60_000);
    expect(await advanceUntil(() => !a.running, 2 * TTL)).toBeLessThanOrEqual(RENEWAL);
    expect(sa.status().handovers).toBe(1);
  });

  it('hands the lease back when a worker fails to start', async () => {
    const leases = leasesOnClock();
    const broken = { start: () => Promise.reject(new Error('boom')), stop: () => undefined };
    const s = new WorkerSupervisor(leases, { role: 'worker', ttlMs: 60_000, logger: quiet, clock });
    supervisors.push(s);
    s.register('broken', broken);
    await s.start();
    expect(s.status().leader).toBe(false);
    expect(s.status().lastError).toContain('boom');
    expect(await leases.holder('worker')).toBeNull();
  });
});
