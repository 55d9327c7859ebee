// `npm start` on two cores (APP_ROLE=all, its workers in a worker thread) against the API alone and against the
// old all-on-one-loop shape (APP_WORKERS=inline), alternated in the same run (the machines are shared and noisy):
//   1. flat-out commands: commands/s, p99 and peak RSS (summed over the service's processes), per round, with the
//      ratio to APP_ROLE=api of the same round;
//   2. a steady 1,000 commands/s (paced, one every millisecond): p99 per 30 s window, RSS and CPU time per
//      command per process, projection lag (the engine's measure and a client probe through ?minPosition);
//   3. the order page (GET /orders/:orderId) with GET /health of the same service as the baseline.
// `npm run bench -- cores [--rounds 2] [--steady-sec 300] [--steady-inline-sec 0]`: --steady-sec 60 for a quick run,
// --rounds 0 for the steady part alone.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  benchFlag,
  cannon,
  figures,
  http,
  type LoadFigures,
  type Service,
  signToken,
  startProbe,
  startService,
  uuid,
} from './lib';
import { placeOrders, runWriteBench, type WriteBenchResult } from './write.bench';

const WINDOW_SEC = 30;
const STEADY_RATE = 1000;

type Mode = 'process' | 'inline';
const ENV: Record<Mode, Record<string, string>> = { process: {}, inline: { APP_WORKERS: 'inline' } };

interface WriteRound {
  api: WriteBenchResult;
  all: WriteBenchResult;
  inline: WriteBenchResult;
}

interface Window {
  fromSec: number;
  commands: LoadFigures;
  /** Status codes other than 2xx in the window, with their counts. */
  otherCodes: Record<string, number>;
  rssMb: number;
  anonMb: number;
  onceMb: number;
  /** Per process (the HTTP process first): RSS, anonymous RSS and CPU time per command in the window. */
  processes: { rssMb: number; anonMb: number; cpuMicrosPerCommand: number }[];
  /** The load generator's own event-loop delay (ms): a command sent late by it is counted late. */
  generatorDelay: { p99: number; max: number };
}

interface SteadyResult {
  mode: Mode;
  seconds: number;
  windows: Window[];
  /** Sampled every 5 s: seconds since the load started, RSS and anonymous RSS (MB, all processes). */
  rss: { sec: number; rssMb: number; anonMb: number; onceMb: number; processes: number }[];
  peakRssMb: number;
  probe: { p50: number; p99: number; samples: number };
  appendToVisibleMs: Record<string, { p50: number | null; p99: number | null; samples: number }>;
}

interface PageRound {
  mode: Mode;
  orderPage: LoadFigures;
  health: LoadFigures;
  peakRssMb: number;
}

export interface CoresBenchResult {
  write: WriteRound[];
  steady: SteadyResult[];
  orderPage: PageRound[];
}

const percentile = (sorted: number[], p: number): number =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN);

async function engineLag(svc: Service): Promise<SteadyResult['appendToVisibleMs']> {
  const health = await http<{ checks: { projections?: { details?: Record<string, unknown> } } }>(
    `${svc.url}/health`,
    'GET',
    null,
  );
  const out: SteadyResult['appendToVisibleMs'] = {};
  for (const [name, d] of Object.entries(health.body.checks.projections?.details ?? {})) {
    const detail = d as { appendToVisibleMs?: { p50: number | null; p99: number | null; samples: number } };
    if (detail?.appendToVisibleMs) out[name] = detail.appendToVisibleMs;
  }
  return out;
}

/** One window's figures from the latencies (ms) and status codes of the answers to the commands it sent. */
function windowFigures(latencies: number[], codes: Map<number, number>, errors: number): LoadFigures {
  const sorted = latencies.sort((x, y) => x - y);
  let ok = 0;
  let other = 0;
  for (const [code, n] of codes) {
    if (code >= 200 && code < 300) ok += n;
    else other += n;
  }
  return {
    label: 'open/withdraw commands',
    okPerSec: Math.round(ok / WINDOW_SEC),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors,
    non2xx: other,
  };
}

interface WindowAnswers {
  latencies: number[];
  codes: Map<number, number>;
  errors: number;
}

/**
 * Open/withdraw commands at a paced `rate` (one every 1/rate s, whatever the answers: an open-loop load), each
 * on an order with no command of the bench in flight: open a cancellation request, then withdraw it. Latency
 * counts from the moment a command was due, so a stalled service is not hidden by sending less. autocannon's
 * `overallRate` sends each second's budget at the start of the second, as fast as the service answers: at
 * 1,000/s that is flat-out load for a third of each second, and a burst of events for the projections.
 */
