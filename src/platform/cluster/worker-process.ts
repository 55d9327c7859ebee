// The background workers of an APP_ROLE=all process in a child process of their own, so that projections and
// the deadline poller use the second core instead of stalling the command path's event loop. The parent forks
// the same entry point with APP_ROLE=worker, waits for it to say it is ready (a child that dies first fails the
// parent's start-up, with its exit code), restarts it with backoff if it dies later, asks it for its status for
// /health, and stops it on shutdown. The child leaves when its parent does (SIGTERM, or the IPC channel closing
// on a kill -9 of the parent). Safety does not rest on any of this: the child competes for the `worker` lease
// like any worker process, and the projections' checkpoints are compare-and-set.
import { fork as nodeFork, type ChildProcess, type ForkOptions } from 'node:child_process';

/** Environment variable that marks a process as the worker child of an APP_ROLE=all parent (its pid). */
export const WORKER_CHILD_ENV = 'RC_WORKER_CHILD_OF';

type Message =
  { type: 'ready' } | { type: 'status'; id: number } | { type: 'status-reply'; id: number; status: unknown };

export interface WorkerProcessStatus {
  pid: number | null;
  running: boolean;
  ready: boolean;
  restarts: number;
  lastExit: string | null;
}

export interface WorkerProcessOptions {
  /** The module to fork and its arguments; default the parent's own entry point and arguments. */
  modulePath?: string;
  args?: string[];
  execArgv?: string[];
  /** Merged over process.env. */
  env?: Record<string, string>;
  logger?: { log(message: string): void; warn(message: string): void; error(message: string): void };
  /** Restart delays: initialMs doubling up to maxMs; back to initialMs once a child has run resetAfterMs. */
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
  /** How long stop() waits before SIGKILL. Default 15 s. */
  stopTimeoutMs?: number;
  /** Injected for tests. */
  fork?: (modulePath: string, args: string[], options: ForkOptions) => ChildProcess;
  setTimer?: (fn: () => void, ms: number) => () => void;
  nowMs?: () => number;
}

const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

export class WorkerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerStartError';
    this.stack = `${this.name}: ${message}`;
  }
}

export class WorkerProcess {
  private child: ChildProcess | null = null;
  private ready = false;
  /** Some child has been ready: from then on, a death is restarted; before, it fails the start-up. */
  private everReady = false;
  private stopping = false;
  private restarts = 0;
  private lastExit: string | null = null;
  private delayMs: number;
  private startedAt = 0;
  private cancelRestart: (() => void) | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (status: unknown) => void>();
  private readonly logger: NonNullable<WorkerProcessOptions['logger']>;
  private readonly backoff: NonNullable<WorkerProcessOptions['backoff']>;
  private readonly setTimer: NonNullable<WorkerProcessOptions['setTimer']>;
  private readonly nowMs: () => number;
  private readonly onParentExit = (): void => {
    // Last resort (process.exit without stop()): a worker must not outlive its parent.
    if (this.child && this.child.exitCode === null && this.child.signalCode === null)
      this.child.kill('SIGTERM');
  };

  constructor(private readonly options: WorkerProcessOptions = {}) {
    this.logger = options.logger ?? console;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.delayMs = this.backoff.initialMs;
    this.setTimer =
      options.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      });
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /** Forks the child and resolves once it is ready; rejects (naming its exit) if it dies before. */
  start(): Promise<void> {
    process.once('exit', this.onParentExit);
    return this.spawn();
  }

  status(): WorkerProcessStatus {
    return {
      pid: this.child?.pid ?? null,
      running: this.child !== null,
      ready: this.ready,
      restarts: this.restarts,
      lastExit: this.lastExit,
    };
  }

  /** The child's answer to a status request (see serveWorkerChild), or null when it cannot answer in time. */
  request(timeoutMs = 1500): Promise<unknown> {
    const child = this.child;
    if (!child || !this.ready || !child.connected) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const cancel = this.setTimer(() => {
        this.pending.delete(id);
        resolve(null);
      }, timeoutMs);
      this.pending.set(id, (status) => {
        cancel();
        resolve(status);
      });
      child.send({ type: 'status', id } satisfies Message, (error) => {
        if (error) this.pending.get(id)?.(null);
      });
    });
  }

  /** Stops the child (SIGTERM, SIGKILL after stopTimeoutMs) and does not restart it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelRestart?.();
    process.removeListener('exit', this.onParentExit);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const cancel = this.setTimer(() => {
      this.logger.warn(`worker process ${child.pid} did not stop in time: killing it`);
      child.kill('SIGKILL');
    }, this.options.stopTimeoutMs ?? 15_000);
    await exited;
    cancel();
  }

  private spawn(): Promise<void> {
    const fork = this.options.fork ?? nodeFork;
    const child = fork(
      this.options.modulePath ?? process.argv[1],
      this.options.args ?? process.argv.slice(2),
      {
        execArgv: this.options.execArgv ?? process.execArgv,
        env: { ...process.env, ...this.options.env, [WORKER_CHILD_ENV]: String(process.pid) },
        // Its logs are the service's logs: passed straight through.
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    this.child = child;
    this.ready = false;
    this.startedAt = this.nowMs();
    return new Promise<void>((resolve, reject) => {
      child.on('message', (raw: unknown) => {
        const message = raw as Message;
        if (message?.type === 'ready') {
          this.ready = true;
          this.everReady = true;
          this.logger.log(`worker process ${child.pid} ready`);
          resolve();
        } else if (message?.type === 'status-reply') {
          const answer = this.pending.get(message.id);
          this.pending.delete(message.id);
          answer?.(message.status);
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
        for (const answer of this.pending.values()) answer(null);
        this.pending.clear();
        if (!wasReady) reject(new WorkerStartError(`worker process exited with ${how} during start-up`));
        if (this.stopping || !this.everReady) return;
        this.scheduleRestart(how, wasReady);
      });
    });
  }

  private scheduleRestart(how: string, wasReady: boolean): void {
    if (wasReady && this.nowMs() - this.startedAt >= this.backoff.resetAfterMs)
      this.delayMs = this.backoff.initialMs;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.backoff.maxMs, this.delayMs * 2);
    this.logger.error(`worker process exited with ${how}; restarting it in ${delay} ms`);
    this.cancelRestart = this.setTimer(() => {
      this.cancelRestart = null;
      if (this.stopping) return;
      this.restarts++;
      this.spawn().catch((error: unknown) => {
        // Its exit schedules the next attempt; nothing else to do here.
        this.logger.error(error instanceof Error ? error.message : String(error));
      });
    }, delay);
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
  process.on('message', (raw: unknown) => {
    const message = raw as Message;
    if (message?.type !== 'status') return;
    options.status().then(
      (status) => {
        if (process.connected)
          send({ type: 'status-reply', id: message.id, status } satisfies Message, ignore);
      },
      () => {
        if (process.connected)
          send({ type: 'status-reply', id: message.id, status: null } satisfies Message, ignore);
      },
    );
  });
  // The parent may be gone already (killed while this one started): then leave at once.
  if (!process.connected) return options.onParentGone();
  process.once('disconnect', options.onParentGone);
  send({ type: 'ready' } satisfies Message, ignore);
}

/** A send to a parent that died meanwhile fails with EPIPE: its 'disconnect' handles that. */
const ignore = (): void => undefined;
