// Shared bench plumbing: the service runs as a real child process (built JS, as in production) so RSS and
// throughput are the service's own, not the load generator's. Figures are reported against a baseline measured
// in the same run (the machines are shared and noisy).
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';

export const ROOT = resolve(__dirname, '..');
export const BENCH_SECRET = 'bench-secret-' + 'x'.repeat(32);

export function signToken(sub: string, roles: string[] = [], ttlSeconds = 3600): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const iat = Math.floor(Date.now() / 1000);
  const body = b64({ sub, roles, iat, exp: iat + ttlSeconds });
  const sig = createHmac('sha256', BENCH_SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** Orders come from the checkout (role checkout), naming the buyer. */
export const checkoutToken = (): string => signToken('checkout-bench', ['checkout']);

export function buildOnce(): void {
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

export interface Service {
  url: string;
  dataDir: string;
  child: ChildProcess;
  /**
   * Peak resident set size so far (VmHWM), in MB, summed over the service's processes (with APP_ROLE=all its
   * worker child too): an upper bound of their peak together.
   */
  peakRssMb(): number;
  /** CPU time (user + system) the service process has used so far, in seconds: less noisy than rates on a shared box. */
  cpuSeconds(): number;
  /**
   * Resident memory now over the service's processes, in MB: the sum of their RSS, of its anonymous part, and
   * `onceMb`: the anonymous parts plus the largest file-backed part (the node binary and modules every process
   * maps, counted once).
   */
  rssNow(): { rssMb: number; anonMb: number; onceMb: number; processes: number };
  /** Per process (the service's first, then its children): RSS and its anonymous part now (MB), CPU time (s). */
  perProcess(): { pid: number; rssMb: number; anonMb: number; cpuSec: number }[];
  stop(): Promise<void>;
}

let nextPort = 3900 + Math.floor(Math.random() * 500);

export async function startService(
  env: Record<string, string> = {},
  dataDir?: string,
  opts: { nice?: number; stdout?: 'inherit' | 'ignore' } = {},
): Promise<Service> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'rc-bench-'));
  const port = nextPort++;
  // `nice` execs node in place, so the child's pid (and its /proc status) is the service's own.
  const [cmd, args] = opts.nice
    ? ['nice', ['-n', String(opts.nice), process.execPath, join(ROOT, 'dist', 'main.js')]]
    : [process.execPath, [join(ROOT, 'dist', 'main.js')]];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'bench',
      PORT: String(port),
      DATA_DIR: dir,
      AUTH_JWT_SECRET: BENCH_SECRET,
      LOG_LEVEL: 'warn',
      // As `npm start` runs it (package.json).
      MALLOC_ARENA_MAX: '2',
      // Benchmarks measure the service, not the limiter: one caller sends far more than 600 a minute.
      RATE_LIMIT_PER_MINUTE: '0',
      ...env,
    },
    // stdout 'ignore' (/dev/null): the access log is written and costs what it costs, without flooding the report.
    stdio: ['ignore', opts.stdout ?? 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a shared 2-core box a start can overlap the previous service's shutdown.
  const deadline = Date.now() + 60_000;
  // What the last poll saw, for the error: not listening, too slow, or a health report that says down.
  let lastSeen = 'nothing yet';
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.status < 500) break;
      lastSeen = `${r.status} ${(await r.text()).slice(0, 500)}`;
    } catch (e) {
      // Not listening yet (refused), or no answer within 2 s (timed out).
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      lastSeen = `${e instanceof Error ? e.name : 'error'}${cause ? ` ${cause}` : ''}`;
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`service did not become healthy in 60 s (last /health poll: ${lastSeen})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir: dir,
    child,
    cpuSeconds() {
      return cpuSecondsOf(child.pid);
    },
    peakRssMb() {
      return Math.round(sumStatus(processTree(child.pid), 'VmHWM') / 1024);
    },
    rssNow() {
      const pids = processTree(child.pid);
      const anon = sumStatus(pids, 'RssAnon');
      const file = Math.max(
        0,
        ...pids.map((pid) => sumStatus([pid], 'RssFile') + sumStatus([pid], 'RssShmem')),
      );
      return {
        rssMb: Math.round(sumStatus(pids, 'VmRSS') / 1024),
        anonMb: Math.round(anon / 1024),
        onceMb: Math.round((anon + file) / 1024),
        processes: pids.length,
      };
    },
    perProcess() {
      return processTree(child.pid).map((pid) => ({
        pid,
        rssMb: Math.round(sumStatus([pid], 'VmRSS') / 1024),
        anonMb: Math.round(sumStatus([pid], 'RssAnon') / 1024),
        cpuSec: cpuSecondsOf(pid),
      }));
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU time (user + system) of a process so far, in seconds; 0 once it has exited. */
function cpuSecondsOf(pid: number | undefined): number {
  try {
    // /proc/<pid>/stat fields 14 and 15 (utime, stime) in clock ticks; the command name may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The process and its descendants (Linux /proc). */
export function processTree(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${pids[i]}/task`)) {
        const children = readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Sum of a `/proc/<pid>/status` field (kB) over the processes. */
function sumStatus(pids: number[], field: string): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      kb += Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return kb;
}

export async function http<T = unknown>(
  url: string,
  method: string,
  token: string | null,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const r = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Runs `fn` over items with at most `concurrency` in flight. */
export async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

/** `onResponse`: each answer's status and latency (ms) as it arrives; `onError`: each failed request. */
export function cannon(
  opts: autocannon.Options,
  on: { onResponse?: (status: number, ms: number) => void; onError?: () => void } = {},
): Promise<autocannon.Result> {
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolvePromise(result)));
    if (on.onResponse) {
      const onResponse = on.onResponse;
      instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
    }
    if (on.onError) instance.on('reqError', on.onError);
  });
}

export interface LoadFigures {
  label: string;
  okPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export function figures(label: string, r: autocannon.Result): LoadFigures {
  return {
    label,
    okPerSec: Math.round(r['2xx'] / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export const uuid = randomUUID;

/** `npm run bench -- cores --steady-sec 60`: the value after `--name`, or the fallback. */
export function benchFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** A client's view of projection lag: command acknowledged -> GET ?minPosition=<its position> answered. */
/** pauseMs between probes; stop() resolves the samples sorted ascending. */
export function startProbe(
  svc: Service,
  orders: string[],
  token: string,
  pauseMs: number,
): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let probing = true;
  const loop = (async () => {
    let n = 0;
    while (probing) {
      const orderId = orders[n++ % orders.length];
      const opened = await http<{ position: string; requestId: string }>(
        `${svc.url}/orders/${orderId}/requests`,
        'POST',
        token,
        { type: 'cancellation', reason: 'no_longer_needed', comment: 'probe' },
      );
      if (opened.status !== 201) continue;
      const t0 = performance.now();
      const read = await http(
        `${svc.url}/orders/${orderId}?minPosition=${opened.body.position}`,
        'GET',
        token,
      );
      if (read.status === 200) samples.push(performance.now() - t0);
      await http(
        `${svc.url}/orders/${orderId}/requests/${opened.body.requestId}/withdraw`,
        'POST',
        token,
        {},
      );
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      probing = false;
      await loop;
      return samples.sort((a, b) => a - b);
    },
  };
}
