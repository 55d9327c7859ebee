import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { join } from 'node:path';
import { createApp } from './app.factory';
import { WorkerSupervisor } from './platform/cluster/worker-supervisor';
import {
  serveWorkerChild,
  WORKER_CHILD_ENV,
  WorkerProcess,
  WorkerStartError,
} from './platform/cluster/worker-process';
import { AppConfig, ConfigError, loadConfig } from './platform/config/config';
import { type HealthCheckResult, HealthRegistry } from './platform/health/health.registry';

/**
 * APP_ROLE=all on stores outside the process (SQLite files, EventStoreDB, MongoDB): the HTTP process serves the
 * API and a supervised child (the same entry point, APP_ROLE=worker) runs the projections and the poller, so they
 * use the second core instead of the commands' event loop. The in-memory stores cannot be shared: one process.
 */
function forksWorkers(config: AppConfig): boolean {
  return (
    config.role === 'all' &&
    config.workers === 'process' &&
    config.eventStore !== 'memory' &&
    config.readStore !== 'memory'
  );
}

/**
 * SQLite page caches of the two processes. In WAL mode a connection empties its page cache when another
 * connection has committed since its last read, so a cache of the file the other process writes is emptied at
 * every commit of that process: the child's cache of events.db (the parent appends) is kept at SQLite's default;
 * the parent's of read.db (the child projects) stays at 64 MB for reads while nothing is written. The caches of
 * the file each one writes hold the recently written pages: the parent's of events.db (appends) 8 MB instead of
 * 32, the child's of read.db (projection batches) 16 MB instead of 64. Full, they were 96 MB per process.
 */
const PARENT_CACHE_MB = { events: 8 };
/**
 * The child's old generation capped at 384 MB (its live set is ~50 MB under load): with the default limit V8 let
 * its heap grow to ~130 MB of garbage between full collections at 1,000 commands/s (RSS 140 -> 267 MB in 60 s);
 * under a cap of this size it collects sooner (measured with 256 MB: heap 45-58 MB, RSS flat at ~175-180 MB).
 */
const CHILD_NODE_FLAGS = ['--max-old-space-size=384'];
const CHILD_CACHE_MB = { events: 2, read: 16 };

async function bootstrap(): Promise<void> {
  const config = loadConfig(process.env);
  if (process.env[WORKER_CHILD_ENV]) return runWorkerChild();
  if (!forksWorkers(config)) {
    const app = await createApp(config);
    // SIGTERM/SIGINT: stop accepting, finish in-flight requests, close subscriptions and stores.
    app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
    await listen(app, config, '');
    return;
  }
  // The parent is an API process; the child competes for the worker lease. The parent opens the stores first
  // (it creates their schema), then the child starts; a child that cannot start fails the start-up.
  const app = await createApp({ ...config, role: 'api', sqliteCacheMb: PARENT_CACHE_MB });
  const worker = new WorkerProcess({
    // From the TypeScript sources (tests), through the same compile-on-require runner.
    ...(__filename.endsWith('.ts')
      ? { modulePath: join(__dirname, '..', 'scripts', 'run-ts.cjs'), args: [__filename] }
      : { modulePath: __filename, args: [] }),
    execArgv: [...process.execArgv, ...CHILD_NODE_FLAGS],
    env: { APP_ROLE: 'worker' },
    logger: new Logger('WorkerProcess'),
  });
  try {
    await worker.start();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  reportChildInHealth(app, config, worker);
  onSignals(async () => {
    await Promise.all([app.close(), worker.stop()]);
  });
  await listen(app, config, ` + worker process ${worker.status().pid}`);
}

async function listen(app: NestFastifyApplication, config: AppConfig, extra: string): Promise<void> {
  await app.listen({ port: config.port, host: '0.0.0.0' });
  new Logger('Bootstrap').log(
    `resolution-center (${config.role}${extra}) listening on :${config.port}; event store ${config.eventStore}, ` +
      `read store ${config.readStore}, data in ${config.dataDir}${config.clock === 'manual' ? ', CLOCK=manual' : ''}`,
  );
}

/** What the worker child answers to its parent's status request. */
interface ChildStatus {
  workers?: Record<string, unknown>;
  checks?: Record<string, HealthCheckResult>;
}

/** The checks whose subject runs in the worker child: the parent's /health shows the child's answers. */
const CHILD_CHECKS = ['projections', 'deadlines'];

/**
 * The parent's /health reports the workers as an APP_ROLE=all process always did: `workers` (lease, leader,
 * handovers, plus the child process), `projections` and `deadlines` as the child sees them. One status request
 * serves the checks of one /health run.
 */
function reportChildInHealth(app: NestFastifyApplication, config: AppConfig, worker: WorkerProcess): void {
  const health = app.get(HealthRegistry);
  let last: { at: number; answer: Promise<ChildStatus | null> } | null = null;
  const ask = (): Promise<ChildStatus | null> => {
    const now = performance.now();
    if (!last || now - last.at > 100) {
      last = { at: now, answer: worker.request() as Promise<ChildStatus | null> };
    }
    return last.answer;
  };
  health.register(
    'workers',
    async () => {
      const child = await ask();
      const process = worker.status();
      if (!child?.workers) {
        return { status: 'degraded', details: { role: config.role, leader: false, process } };
      }
      return { status: 'ok', details: { ...child.workers, role: config.role, process } };
    },
    { critical: false },
  );
  for (const name of CHILD_CHECKS) {
    health.register(
      name,
      async () => {
        const check = (await ask())?.checks?.[name];
        return check ?? { status: 'degraded', details: { error: 'the worker process did not answer' } };
      },
      { critical: false },
    );
  }
}

/** The worker child: no HTTP listener; its parent asks it for its status over IPC. */
async function runWorkerChild(): Promise<void> {
  const app = await createApp({ role: 'worker', sqliteCacheMb: CHILD_CACHE_MB });
  const supervisor = app.get(WorkerSupervisor);
  const health = app.get(HealthRegistry);
  const close = onSignals(() => app.close());
  serveWorkerChild({
    status: async (): Promise<ChildStatus> => {
      const report = await health.run();
      const checks: Record<string, HealthCheckResult> = {};
      for (const name of CHILD_CHECKS) {
        const check = report.checks[name];
        if (check) checks[name] = { status: check.status, details: check.details };
      }
      const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      const memoryMb = {
        rss: mb(rss),
        heapUsed: mb(heapUsed),
        external: mb(external),
        arrayBuffers: mb(arrayBuffers),
      };
      return { workers: { ...supervisor.status(), memoryMb }, checks };
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
