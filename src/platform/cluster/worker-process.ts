// The workers of an APP_ROLE=all process in a child process (the same entry point, APP_ROLE=worker), so they use
// the second core instead of the command path's event loop. The parent waits for it to be ready (a child dying
// first fails the start-up), restarts it with backoff if it dies later, asks it its status for /health, stops it
// on shutdown; the child leaves with its parent (SIGTERM, or the IPC channel closing on a kill -9). Safety does
// not rest on this: the child competes for the `worker` lease like any worker process.
import { fork as nodeFork, type ChildProcess, type ForkOptions } from 'node:child_process';

/** Environment variable that marks a process as the worker child of an APP_ROLE=all parent (its pid). */
export const WORKER_CHILD_ENV = 'RC_WORKER_CHILD_OF';

type Message =
  { type: 'ready' } | { type: 'status'; id: number } | { type: 'status-reply'; id: number; status: unknown };

export interface WorkerProcessOptions {
  /** The module to fork, its arguments and node's; `env` is merged over process.env. */
  modulePath: string;
  args: string[];
  execArgv: string[];
  env: Record<string, string>;
  logger: { log(message: string): void; warn(message: string): void; error(message: string): void };
  /** Restart delays: initialMs doubling up to maxMs; back to initialMs once a child has run resetAfterMs. */
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
  /** Injected for tests. */
  fork?: (modulePath: string, args: string[], options: ForkOptions) => ChildProcess;
}

/** The child could not start: main.ts prints its message alone, one line. */
export class WorkerStartError extends Error {}

const STOP_TIMEOUT_MS = 15_000;

export class WorkerProcess {
  private child: ChildProcess | null = null;
  private ready = false;
  /** Some child has been ready: from then on, a death is restarted; before, it fails the start-up. */
  private everReady = false;
  private stopping = false;
  private restarts = 0;
  private lastExit: string | null = null;
  private readonly backoff: NonNullable<WorkerProcessOptions['backoff']>;
  private delayMs: number;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (status: unknown) => void>();

  constructor(private readonly options: WorkerProcessOptions) {
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };
    this.delayMs = this.backoff.initialMs;
  }

  status() {
    const { child, ready, restarts, lastExit } = this;
    return { pid: child?.pid ?? null, running: child !== null, ready, restarts, lastExit };
  }

  /** The child's answer to a status request (see serveWorkerChild), or null when it cannot answer in time. */
  request(timeoutMs = 1500): Promise<unknown> {
    const child = this.child;
    if (!child || !this.ready || !child.connected) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(null), timeoutMs);
      const answer = (status: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(status);
      };
      this.pending.set(id, answer);
      child.send({ type: 'status', id } satisfies Message, (error) => {
        if (error) answer(null);
      });
    });
  }

  /** Stops the child (SIGTERM, SIGKILL if it has not exited in time) and does not restart it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.options.logger.warn(`worker process ${child.pid} did not stop in time: killing it`);
      child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Forks the child and resolves once it is ready; rejects (naming its exit) if it dies before. */
  start(): Promise<void> {
    const { modulePath, args, execArgv, env, logger } = this.options;
    const child = (this.options.fork ?? nodeFork)(modulePath, args, {
      execArgv,
      env: { ...process.env, ...env, [WORKER_CHILD_ENV]: String(process.pid) },
      // Its logs are the service's logs: passed straight through.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.ready = false;
    this.startedAt = performance.now();
    return new Promise<void>((resolve, reject) => {
      child.on('message', (raw) => {
        const message = raw as Message;
        if (message?.type === 'ready') {
          this.ready = this.everReady = true;
          logger.log(`worker process ${child.pid} ready`);
          resolve();
        } else if (message?.type === 'status-reply') {
          this.pending.get(message.id)?.(message.status);
        }
      });
      child.once('error', (error) => {
        // Could not be spawned at all; 'exit' may not follow.
        if (!this.ready) reject(new WorkerStartError(`worker process could not start: ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        const how = signal ? `signal ${signal}` : `code ${String(code)}`;
        const wasReady = this.ready;
        this.child = null;
        this.ready = false;
        this.lastExit = how;
        for (const answer of [...this.pending.values()]) answer(null);
        if (!wasReady) reject(new WorkerStartError(`worker process exited with ${how} during start-up`));
        if (this.stopping || !this.everReady) return;
        // Doubling delays, back to the first once a child has run long enough.
        if (wasReady && performance.now() - this.startedAt >= this.backoff.resetAfterMs) {
          this.delayMs = this.backoff.initialMs;
        }
        const delay = this.delayMs;
        this.delayMs = Math.min(this.backoff.maxMs, this.delayMs * 2);
        logger.error(`worker process exited with ${how}; restarting it in ${delay} ms`);
        this.restartTimer = setTimeout(() => {
          this.restarts++;
          // A failure is logged; its exit schedules the next attempt.
          this.start().catch((error: Error) => logger.error(error.message));
        }, delay);
      });
    });
  }
}

/** In the worker child: tell the parent it is ready, answer its status requests, leave when it is gone. */
export function serveWorkerChild(options: {
  status: () => Promise<unknown>;
  /** Called once when the parent is gone (IPC channel closed): stop gracefully, then exit. */
  onParentGone: () => void;
}): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error(`${WORKER_CHILD_ENV} is set but there is no IPC channel to the parent`);
  // A send to a parent that died meanwhile fails with EPIPE: its 'disconnect' handles that.
  const ignore = (): void => undefined;
  process.on('message', (raw) => {
    const message = raw as Message;
    if (message?.type !== 'status') return;
    void options
      .status()
      .catch(() => null)
      .then((status) => {
        if (process.connected)
          send({ type: 'status-reply', id: message.id, status } satisfies Message, ignore);
      });
  });
  // The parent may be gone already (killed while this one started): then leave at once.
  if (!process.connected) return options.onParentGone();
  process.once('disconnect', options.onParentGone);
  send({ type: 'ready' } satisfies Message, ignore);
}
