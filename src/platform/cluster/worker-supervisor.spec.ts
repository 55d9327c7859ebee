import { InMemoryLeaseStore } from './in-memory-lease-store';
import type { LeaseStore } from './lease-store.port';
import { WorkerSupervisor } from './worker-supervisor';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

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
  const make = (leases: LeaseStore, role: 'api' | 'worker' | 'all', worker: FakeWorker, ttlMs = 300) => {
    const s = new WorkerSupervisor(leases, { role, ttlMs, logger: quiet });
    s.register('projections', worker);
    supervisors.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(supervisors.splice(0).map((s) => s.stop()));
  });

  it('never runs workers with APP_ROLE=api', async () => {
    const worker = new FakeWorker();
    const s = make(new InMemoryLeaseStore(), 'api', worker);
    await s.start();
    await sleep(50);
    expect(worker.starts).toBe(0);
    expect(s.isLeader).toBe(false);
  });

  it('runs the workers in exactly one of two competing instances', async () => {
    const leases = new InMemoryLeaseStore();
    const a = new FakeWorker();
    const b = new FakeWorker();
    const sa = make(leases, 'worker', a);
    const sb = make(leases, 'all', b);
    await sa.start();
    await sb.start();
    await sleep(400);
    expect(sa.isLeader).toBe(true);
    expect(sb.isLeader).toBe(false);
    expect(a.running).toBe(true);
    expect(b.starts).toBe(0);
  });

  it('hands over on a graceful stop without waiting for the TTL', async () => {
    const leases = new InMemoryLeaseStore();
    const a = new FakeWorker();
    const b = new FakeWorker();
    const sa = make(leases, 'worker', a, 60_000);
    const sb = make(leases, 'worker', b, 300);
    await sa.start();
    await sb.start();
    await sa.stop();
    expect(a.running).toBe(false);
    await until(() => b.running, 1000);
  });

  it('a standby takes over from a dead holder within the TTL plus one renewal period', async () => {
    const shared = new InMemoryLeaseStore();
    const dead = new FlakyLeases(shared);
    const a = new FakeWorker();
    const b = new FakeWorker();
    const sa = make(dead, 'worker', a);
    const sb = make(shared, 'worker', b);
    await sa.start();
    await sb.start();
    expect(a.running).toBe(true);
    dead.mode = 'hang'; // the holder's process is frozen as far as the store is concerned
    const lostAt = Date.now();
    await until(() => b.running, 1000);
    expect(Date.now() - lostAt).toBeLessThan(300 + 100 + 150);
    // The old holder's watchdog stopped its workers before the lease could be taken over.
    expect(a.running).toBe(false);
    expect(a.stops).toBe(1);
  });

  it('stops its workers when it cannot renew before the lease would expire', async () => {
    const leases = new FlakyLeases(new InMemoryLeaseStore());
    const a = new FakeWorker();
    const sa = make(leases, 'worker', a);
    await sa.start();
    expect(a.running).toBe(true);
    leases.mode = 'fail';
    await until(() => !a.running, 1000);
    expect(sa.isLeader).toBe(false);
    leases.mode = 'ok';
    await until(() => a.running, 1000); // still the owner: takes it back
    expect(a.starts).toBe(2);
  });

  it('stops when another instance holds the lease at renewal', async () => {
    const leases = new InMemoryLeaseStore();
    const a = new FakeWorker();
    const sa = make(leases, 'worker', a);
    await sa.start();
    await leases.release('worker', sa.owner);
    await leases.tryAcquire('worker', 'intruder', 60_000);
    await until(() => !a.running, 1000);
    expect(sa.status().handovers).toBe(1);
  });

  it('hands the lease back when a worker fails to start', async () => {
    const leases = new InMemoryLeaseStore();
    const broken = { start: () => Promise.reject(new Error('boom')), stop: () => undefined };
    const s = new WorkerSupervisor(leases, { role: 'worker', ttlMs: 60_000, logger: quiet });
    supervisors.push(s);
    s.register('broken', broken);
    await s.start();
    expect(s.isLeader).toBe(false);
    expect(s.status().lastError).toContain('boom');
    expect(await leases.holder('worker')).toBeNull();
  });
});
