// Read side: (1) rebuild of every projection over ≥ 1,000,000 events (realistic lifecycles from the real decider,
// written straight into a SQLite event store), in events/s; (2) GET /orders/:orderId throughput on the service
// over that data, with GET /health measured in the same run as the baseline; (3) projection lag, append ->
// visible, while ≥ 2,000 commands/s run (the engine's own measure, and a client probe through ?minPosition).
// `npm run bench -- read`, or alone: `node scripts/run-ts.cjs bench/read.bench.ts [--events N]`.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteEventStore } from '../src/platform/event-store/sqlite/sqlite-event-store';
import { createEventStore } from '../src/platform/event-store/event-store.module';
import type { StoredEvent } from '../src/platform/event-store/event-store.port';
import { DEFAULT_ENGINE_OPTIONS, ProjectionEngine } from '../src/platform/projections/projection-engine';
import { SqliteReadStore } from '../src/platform/read-store/sqlite/sqlite-read-store';
import { REBUILD_NODE_FLAGS } from '../src/cli/projections.cli';
import { productProjections } from '../src/orders/projections';
import { simulateOrders } from '../src/orders/read-models/testing/order-simulation';
import {
  BENCH_SECRET,
  buildOnce,
  cannon,
  figures,
  http,
  type LoadFigures,
  pool,
  ROOT,
  signToken,
  startProbe,
  startService,
  uuid,
} from './lib';
import { openWithdrawCycle } from './write.bench';

export interface ReadBenchResult {
  rebuild: {
    events: number;
    projections: string[];
    seconds: number;
    eventsPerSec: number;
    generateSeconds: number;
    /** Baseline, same run: reading the feed alone (no projection), events/s. */
    feedReadEventsPerSec: number;
    /** The same rebuild as one command (`rebuild all`): one core. */
    oneCommand: { seconds: number; eventsPerSec: number };
  };
  orderPage: LoadFigures;
  health: LoadFigures;
  lag: {
    commands: LoadFigures;
    /** The engine's measure: event recordedAt -> batch committed, per projection, over the load. */
    appendToVisibleMs: Record<string, { p50: number | null; p99: number | null; samples: number }>;
    /** A client's view: command acknowledged -> GET ?minPosition=<its position> answered. */
    probe: { p50: number; p99: number; samples: number };
  };
  peakRssMb: number;
}

const TARGETS = {
  rebuildEventsPerSec: 20_000,
  lagP99Ms: 100,
  orderPageReqPerSec: 8_000,
  commandsPerSec: 2_000,
};

/** Realistic lifecycles straight into `<dir>/events.db`; returns the event count and a sample of orders. */
export async function generateEvents(
  dir: string,
  minEvents: number,
): Promise<{ events: number; sample: { orderId: string; buyer: string }[] }> {
  await new SqliteEventStore({ dataDir: dir }).close(); // creates the schema
  const db = new Database(join(dir, 'events.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const sample: { orderId: string; buyer: string }[] = [];
  let events = 0;
  let batch: unknown[][] = [];
  const flush = db.transaction((rows: unknown[][]) => {
    for (const r of rows) insert.run(...r);
  });
  // ~4.4 events per order on average: enough orders for minEvents.
  const orders = Math.ceil(minEvents / 4.2);
  for (const e of simulateOrders({ orders, concurrency: 3000, buyers: 20_000, sellers: 2_000, seed: 1 })) {
    if (e.event.type === 'OrderPlaced' && sample.length < 2000 && events % 7 === 0) {
      const d = e.event.data as { orderId: string; buyerId: string };
      sample.push({ orderId: d.orderId, buyer: d.buyerId });
    }
    batch.push([
      e.streamName,
      e.revision,
      e.event.id,
      e.event.type,
      JSON.stringify(e.event.data),
      JSON.stringify(e.event.metadata),
      e.at.toISOString(),
    ]);
    events++;
    if (batch.length === 20_000) {
      flush(batch);
      batch = [];
    }
  }
  flush(batch);
  db.close();
  return { events, sample };
}

/** `npm run projections -- rebuild <names>`, as an operator runs it (built JS, its own process). */
export function rebuildWithCli(
  dir: string,
  names: string[] = ['all'],
): Promise<{ events: number; seconds: number; eventsPerSec: number; projections: string[] }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [...REBUILD_NODE_FLAGS, join(ROOT, 'dist/cli/projections.cli.js'), 'rebuild', ...names],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATA_DIR: dir,
          AUTH_JWT_SECRET: BENCH_SECRET,
          NODE_ENV: 'bench',
          RATE_LIMIT_PER_MINUTE: '0',
        },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const line = d
        .toString()
        .trim()
        .split(/[\r\n]/)
        .pop();
      if (line) process.stdout.write(`\r  ${line}`);
    });
    child.on('exit', (code) => {
      process.stdout.write('\n');
      const rows = [...out.matchAll(/^(\S+): generation \d+ -> \d+, ([\d,]+) events in ([\d.]+) s/gm)];
      const total = /over ([\d,]+) events in ([\d.]+) s/.exec(out);
      if (code !== 0 || rows.length === 0 || !total)
        return reject(new Error(`rebuild failed (${code}): ${out}`));
      const events = Number(total[1].replace(/,/g, ''));
      // The whole command as an operator waits for it, from spawn to exit (the CLI's own figure starts when its
      // process does, and leaves out the process's exit).
      const seconds = Math.round(performance.now() - started) / 1000;
      resolvePromise({
        events,
        seconds,
        eventsPerSec: Math.round(events / seconds),
        projections: rows.map((r) => r[1]),
      });
    });
  });
}

