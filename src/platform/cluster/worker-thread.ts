// The workers of an APP_ROLE=all process in a worker thread (the same entry point, APP_ROLE=worker): the second
// core, without a second copy of node in memory. The parent waits for it to be ready (a thread dying first fails
// the start-up), restarts it with backoff if it dies later, asks it its status for /health, stops it on shutdown.
// Safety does not rest on this: the thread competes for the `worker` lease like any worker process.
import { parentPort, Worker, type WorkerOptions } from 'node:worker_threads';

type Message =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'status'; id: number }
  | { type: 'status-reply'; id: number; status: unknown };

export interface WorkerThreadOptions {
  /** The module to run, its arguments and resource limits; `env` is merged over process.env. */
  modulePath: string;
  argv: string[];
  resourceLimits: WorkerOptions['resourceLimits'];
  env: Record<string, string>;
  logger: { log(message: string): void; warn(message: string): void; error(message: string): void };
  /** Restart delays: initialMs doubling up to maxMs; back to initialMs once a thread has run resetAfterMs. */
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
  /** Injected for tests. */
  spawn?: (modulePath: string, options: WorkerOptions) => Worker;
}

/** The thread could not start: main.ts prints its message alone, one line. */
export class WorkerStartError extends Error {}

const STOP_TIMEOUT_MS = 15_000;

export class WorkerThread {
  private worker: Worker | null = null;
  private ready = false;
  /** Some thread has been ready: from then on, a death is restarted; before, it fails the start-up. */
  private everReady = false;
  private stopping = false;
  private restarts = 0;
  private lastExit: string | null = null;
  private readonly backoff: NonNullable<WorkerThreadOptions['backoff']>;
  private delayMs: number;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (status: unknown) => void>();

  constructor(private readonly options: WorkerThreadOptions) {
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };
    this.delayMs = this.backoff.initialMs;
  }

  status() {
    const { worker, ready, restarts, lastExit } = this;
    return { threadId: worker?.threadId ?? null, running: worker !== null, ready, restarts, lastExit };
  }

  /** The thread's answer to a status request (see serveWorkerThread), or null when it cannot answer in time. */
  request(timeoutMs = 1500): Promise<unknown> {
    const worker = this.worker;
    if (!worker || !this.ready) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(null), timeoutMs);
      const answer = (status: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(status);
      };
      this.pending.set(id, answer);
      worker.postMessage({ type: 'status', id } satisfies Message);
    });
  }

  /** Asks the thread to stop gracefully, terminates it if it has not exited in time; does not restart it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ type: 'stop' } satisfies Message);
    const timer = setTimeout(() => {
      this.options.logger.warn(`worker thread ${worker.threadId} did not stop in time: terminating it`);
      void worker.terminate();
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Starts the thread and resolves once it is ready; rejects (naming its exit) if it dies before. */
  start(): Promise<void> {
    const { modulePath, argv, resourceLimits, env, logger } = this.options;
    const spawn = this.options.spawn ?? ((path, options) => new Worker(path, options));
    const worker = spawn(modulePath, { argv, resourceLimits, env: { ...process.env, ...env } });
    this.worker = worker;
    this.ready = false;
    this.startedAt = performance.now();
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: Message) => {
        if (message?.type === 'ready') {
          this.ready = this.everReady = true;
          logger.log(`worker thread ${worker.threadId} ready`);
          resolve();
        } else if (message?.type === 'status-reply') {
          this.pending.get(message.id)?.(message.status);
        }
      });
      // An uncaught exception in the thread; 'exit' follows.
      worker.on('error', (error) => {
        if (!this.ready) reject(new WorkerStartError(`worker thread failed to start: ${error.message}`));
        else logger.error(`worker thread failed: ${error.stack}`);
      });
      worker.once('exit', (code: number) => {
        const how = `code ${code}`;
        const wasReady = this.ready;
        this.worker = null;
        this.ready = false;
        this.lastExit = how;
        for (const answer of [...this.pending.values()]) answer(null);
        if (!wasReady) reject(new WorkerStartError(`worker thread exited with ${how} during start-up`));
        if (this.stopping || !this.everReady) return;
        // Doubling delays, back to the first once a thread has run long enough.
        if (wasReady && performance.now() - this.startedAt >= this.backoff.resetAfterMs) {
          this.delayMs = this.backoff.initialMs;
        }
        const delay = this.delayMs;
        this.delayMs = Math.min(this.backoff.maxMs, this.delayMs * 2);
        logger.error(`worker thread exited with ${how}; restarting it in ${delay} ms`);
        this.restartTimer = setTimeout(() => {
          this.restarts++;
          // A failure is logged; its exit schedules the next attempt.
          this.start().catch((error: Error) => logger.error(error.message));
        }, delay);
      });
    });
  }
}

/** In the worker thread: tell the parent it is ready, answer its status requests, stop when asked. */
export function serveWorkerThread(options: { status: () => Promise<unknown>; stop: () => void }): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorkerThread runs in a worker thread only');
  port.on('message', (message: Message) => {
    if (message?.type === 'stop') return options.stop();
    if (message?.type !== 'status') return;
    void options
      .status()
      .catch(() => null)
      .then((status) => port.postMessage({ type: 'status-reply', id: message.id, status } satisfies Message));
  });
  port.postMessage({ type: 'ready' } satisfies Message);
}
