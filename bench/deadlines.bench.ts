// 10,000 deadlines falling due at once: N orders in progress share one dueAt; the test clock jumps past it and
// POST /testing/clock answers once every `late` deadline is handled (one OrderBecameLate per order, recorded by
// the scheduler) and the projections have caught up. The service runs as a real child process (CLOCK=manual)
// on a DATA_DIR seeded through the event store port, so the figure is the service's alone.
//
//   node scripts/run-ts.cjs bench/deadlines.bench.ts [count]      (or: npm run bench -- deadlines)
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEventStore } from '../src/platform/event-store/event-store.module';
import type { EventStore } from '../src/platform/event-store/event-store.port';
import { ORDER_EVENT_SCHEMA_VERSION } from '../src/orders/domain/order.events';
import { DAY_MS, streamNameOf, SYSTEM_ACTOR } from '../src/orders/domain/order.types';

const ROOT = resolve(__dirname, '..');
const SECRET = 'bench-secret-' + 'x'.repeat(32);

export interface DeadlinesBenchResult {
  count: number;
  /** POST /testing/clock to dueAt + 1 ms: every deadline handled and the projections caught up. */
  handledMs: number;
  deadlinesPerSec: number;
  /** The same, as the service reported it. */
  deadlinesHandled: number;
  /** Streams with exactly one OrderBecameLate (must equal count). */
  lateExactlyOnce: number;
  /** Building the `deadlines` read model (and every other) from the seeded orders, before the jump. */
  catchUpMs: number;
  seedMs: number;
}

/**
 * Appends `count` orders in progress (no requirements) placed at `placedAt` with `deliveryDays`: each one
 * schedules `late` at dueAt + 1 ms and `very_late` at dueAt + 24 h. Returns the order ids and the shared dueAt.
 */
export async function seedOrders(
  store: EventStore,
  count: number,
  placedAt: Date,
  deliveryDays = 7,
): Promise<{ orderIds: string[]; dueAt: Date }> {
  const dueAt = new Date(placedAt.getTime() + deliveryDays * DAY_MS);
  const orderIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const orderId = randomUUID();
    orderIds.push(orderId);
    await store.append(
      streamNameOf(orderId),
      [
        {
          id: randomUUID(),
          type: 'OrderPlaced',
          data: {
            orderId,
            buyerId: randomUUID(),
            sellerId: randomUUID(),
            title: `Bench order ${i}`,
            price: { amount: 5000, currency: 'USD' },
            deliveryDays,
            requirementsNeeded: false,
            placedAt: placedAt.toISOString(),
            dueAt: dueAt.toISOString(),
          },
          // Seeded as data: who placed it does not matter to the scheduler.
          metadata: {
            actor: SYSTEM_ACTOR,
            correlationId: randomUUID(),
            causationId: null,
            schemaVersion: ORDER_EVENT_SCHEMA_VERSION,
          },
        },
      ],
      'no_stream',
    );
  }
  return { orderIds, dueAt };
}

/** Per stream, how many events of `type` it holds. */
export async function countPerStream(store: EventStore, orderIds: string[], type: string): Promise<number[]> {
  const counts: number[] = [];
  for (const id of orderIds) {
    counts.push((await store.readStream(streamNameOf(id))).filter((e) => e.type === type).length);
  }
  return counts;
}

async function postClock(url: string, body: object): Promise<{ now: string; deadlinesHandled: number }> {
  const r = await fetch(`${url}/testing/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`POST /testing/clock: ${r.status} ${text}`);
  return JSON.parse(text) as { now: string; deadlinesHandled: number };
}

/** The service from source (no build step), CLOCK=manual, on `dataDir`. */
export async function startManualClockService(
  dataDir: string,
  port: number,
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'run-ts.cjs'), join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      // CLOCK=manual is refused in production (any NODE_ENV but development/test).
      NODE_ENV: 'test',
      RATE_LIMIT_PER_MINUTE: '0',
      PORT: String(port),
      DATA_DIR: dataDir,
      CLOCK: 'manual',
      AUTH_JWT_SECRET: SECRET,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const giveUp = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/testing/clock`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > giveUp) throw new Error('service did not start in 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

export async function runDeadlinesBench(
  opts: { count?: number; port?: number } = {},
): Promise<DeadlinesBenchResult> {
  const count = opts.count ?? 10_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-bench-deadlines-'));
  try {
    // Placed "now" (wall clock): the service's manual clock starts there, a week before the shared dueAt.
    let t = performance.now();
    const seeding = createEventStore({ kind: 'sqlite', dataDir });
    const { orderIds, dueAt } = await seedOrders(seeding, count, new Date());
    await seeding.close();
    const seedMs = Math.round(performance.now() - t);

    const svc = await startManualClockService(dataDir, opts.port ?? 4400 + Math.floor(Math.random() * 500));
    let handledMs: number;
    let catchUpMs: number;
    let deadlinesHandled: number;
    try {
      t = performance.now();
      await postClock(svc.url, { advanceMs: 0 });
      catchUpMs = Math.round(performance.now() - t);

      t = performance.now();
      deadlinesHandled = (await postClock(svc.url, { now: new Date(dueAt.getTime() + 1).toISOString() }))
        .deadlinesHandled;
      handledMs = Math.round(performance.now() - t);
    } finally {
      await svc.stop();
    }

    const check = createEventStore({ kind: 'sqlite', dataDir });
    const counts = await countPerStream(check, orderIds, 'OrderBecameLate');
    await check.close();
    return {
      count,
      handledMs,
      deadlinesPerSec: Math.round((count / handledMs) * 1000),
      deadlinesHandled,
      lateExactlyOnce: counts.filter((c) => c === 1).length,
      catchUpMs,
      seedMs,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** bench/run.ts picks this up. */
export const run = (): Promise<DeadlinesBenchResult> => runDeadlinesBench();

if (/deadlines\.bench\.ts$/.test(process.argv[1] ?? '')) {
  const count = Number(process.argv[2] ?? 10_000);
  runDeadlinesBench({ count })
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      console.log(
        `deadlines: ${r.count} due at once handled in ${r.handledMs} ms (${r.deadlinesPerSec}/s); ` +
          `${r.lateExactlyOnce}/${r.count} orders late exactly once`,
      );
      if (r.lateExactlyOnce !== r.count) process.exit(1);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