/**
 * The rebuild's baseline in the same run: the feed alone, read page by page through the event store as a
 * rebuild job reads it (its page size, the order- prefix) before any projection work, in events/s.
 */
async function readFeed(
  dir: string,
  pageSize = DEFAULT_ENGINE_OPTIONS.rebuildBatchSize,
): Promise<{ events: number; eventsPerSec: number }> {
  const store = new SqliteEventStore({ dataDir: dir });
  try {
    const t0 = performance.now();
    let after: string | null = null;
    let events = 0;
    for (;;) {
      const page = await store.readAll({ after, maxCount: pageSize, streamPrefix: 'order-' });
      events += page.length;
      if (page.length < pageSize) break;
      after = page[page.length - 1].position;
    }
    const seconds = (performance.now() - t0) / 1000;
    return { events, eventsPerSec: Math.round(events / seconds) };
  } finally {
    await store.close();
  }
}

/**
 * CPU time per event of each projection on the live path: the first `count` events in live batches
 * (DEFAULT_ENGINE_OPTIONS.batchSize), each committed with its checkpoint into a fresh SQLite read store, one
 * projection at a time. The events are read beforehand: the live feed reads them once for all projections,
 * reported apart (`feed`).
 */
export async function liveCpuPerEvent(dir: string, count = 100_000): Promise<Record<string, number>> {
  const { projections, streamPrefix, upcasters } = productProjections();
  const events = createEventStore({ kind: 'sqlite', dataDir: dir, upcasters });
  const { batchSize } = DEFAULT_ENGINE_OPTIONS;
  const pages: StoredEvent[][] = [];
  const cpuMicros = (since: NodeJS.CpuUsage): number => {
    const d = process.cpuUsage(since);
    return d.user + d.system;
  };
  const feedStart = process.cpuUsage();
  let after: string | null = null;
  for (let n = 0; n < count;) {
    const page: StoredEvent[] = await events.readAll({ after, maxCount: batchSize, streamPrefix });
    if (page.length === 0) break;
    pages.push(page);
    n += page.length;
    after = page[page.length - 1].position;
  }
  const total = pages.reduce((n, p) => n + p.length, 0);
  const perEvent: Record<string, number> = { feed: cpuMicros(feedStart) / total };
  for (const projection of projections) {
    const readDir = mkdtempSync(join(dir, 'live-cpu-'));
    const store = new SqliteReadStore({ dataDir: readDir });
    const engine = new ProjectionEngine(events, store, { streamPrefix });
    engine.register(projection);
    await engine.initialize();
    const runner = engine.runnerOf(projection.name)!;
    const start = process.cpuUsage();
    for (const page of pages) await runner.process(page);
    perEvent[projection.name] = cpuMicros(start) / total;
    await engine.dispose();
    await store.close();
    rmSync(readDir, { recursive: true, force: true });
  }
  await events.close();
  for (const k of Object.keys(perEvent)) perEvent[k] = Math.round(perEvent[k] * 10) / 10;
  return perEvent;
}