async function pacedCycles(
  svc: Service,
  orders: string[],
  token: string,
  rate: number,
  seconds: number,
  windowOf: (dueMs: number) => WindowAnswers,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const { hostname, port } = new URL(svc.url);
  /** orderId -> its open request, or null while a command of the bench is in flight on it. */
  const state = new Map<string, string | null>();
  let cursor = 0;
  let due = 0;
  let inFlight = 0;
  const send = (dueMs: number): void => {
    let orderId: string | undefined;
    for (let tries = 0; tries < orders.length && orderId === undefined; tries++) {
      const id = orders[cursor++ % orders.length];
      if (state.get(id) !== null) orderId = id;
    }
    const answers = windowOf(dueMs);
    if (orderId === undefined) {
      answers.errors++; // every order busy: the service is that far behind
      return;
    }
    const id = orderId;
    const requestId = state.get(id);
    const body = requestId
      ? '{}'
      : JSON.stringify({ type: 'cancellation', reason: 'no_longer_needed', comment: 'bench' });
    state.set(id, null);
    inFlight++;
    const done = (status: number | null, text: string): void => {
      inFlight--;
      if (status === null) {
        // The command may or may not have been applied: the order's state is unknown, so it stays out of use.
        answers.errors++;
        return;
      }
      answers.latencies.push(performance.now() - dueMs);
      answers.codes.set(status, (answers.codes.get(status) ?? 0) + 1);
      if (!requestId && status === 201) {
        state.set(id, (JSON.parse(text) as { requestId: string }).requestId);
      } else state.delete(id);
    };
    const req = request(
      {
        agent,
        host: hostname,
        port,
        method: 'POST',
        path: requestId ? `/orders/${id}/requests/${requestId}/withdraw` : `/orders/${id}/requests`,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(res.statusCode ?? 0, text));
        res.on('error', () => done(null, ''));
      },
    );
    req.on('error', () => done(null, ''));
    req.end(body);
  };
  const t0 = performance.now();
  const total = Math.round(rate * seconds);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (; due < total && t0 + (due * 1000) / rate <= now; due++) send(t0 + (due * 1000) / rate);
      if (due < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const deadline = performance.now() + 30_000;
  while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();
}

/**
 * A paced load (pacedCycles) for the whole time, cut into windows by when each command was due; the
 * processes' memory and CPU time are read at each window's end.
 */
async function steady(mode: Mode, seconds: number): Promise<SteadyResult> {
  const svc = await startService(ENV[mode]);
  try {
    const buyer = uuid();
    const orders = await placeOrders(svc, 2050, buyer, uuid());
    const token = signToken(buyer);
    const probe = startProbe(svc, orders.splice(0, 50), token, 50);
    const rss: SteadyResult['rss'] = [];
    const t0 = performance.now();
    const sample = () => rss.push({ sec: Math.round((performance.now() - t0) / 1000), ...svc.rssNow() });
    sample();
    const sampler = setInterval(sample, 5000);
    const answers: WindowAnswers[] = [];
    const windows: Window[] = [];
    let cpuBefore = svc.perProcess().map((p) => p.cpuSec);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const closeWindow = () => {
      const i = windows.length;
      const got = answers[i] ?? { latencies: [], codes: new Map(), errors: 0 };
      const commands = windowFigures(got.latencies, got.codes, got.errors);
      const answered = Math.max(1, got.latencies.length);
      const now = svc.rssNow();
      const processes = svc.perProcess();
      const w: Window = {
        fromSec: i * WINDOW_SEC,
        commands,
        otherCodes: Object.fromEntries(
          [...got.codes].filter(([code]) => code < 200 || code >= 300).map(([c, n]) => [String(c), n]),
        ),
        rssMb: now.rssMb,
        anonMb: now.anonMb,
        onceMb: now.onceMb,
        processes: processes.map((p, k) => ({
          rssMb: p.rssMb,
          anonMb: p.anonMb,
          cpuMicrosPerCommand: Math.round(((p.cpuSec - (cpuBefore[k] ?? 0)) * 1e6) / answered),
        })),
        generatorDelay: { p99: Math.round(delay.percentile(99) / 1e6), max: Math.round(delay.max / 1e6) },
      };
      delay.reset();
      windows.push(w);
      cpuBefore = processes.map((p) => p.cpuSec);
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      console.log(
        `  steady (${mode}) ${w.fromSec}-${w.fromSec + WINDOW_SEC} s: ${commands.okPerSec} commands/s, p99 ${commands.p99} ms, ` +
          `errors ${commands.errors}, non-2xx ${commands.non2xx}${commands.non2xx ? ` ${JSON.stringify(w.otherCodes)}` : ''}; ` +
          `RSS ${w.rssMb} MB (anonymous ${w.anonMb} MB, shared code once ${w.onceMb} MB); per process ` +
          w.processes
            .map((p) => `${p.rssMb} MB (anonymous ${p.anonMb}), ${p.cpuMicrosPerCommand} µs CPU/command`)
            .join(' + ') +
          `; generator loop delay p99 ${w.generatorDelay.p99} ms, max ${w.generatorDelay.max} ms; load average ${load}`,
      );
    };
    const loadStart = performance.now();
    const windowCount = Math.ceil(seconds / WINDOW_SEC);
    // A window's figures are taken a second after its end, when the answers to its last commands are in.
    let windowTimer: NodeJS.Timeout | undefined;
    const scheduleClose = () => {
      const at = loadStart + (windows.length + 1) * WINDOW_SEC * 1000 + 1000;
      windowTimer = setTimeout(
        () => {
          closeWindow();
          if (windows.length < windowCount) scheduleClose();
        },
        Math.max(0, at - performance.now()),
      );
    };
    scheduleClose();
    try {
      await pacedCycles(svc, orders, token, STEADY_RATE, seconds, (dueMs) => {
        const i = Math.min(Math.floor((dueMs - loadStart) / 1000 / WINDOW_SEC), windowCount - 1);
        return (answers[i] ??= { latencies: [], codes: new Map(), errors: 0 });
      });
    } finally {
      clearInterval(sampler);
    }
    delay.disable();
    // The load is over and every answer is in: the window(s) still open close now.
    clearTimeout(windowTimer);
    while (windows.length < windowCount) closeWindow();
    const probed = await probe.stop();
    return {
      mode,
      seconds,
      windows,
      rss,
      peakRssMb: svc.peakRssMb(),
      probe: { p50: percentile(probed, 50), p99: percentile(probed, 99), samples: probed.length },
      appendToVisibleMs: await engineLag(svc),
    };
  } finally {
    await svc.stop();
  }
}

