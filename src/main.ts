// `npm start`. APP_ROLE=all on stores outside the process (SQLite files, EventStoreDB, MongoDB) forks: the
// HTTP process serves the API and a supervised child (this entry point, APP_ROLE=worker) runs the projections
// and the poller on the second core, off the commands' event loop. The in-memory stores cannot be shared.
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { createApp } from './app.factory';
import {
  serveWorkerChild,
  WORKER_CHILD_ENV,
  WorkerProcess,
  WorkerStartError,
} from './platform/cluster/worker-process';
import { AppConfig, ConfigError, loadConfig } from './platform/config/config';
import { type HealthCheckResult, HealthRegistry } from './platform/health/health.registry';

/**
 * SQLite page caches of the two processes. In WAL mode a connection's cache is emptied whenever the other
 * process has committed: each keeps a small cache of the file the other one writes, a modest one of its own.
 */
const PARENT_CACHE_MB = { events: 8 };
const CHILD_CACHE_MB = { events: 2, read: 16 };
/**
 * V8 lets a heap grow to several times what survived its last full collection: under a steady load each process
 * kept mostly garbage. A GC heuristic read at every collection, so setting it here holds in every process.
 */
setFlagsFromString('--heap-growing-percent=30');
/** The child's old generation capped; its young generation small, where scavenges stay cheap (few survivors). */
const CHILD_NODE_FLAGS = ['--max-old-space-size=384', '--max-semi-space-size=4'];
/** The checks whose subject runs in the worker child: the parent's /health shows the child's answers. */
const CHILD_CHECKS = ['workers', 'projections', 'deadlines'];

const NO_ANSWER: HealthCheckResult = {
  status: 'degraded',
  details: { error: 'the worker process did not answer' },
};

/** What the worker child answers to its parent's status request. */
interface ChildStatus {
  checks: Record<string, HealthCheckResult>;
  memoryMb: Record<string, number>;
}

async function bootstrap(): Promise<void> {
  if (process.env[WORKER_CHILD_ENV]) return runWorkerChild();
  const config = loadConfig(process.env);
  const forks =
    config.role === 'all' &&
    config.workers === 'process' &&
    config.eventStore !== 'memory' &&
    config.readStore !== 'memory';
  // Forking, the parent is an API process that opens the stores first (it creates their schema); then the
  // child starts and competes for the worker lease. A child that cannot start fails the start-up.
  const app = await createApp(forks ? { ...config, role: 'api', sqliteCacheMb: PARENT_CACHE_MB } : config);
  let worker: WorkerProcess | null = null;
  if (forks) {
    worker = new WorkerProcess({
      // From the TypeScript sources (tests), through the same compile-on-require runner.
      ...(__filename.endsWith('.ts')
        ? { modulePath: join(__dirname, '..', 'scripts', 'run-ts.cjs'), args: [__filename] }
        : { modulePath: __filename, args: [] }),
      execArgv: [...process.execArgv, ...CHILD_NODE_FLAGS],
      env: { APP_ROLE: 'worker' },
      logger: new Logger('WorkerProcess'),
    });
    await worker.start().catch(async (error: unknown) => {
      await app.close().catch(() => undefined);
      throw error;
    });
    relayChildHealth(app, config, worker);
  }
  // SIGTERM/SIGINT: stop accepting, finish in-flight requests, close subscriptions and stores.
  onSignals(async () => {
    await Promise.all([app.close(), worker?.stop()]);
  });
  await app.listen({ port: config.port, host: '0.0.0.0' });
  const mode = worker ? `${config.role} + worker process ${worker.status().pid}` : config.role;
  new Logger('Bootstrap').log(
    `resolution-center (${mode}) listening on :${config.port}; event store ${config.eventStore}, ` +
      `read store ${config.readStore}, data in ${config.dataDir}` +
      (config.clock === 'manual' ? ', CLOCK=manual' : ''),
  );
}

/** The parent's /health shows the child's checks; `workers` with this process's role and the child's pid. */
function relayChildHealth(app: NestFastifyApplication, config: AppConfig, worker: WorkerProcess): void {
  const health = app.get(HealthRegistry);
  // One status request serves the checks of one /health run.
  let last: { at: number; answer: Promise<ChildStatus | null> } | null = null;
  const ask = (): Promise<ChildStatus | null> => {
    const now = performance.now();
    if (!last || now - last.at > 100) {
      last = { at: now, answer: worker.request() as Promise<ChildStatus | null> };
    }
    return last.answer;
  };
  for (const name of CHILD_CHECKS) {
    const check = async (): Promise<HealthCheckResult> => {
      const answer = await ask();
      const { status, details } = answer?.checks[name] ?? NO_ANSWER;
      if (name !== 'workers') return { status, details };
      const more = { memoryMb: answer?.memoryMb, role: config.role, process: worker.status() };
      return { status, details: { leader: false, ...details, ...more } };
    };
    health.register(name, check, { critical: false });
  }
}

/** The worker child: no HTTP listener; its parent asks it for its status over IPC. */
async function runWorkerChild(): Promise<void> {
  const app = await createApp({ role: 'worker', sqliteCacheMb: CHILD_CACHE_MB });
  const health = app.get(HealthRegistry);
  const close = onSignals(() => app.close());
  serveWorkerChild({
    status: async (): Promise<ChildStatus> => {
      const report = await health.run();
      const checks: ChildStatus['checks'] = {};
      for (const name of CHILD_CHECKS) {
        const check = report.checks[name];
        if (check) checks[name] = { status: check.status, details: check.details };
      }
      const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
      const memoryMb = Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, mb(v)]));
      return { checks, memoryMb };
    },
    onParentGone: () => void close(),
  });
}

/** SIGTERM/SIGINT (the first; later ones are ignored while closing): `close`, then exit. */
function onSignals(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  const run = (): Promise<void> => {
    closing ??= close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
    return closing;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void run());
  return run;
}

bootstrap().catch((e: unknown) => {
  // A refused configuration is the operator's to fix: one clear line, no stack trace.
  if (e instanceof ConfigError || e instanceof WorkerStartError) console.error(e.message);
  else console.error(e);
  process.exit(1);
});
