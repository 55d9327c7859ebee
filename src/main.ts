// `npm start`. APP_ROLE=all on stores outside the process (SQLite files, EventStoreDB, MongoDB): the main thread
// serves the API and a supervised worker thread (this entry point, APP_ROLE=worker) runs the projections and the
// poller on the second core, off the commands' event loop. The in-memory stores cannot be shared.
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import { createApp } from './app.factory';
import { serveWorkerThread, WorkerStartError, WorkerThread } from './platform/cluster/worker-thread';
import { AppConfig, ConfigError, loadConfig } from './platform/config/config';
import { type HealthCheckResult, HealthRegistry } from './platform/health/health.registry';

/**
 * SQLite page caches of the two threads' connections. In WAL mode a connection's cache is emptied whenever another
 * connection has committed: each keeps a small cache of the file the other one writes, a modest one of its own.
 */
const PARENT_CACHE_MB = { events: 8 };
const CHILD_CACHE_MB = { events: 2, read: 16 };
/**
 * V8 lets a heap grow to several times what survived its last full collection: under a steady load each process
 * kept mostly garbage. A GC heuristic read at every collection, so setting it here holds in both threads.
 */
setFlagsFromString('--heap-growing-percent=30');
/** The thread's old generation capped; its young generation small, where scavenges stay cheap (few survivors). */
const CHILD_HEAP_LIMITS = { maxOldGenerationSizeMb: 384, maxYoungGenerationSizeMb: 12 };
/** The checks whose subject runs in the worker thread: the parent's /health shows the thread's answers. */
const CHILD_CHECKS = ['workers', 'projections', 'deadlines'];

const NO_ANSWER: HealthCheckResult = {
  status: 'degraded',
  details: { error: 'the worker thread did not answer' },
};

/** What the worker thread answers to its parent's status request. */
interface ChildStatus {
  checks: Record<string, HealthCheckResult>;
  memoryMb: Record<string, number>;
}

async function bootstrap(): Promise<void> {
  if (!isMainThread) return runWorkerThread();
  const config = loadConfig(process.env);
  const forks =
    config.role === 'all' &&
    config.workers === 'thread' &&
    config.eventStore !== 'memory' &&
    config.readStore !== 'memory';
  // Threaded, the main thread is an API process that opens the stores first (it creates their schema); then the
  // worker thread starts and competes for the worker lease. A thread that cannot start fails the start-up.
  const app = await createApp(forks ? { ...config, role: 'api', sqliteCacheMb: PARENT_CACHE_MB } : config);
  let worker: WorkerThread | null = null;
  if (forks) {
    worker = new WorkerThread({
      // From the TypeScript sources (tests), through the same compile-on-require runner.
      ...(__filename.endsWith('.ts')
        ? { modulePath: join(__dirname, '..', 'scripts', 'run-ts.cjs'), argv: [__filename] }
        : { modulePath: __filename, argv: [] }),
      resourceLimits: CHILD_HEAP_LIMITS,
      env: { APP_ROLE: 'worker' },
      logger: new Logger('WorkerThread'),
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
  const mode = worker ? `${config.role} + worker thread ${worker.status().threadId}` : config.role;
  new Logger('Bootstrap').log(
    `resolution-center (${mode}) listening on :${config.port}; event store ${config.eventStore}, ` +
      `read store ${config.readStore}, data in ${config.dataDir}` +
      (config.clock === 'manual' ? ', CLOCK=manual' : ''),
  );
}

/** The parent's /health shows the thread's checks; `workers` with this process's role and the thread's status. */
function relayChildHealth(app: NestFastifyApplication, config: AppConfig, worker: WorkerThread): void {
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
      const more = { memoryMb: answer?.memoryMb, role: config.role, thread: worker.status() };
      return { status, details: { leader: false, ...details, ...more } };
    };
    health.register(name, check, { critical: false });
  }
}

/** The worker thread: no HTTP listener, no signal handlers; its parent asks for its status and stops it. */
async function runWorkerThread(): Promise<void> {
  const app = await createApp({ role: 'worker', sqliteCacheMb: CHILD_CACHE_MB });
  const health = app.get(HealthRegistry);
  serveWorkerThread({
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
    // process.exit ends this thread only.
    stop: () =>
      void app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      ),
  });
}

/** SIGTERM/SIGINT (the first; later ones are ignored while closing): `close`, then exit. */
function onSignals(close: () => Promise<void>): void {
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
}

bootstrap().catch((e: unknown) => {
  if (!isMainThread) throw e; // the parent reports it, as the thread's 'error'
  // A refused configuration is the operator's to fix: one clear line, no stack trace.
  if (e instanceof ConfigError || e instanceof WorkerStartError) console.error(e.message);
  else console.error(e);
  process.exit(1);
});