async function orderPage(mode: Mode, dir: string, sample: string[], token: string): Promise<PageRound> {
  const svc = await startService(ENV[mode], dir);
  try {
    let i = 0;
    const requests: NonNullable<Parameters<typeof cannon>[0]['requests']> = [
      { method: 'GET', setupRequest: (req) => ({ ...req, path: `/orders/${sample[i++ % sample.length]}` }) },
    ];
    const headers = { authorization: `Bearer ${token}` };
    await cannon({ url: svc.url, connections: 32, duration: 3, headers, requests }); // warm-up
    const pages = await cannon({ url: svc.url, connections: 32, duration: 10, headers, requests });
    const health = await cannon({ url: `${svc.url}/health`, connections: 32, duration: 5 });
    return {
      mode,
      orderPage: figures('GET /orders/:orderId', pages),
      health: figures('GET /health (baseline)', health),
      peakRssMb: svc.peakRssMb(),
    };
  } finally {
    await svc.stop();
  }
}

const range = (xs: number[], digits = 0): string => {
  const f = (x: number) => x.toFixed(digits);
  return xs.length === 0 ? '-' : `${f(Math.min(...xs))}-${f(Math.max(...xs))}`;
};

export async function runCoresBench(
  opts: { rounds?: number; steadySec?: number; steadyInlineSec?: number } = {},
): Promise<CoresBenchResult> {
  const rounds = opts.rounds ?? 2;
  const result: CoresBenchResult = { write: [], steady: [], orderPage: [] };

  // 1. Flat out, alternated: api, all, inline, api, all, inline...
  for (let r = 0; r < rounds; r++) {
    const api = await runWriteBench({ topology: 'api' });
    const all = await runWriteBench({ topology: 'single' });
    const inline = await runWriteBench({ topology: 'inline' });
    result.write.push({ api, all, inline });
    const line = (name: string, w: WriteBenchResult) =>
      `${name} ${w.commands.okPerSec} commands/s (${(w.commands.okPerSec / api.commands.okPerSec).toFixed(2)}x api), ` +
      `p99 ${w.commands.p99} ms, peak RSS ${w.peakRssMb} MB, errors ${w.commands.errors + w.commands.non2xx}`;
    console.log(
      `cores round ${r + 1}: ${line('api', api)}\n  ${line('all (worker child)', all)}\n  ${line('all inline', inline)}`,
    );
  }

  // 3. The order page, alternated (process, inline) on the same data.
  const dir = mkdtempSync(join(tmpdir(), 'rc-cores-pages-'));
  try {
    const buyer = uuid();
    const seed = await startService({}, dir);
    let sample: string[];
    try {
      sample = await placeOrders(seed, 2000, buyer, uuid());
    } finally {
      await seed.stop();
    }
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['process', 'inline'] as const) {
        const p = await orderPage(mode, dir, sample, signToken(buyer));
        result.orderPage.push(p);
        console.log(
          `cores order page (${mode}): ${p.orderPage.okPerSec} req/s, p99 ${p.orderPage.p99} ms ` +
            `(${(p.orderPage.okPerSec / p.health.okPerSec).toFixed(2)}x GET /health ${p.health.okPerSec} req/s)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // 2. Steady load, last: the long part.
  result.steady.push(await steady('process', opts.steadySec ?? 300));
  if (opts.steadyInlineSec) result.steady.push(await steady('inline', opts.steadyInlineSec));

  printSummary(result);
  return result;
}

function printSummary(r: CoresBenchResult): void {
  const ratio = (f: (w: WriteRound) => number) => r.write.map(f);
  const lines = [
    `cores: all/api commands ${range(
      ratio((w) => w.all.commands.okPerSec / w.api.commands.okPerSec),
      2,
    )}x (target >= 0.7x), inline/api ${range(
      ratio((w) => w.inline.commands.okPerSec / w.api.commands.okPerSec),
      2,
    )}x`,
    `cores: commands/s api ${range(ratio((w) => w.api.commands.okPerSec))}, all ${range(
      ratio((w) => w.all.commands.okPerSec),
    )}, inline ${range(ratio((w) => w.inline.commands.okPerSec))}`,
    `cores: p99 ms api ${range(ratio((w) => w.api.commands.p99))}, all ${range(
      ratio((w) => w.all.commands.p99),
    )} (target <= 20), inline ${range(ratio((w) => w.inline.commands.p99))}`,
    `cores: peak RSS MB api ${range(ratio((w) => w.api.peakRssMb))}, all ${range(
      ratio((w) => w.all.peakRssMb),
    )} (target <= 300, both processes), inline ${range(ratio((w) => w.inline.peakRssMb))}`,
  ];
  for (const mode of ['process', 'inline'] as const) {
    const pages = r.orderPage.filter((p) => p.mode === mode);
    lines.push(
      `cores: order page (${mode}) ${range(pages.map((p) => p.orderPage.okPerSec))} req/s, ` +
        `${range(
          pages.map((p) => p.orderPage.okPerSec / p.health.okPerSec),
          2,
        )}x of GET /health, p99 ${range(pages.map((p) => p.orderPage.p99))} ms`,
    );
  }
  for (const s of r.steady) {
    const p99s = s.windows.map((w) => w.commands.p99);
    const afterWarmUp = s.windows.slice(1);
    const worstLag = Math.max(...Object.values(s.appendToVisibleMs).map((l) => l.p99 ?? 0));
    lines.push(
      `cores: steady ${STEADY_RATE}/s (${s.mode}) for ${s.seconds} s: p99 per ${WINDOW_SEC} s window ${p99s.join(', ')} ms ` +
        `(target <= 15 each), errors ${s.windows.reduce((n, w) => n + w.commands.errors + w.commands.non2xx, 0)}; ` +
        `RSS ${s.windows.map((w) => w.rssMb).join(', ')} MB (anonymous ${s.windows.map((w) => w.anonMb).join(', ')}; ` +
        `shared code once ${s.windows.map((w) => w.onceMb).join(', ')}); ` +
        `after warm-up ${range(afterWarmUp.map((w) => w.rssMb))} MB; peak ${s.peakRssMb} MB`,
      `cores: steady per process (${s.mode}, HTTP process first): RSS after warm-up ` +
        (s.windows[0]?.processes ?? [])
          .map((_, i) => `${range(afterWarmUp.map((w) => w.processes[i]?.rssMb ?? NaN))} MB`)
          .join(' + ') +
        `; CPU per command ` +
        (s.windows[0]?.processes ?? [])
          .map((_, i) => `${range(s.windows.map((w) => w.processes[i]?.cpuMicrosPerCommand ?? NaN))} µs`)
          .join(' + '),
      `cores: projection lag under ${STEADY_RATE}/s (${s.mode}): engine append->visible worst p99 ${worstLag} ms ` +
        `(target <= 100); client probe p50 ${s.probe.p50} ms, p99 ${s.probe.p99} ms (${s.probe.samples} samples)`,
    );
  }
  console.log(lines.join('\n'));
}

export const run = (): Promise<CoresBenchResult> =>
  runCoresBench({
    rounds: benchFlag('rounds', 2),
    steadySec: benchFlag('steady-sec', 300),
    steadyInlineSec: process.argv.includes('--steady-inline-sec') ? benchFlag('steady-inline-sec', 0) : 0,
  });
