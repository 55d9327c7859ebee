// The projection engine inside the real app: /health reports each projection (position, lag, dead letters) and
// degrades naming the projection; rebuilds (in-process, and by the CLI in another process) swap generations
// while the service keeps answering; an API-only process reads what the worker wrote, read-your-writes included.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { StoredEvent } from '../../src/platform/event-store/event-store.port';
import { ProjectionEngine } from '../../src/platform/projections/projection-engine';
import type { DocumentWriter } from '../../src/platform/read-store/read-store.port';
import { newUser } from '../support/orders';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app';
import { Api } from './queries.support';

const ROOT = join(__dirname, '..', '..');

function runCli(
  args: string[],
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'scripts/run-ts.cjs'), 'src/cli/projections.cli.ts', ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          AUTH_JWT_SECRET: TEST_JWT_SECRET,
          LOG_LEVEL: 'error',
          NODE_ENV: 'test',
          ...env,
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('projections in the running service', () => {
  let t: TestApp;
  let api: Api;
  let engine: ProjectionEngine;
  beforeAll(async () => {
    // A clock standing still: pages computed at read time compare equal across reads.
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
    engine = t.app.get(ProjectionEngine);
    engine.options.retryBaseDelayMs = 1;
  });
  afterAll(() => t?.close());

  /** A few orders in different states, and the pages of all of them as the buyer sees them. */
  async function someOrders(n = 6): Promise<{ buyer: string; seller: string; ids: string[] }> {
    const buyer = newUser('buyer');
    const seller = newUser('seller');
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = await api.place(buyer, seller, { requirementsNeeded: i % 3 === 0 });
      if (i % 3 === 1) await api.ok(seller, `/orders/${id}/deliveries`, { message: 'here' });
      if (i % 3 === 2)
        await api.ok(buyer, `/orders/${id}/requests`, { type: 'order_update', comment: 'news?' });
      ids.push(id);
    }
    return { buyer, seller, ids };
  }
  const views = async (o: { buyer: string; seller: string; ids: string[] }) => ({
    pages: await Promise.all(o.ids.map((id) => api.read(o.buyer, `/orders/${id}`))),
    list: await api.read(o.buyer, '/orders'),
    notifications: await api.read(o.seller, '/notifications'),
    rate: await api.read(o.seller, `/sellers/${o.seller}/completion-rate`),
  });

  it('/health lists every projection with its position, lag and dead letters', async () => {
    await someOrders(2);
    await api.read(newUser('x'), '/orders'); // waits for the writes
    const health = await t.http.get('/health').expect(200);
    const projections = health.body.checks.projections;
    expect(projections).toMatchObject({ status: 'ok', critical: false, details: { running: true } });
    for (const name of ['orders', 'notifications', 'seller-stats', 'cancellation-analytics', 'deadlines']) {
      expect(projections.details[name]).toMatchObject({
        status: 'ok',
        generation: expect.any(Number),
        position: expect.stringMatching(/^\d+$/),
        headPosition: expect.stringMatching(/^\d+$/),
        positionsBehind: expect.stringMatching(/^\d+$/),
        lagMs: expect.any(Number),
        deadLetters: 0,
      });
    }
  });

  it('parks an event a projection keeps failing on: /health degrades naming it; a rebuild recovers', async () => {
    const projection = engine.projection('orders')!;
    const original = projection.apply.bind(projection);
    const o = await someOrders(1);
    const orderId = o.ids[0];
    (projection as { apply: typeof projection.apply }).apply = async (e: StoredEvent, w: DocumentWriter) => {
      if (e.type === 'ExtrasOffered') throw new Error('simulated bug in the orders projection');
      return original(e, w);
    };
    try {
      await api.ok(o.seller, `/orders/${orderId}/extras`, { description: 'more', amount: 100, extraDays: 0 });
      await api.ok(o.seller, `/orders/${orderId}/start`).catch(() => undefined);
      await api.ok(o.buyer, `/orders/${orderId}/requests`, {
        type: 'cancellation',
        reason: 'other',
        comment: 'x',
      });
      // The projection moved on past the parked event.
      const page = await api.read<{ pendingExtras: unknown[]; openRequest: unknown }>(
        o.buyer,
        `/orders/${orderId}`,
      );
      expect(page.pendingExtras).toEqual([]);
      expect(page.openRequest).not.toBeNull();
      const health = await t.http.get('/health').expect(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.checks.projections.status).toBe('degraded');
      expect(health.body.checks.projections.details.degraded).toEqual([
        expect.stringMatching(/^orders: 1 dead letter\(s\) \(lag \d+ ms\)$/),
      ]);
      expect(health.body.checks.projections.details.orders).toMatchObject({
        status: 'degraded',
        deadLetters: 1,
      });
    } finally {
      (projection as { apply: typeof projection.apply }).apply = original;
    }
    // Fixed code, rebuilt read model: the parked event is in, the new generation has no dead letters.
    await engine.rebuild(['orders']);
    const page = await api.read<{ pendingExtras: unknown[] }>(o.buyer, `/orders/${orderId}`);
    expect(page.pendingExtras).toHaveLength(1);
    const health = await t.http.get('/health').expect(200);
    expect(health.body.checks.projections.status).toBe('ok');
  });

  it('rebuilds every read model beside the live one while the service keeps answering the same', async () => {
    const o = await someOrders();
    const before = await views(o);
    const generations = (await engine.status()).map((s) => s.generation);
    const rebuilding = engine.rebuild('all');
    // Reads during the rebuild come from the live generation: complete, and identical.
    const during = await views(o);
    await rebuilding;
    expect(during).toEqual(before);
    expect((await engine.status()).map((s) => s.generation)).toEqual(generations.map((g) => g + 1));
    expect(await views(o)).toEqual(before);
    // And the service goes on projecting into the new generation.
    await api.ok(o.buyer, `/orders/${o.ids[0]}/requests`, {
      type: 'cancellation',
      reason: 'other',
      comment: 'bye',
    });
    expect(
      (await api.read<{ openRequest: unknown }>(o.seller, `/orders/${o.ids[0]}`)).openRequest,
    ).not.toBeNull();
  });

  it('follows a rebuild made by the CLI in another process', async () => {
    const o = await someOrders(3);
    const before = await views(o);
    const generation = (await engine.status()).find((s) => s.name === 'notifications')!.generation;
    const status = await runCli(['status'], t.dataDir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^notifications\tv\d+\tg\d+\t\d+\t\d+\t\d+\t0\tok$/m);
    const rebuilt = await runCli(['rebuild', 'notifications'], t.dataDir);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain(`notifications: generation ${generation} -> ${generation + 1}`);
    expect(rebuilt.stderr).toContain('100.0%');
    await engine.pollRegistry(); // what the service does every second
    expect((await engine.status()).find((s) => s.name === 'notifications')!.generation).toBe(generation + 1);
    expect(await views(o)).toEqual(before);
    const letters = await runCli(['dead-letters'], t.dataDir);
    expect(letters).toMatchObject({ code: 0 });
    const usage = await runCli(['rebuild', 'nope'], t.dataDir);
    expect(usage.code).toBe(2);
    // A bad configuration is the operator's input too: one line, no stack trace.
    const badConfig = await runCli(['status'], t.dataDir, { AUTH_JWT_SECRET: 'short' });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr.trim()).toBe(
      'Invalid configuration: AUTH_JWT_SECRET must be at least 16 characters long',
    );
  }, 120_000);

  it('rebuilds in parallel with two CLI commands at once, each projection swapped once, and reports a bad name', async () => {
    const o = await someOrders(3);
    const before = await views(o);
    const generations = new Map((await engine.status()).map((s) => [s.name, s.generation]));
    const [first, second] = await Promise.all([
      runCli(['rebuild', 'orders', 'notifications'], t.dataDir),
      runCli(
        [
          'rebuild',
          'deadlines',
          'seller-stats',
          'cancellation-analytics',
          'support-queue',
          'dispute-analytics',
        ],
        t.dataDir,
      ),
    ]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(first.stdout).toMatch(/rebuilt 2 projection\(s\) over [\d,]+ events in [\d.]+ s/);
    expect(second.stdout).toMatch(/rebuilt 5 projection\(s\) over [\d,]+ events in [\d.]+ s/);
    const out = first.stdout + second.stdout;
    for (const [name, generation] of generations) {
      // Each projection is built by exactly one of the commands.
      expect(out.split(`${name}: generation ${generation} -> ${generation + 1},`)).toHaveLength(2);
    }
    await engine.pollRegistry();
    for (const s of await engine.status()) expect(s.generation).toBe(generations.get(s.name)! + 1);
    expect(await views(o)).toEqual(before);
    const usage = await runCli(['rebuild', 'all', 'nope'], t.dataDir);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown projection(s): nope');
    expect((await engine.status()).every((s) => s.generation === generations.get(s.name)! + 1)).toBe(true);
  }, 120_000);
});

describe('an API-only process beside a worker', () => {
  let worker: TestApp;
  let apiOnly: TestApp;
  beforeAll(async () => {
    worker = await startTestApp({ role: 'worker' });
    apiOnly = await startTestApp({ role: 'api', dataDir: worker.dataDir });
  });
  afterAll(async () => {
    await apiOnly.close();
    await worker.close();
  });

  it('serves what the worker projects, waiting for ?minPosition through the store checkpoints', async () => {
    const api = new Api(apiOnly);
    const buyer = newUser('buyer');
    const seller = newUser('seller');
    const orderId = await api.place(buyer, seller);
    const page = await api.read<{ status: string; revision: number }>(buyer, `/orders/${orderId}`);
    expect(page).toMatchObject({ status: 'awaiting_requirements', revision: 0 });
    await api.ok(buyer, `/orders/${orderId}/requirements`, { text: 'all of it' });
    const res = await api.get(seller, `/orders/${orderId}`);
    expect(res.body).toMatchObject({ status: 'in_progress', revision: 1 });
    expect(BigInt(res.headers['x-read-model-position'])).toBeGreaterThanOrEqual(BigInt(api.position));
    expect(apiOnly.app.get(ProjectionEngine).isRunning).toBe(false);
  });
});