/** `npm run bench -- rebuild`: the rebuild of every projection over 1M events, the feed alone as the baseline. */
export async function runRebuildBench(minEvents = 1_000_000) {
  const dir = mkdtempSync(join(tmpdir(), 'rc-rebuild-bench-'));
  try {
    const { rebuild } = await benchRebuild(dir, minEvents);
    const liveCpuMicrosPerEvent = await liveCpuPerEvent(dir);
    console.log(
      `rebuild: ${rebuild.eventsPerSec.toLocaleString('en-US')} events/s over ${rebuild.events.toLocaleString('en-US')} events ` +
        `x ${rebuild.projections.length} projections in two commands (target 20,000: ${rebuild.eventsPerSec >= 20_000 ? 'ok' : 'BELOW TARGET'}), ` +
        `${rebuild.oneCommand.eventsPerSec.toLocaleString('en-US')} events/s as one command, ` +
        `vs the feed alone ${rebuild.feedReadEventsPerSec.toLocaleString('en-US')} events/s (same run)`,
    );
    console.log(
      `live path, CPU µs per event: ${Object.entries(liveCpuMicrosPerEvent)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    return { rebuild, liveCpuMicrosPerEvent };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The two commands of a parallel rebuild, between them every projection, about the same work each. */
const PARALLEL_REBUILD = [
  ['orders', 'deadlines'],
  ['notifications', 'seller-stats', 'support-queue', 'dispute-analytics', 'cancellation-analytics'],
];

/** Refuses halves that leave a projection out (or name one twice): the figure is for rebuilding everything. */
function assertEveryProjection(halves: string[][]): void {
  const named = halves.flat().sort();
  const all = productProjections()
    .projections.map((p) => p.name)
    .sort();
  if (named.join() !== all.join())
    throw new Error(
      `the parallel rebuild's halves name ${named.join(', ')}; the product has ${all.join(', ')}`,
    );
}

async function benchRebuild(dir: string, minEvents: number) {
  assertEveryProjection(PARALLEL_REBUILD);
  const t0 = performance.now();
  const generated = await generateEvents(dir, minEvents);
  const generateSeconds = (performance.now() - t0) / 1000;
  console.log(
    `generated ${generated.events.toLocaleString('en-US')} events in ${generateSeconds.toFixed(1)} s`,
  );
  const feed = await readFeed(dir);
  console.log(`baseline: the feed alone reads at ${feed.eventsPerSec.toLocaleString('en-US')} events/s`);
  const one = await rebuildWithCli(dir);
  console.log(`one command (rebuild all): ${one.eventsPerSec.toLocaleString('en-US')} events/s`);
  // A parallel rebuild is two commands (one per core), the projections split by their cost.
  const started = performance.now();
  const halves = await Promise.all(PARALLEL_REBUILD.map((names) => rebuildWithCli(dir, names)));
  const seconds = Math.round(performance.now() - started) / 1000;
  const r = {
    events: halves[0].events,
    projections: halves.flatMap((h) => h.projections),
    seconds,
    eventsPerSec: Math.round(halves[0].events / seconds),
  };
  return {
    rebuild: {
      ...r,
      oneCommand: { seconds: one.seconds, eventsPerSec: one.eventsPerSec },
      generateSeconds: Math.round(generateSeconds * 10) / 10,
      feedReadEventsPerSec: feed.eventsPerSec,
    },
    sample: generated.sample,
  };
}

async function benchOrderPage(dir: string, sample: { orderId: string; buyer: string }[], duration: number) {
  const svc = await startService({}, dir);
  try {
    const auth = new Map(sample.map((s) => [s.buyer, `Bearer ${signToken(s.buyer)}`]));
    // The pages are there.
    const first = await http(`${svc.url}/orders/${sample[0].orderId}`, 'GET', signToken(sample[0].buyer));
    if (first.status !== 200) throw new Error(`order page: ${first.status} ${JSON.stringify(first.body)}`);
    let i = 0;
    const pageRequests: NonNullable<Parameters<typeof cannon>[0]['requests']> = [
      {
        method: 'GET',
        setupRequest: (req) => {
          const s = sample[i++ % sample.length];
          return { ...req, path: `/orders/${s.orderId}`, headers: { authorization: auth.get(s.buyer)! } };
        },
      },
    ];
    // Warm caches (SQLite pages, JIT) first: the figures are for a running service, not a cold start.
    await cannon({ url: svc.url, connections: 32, duration: 3, requests: pageRequests });
    await cannon({ url: `${svc.url}/health`, connections: 32, duration: 2 });
    const pages = await cannon({ url: svc.url, connections: 32, duration, requests: pageRequests });
    const health = await cannon({ url: `${svc.url}/health`, connections: 32, duration });
    return {
      orderPage: figures('GET /orders/:orderId', pages),
      health: figures('GET /health (baseline)', health),
      peakRssMb: svc.peakRssMb(),
    };
  } finally {
    await svc.stop();
  }
}

async function benchLag(duration: number) {
  const svc = await startService();
  try {
    const buyer = uuid();
    const seller = uuid();
    const token = signToken(buyer);
    const orders = Array.from({ length: 3000 }, () => uuid());
    await pool(orders, 32, async (orderId) => {
      const r = await http(`${svc.url}/orders`, 'POST', token, {
        orderId,
        sellerId: seller,
        title: 'Logo design',
        price: { amount: 5000, currency: 'USD' },
        deliveryDays: 7,
        requirementsNeeded: false,
      });
      if (r.status !== 201) throw new Error(`place order: ${r.status}`);
    });
    // The probe: its own orders, one command at a time, then the read that must show it.
    const probeOrders = orders.splice(0, 50);
    const prober = startProbe(svc, probeOrders, token, 20);
    const auth = `Bearer ${token}`;
    // At the target rate (not flat out): lag is measured under 2,000+ commands/s, not under saturation.
    const load = await cannon({
      url: svc.url,
      connections: 48,
      overallRate: 2_400,
      duration,
      headers: { authorization: auth, 'content-type': 'application/json' },
      requests: openWithdrawCycle(orders),
    });
    const probe = await prober.stop();
    const health = await http<{ checks: { projections: { details: Record<string, unknown> } } }>(
      `${svc.url}/health`,
      'GET',
      null,
    );
    const appendToVisibleMs: ReadBenchResult['lag']['appendToVisibleMs'] = {};
    for (const [name, d] of Object.entries(health.body.checks.projections.details)) {
      const detail = d as { appendToVisibleMs?: { p50: number | null; p99: number | null; samples: number } };
      if (detail?.appendToVisibleMs) appendToVisibleMs[name] = detail.appendToVisibleMs;
    }
    const pct = (p: number) =>
      Math.round(probe[Math.min(probe.length - 1, Math.ceil((p / 100) * probe.length) - 1)] ?? NaN);
    return {
      commands: figures('open/withdraw commands', load),
      appendToVisibleMs,
      probe: { p50: pct(50), p99: pct(99), samples: probe.length },
    };
  } finally {
    await svc.stop();
  }
}

export async function runReadBench(
  opts: { events?: number; durationSec?: number } = {},
): Promise<ReadBenchResult> {
  const duration = opts.durationSec ?? 10;
  const dir = mkdtempSync(join(tmpdir(), 'rc-read-bench-'));
  try {
    const { rebuild, sample } = await benchRebuild(dir, opts.events ?? 1_000_000);
    const pages = await benchOrderPage(dir, sample, duration);
    const lag = await benchLag(duration);
    const result: ReadBenchResult = {
      rebuild,
      orderPage: pages.orderPage,
      health: pages.health,
      lag,
      peakRssMb: pages.peakRssMb,
    };
    printSummary(result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printSummary(r: ReadBenchResult): void {
  const mark = (ok: boolean) => (ok ? 'ok' : 'BELOW TARGET');
  const worstP99 = Math.max(...Object.values(r.lag.appendToVisibleMs).map((l) => l.p99 ?? 0));
  console.log(
    [
      `read: rebuild ${r.rebuild.eventsPerSec.toLocaleString('en-US')} events/s over ${r.rebuild.events.toLocaleString('en-US')} events ` +
        `x ${r.rebuild.projections.length} projections in two commands (target ${TARGETS.rebuildEventsPerSec}: ${mark(r.rebuild.eventsPerSec >= TARGETS.rebuildEventsPerSec)}; ` +
        `one command ${r.rebuild.oneCommand.eventsPerSec.toLocaleString('en-US')} events/s) ` +
        `vs the feed alone ${r.rebuild.feedReadEventsPerSec.toLocaleString('en-US')} events/s ` +
        `(${(r.rebuild.eventsPerSec / r.rebuild.feedReadEventsPerSec).toFixed(2)}x)`,
      `read: GET /orders/:orderId ${r.orderPage.okPerSec} req/s (p50 ${r.orderPage.p50} ms, p99 ${r.orderPage.p99} ms, ` +
        `non-2xx ${r.orderPage.non2xx}) vs GET /health ${r.health.okPerSec} req/s ` +
        `(target ${TARGETS.orderPageReqPerSec}: ${mark(r.orderPage.okPerSec >= TARGETS.orderPageReqPerSec)})`,
      `read: lag under ${r.lag.commands.okPerSec} commands/s: append->visible worst p99 ${worstP99} ms ` +
        `(target ${TARGETS.lagP99Ms}: ${mark(worstP99 <= TARGETS.lagP99Ms)}${r.lag.commands.okPerSec < TARGETS.commandsPerSec ? `, load below ${TARGETS.commandsPerSec}/s` : ''}); ` +
        `client probe p50 ${r.lag.probe.p50} ms, p99 ${r.lag.probe.p99} ms`,
    ].join('\n'),
  );
}

export const run = (): Promise<ReadBenchResult> => runReadBench();

if (require.main === module || resolve(process.argv[1] ?? '') === __filename) {
  const i = process.argv.indexOf('--events');
  const events = i > 0 ? Number(process.argv[i + 1]) : undefined;
  buildOnce();
  runReadBench({ events }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
