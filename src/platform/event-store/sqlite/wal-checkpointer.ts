// Background WAL checkpoints. SQLite's automatic checkpoint runs inside the committing call (copying ~1000 pages
// with two fsyncs: a stall of the event loop every few hundred appends); here a worker thread with its own
// connection runs PASSIVE checkpoints, which never block the writer. Those rarely catch up with every commit,
// which the WAL needs to rewind: past `restartFrames`, a RESTART finishes the short tail under the write lock.
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type Database from 'better-sqlite3';

/** Below this a WAL stays small without checkpoints: short-lived stores (tests) never start a thread. */
export const CHECKPOINTER_START_AFTER = 256;

// Plain JavaScript, so it needs no TypeScript compilation wherever the store runs. No busy timeout: a RESTART
// that finds the write lock taken checkpoints what it can without it, and the next pass tries again.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const db = new (require(workerData.driverPath))(workerData.file, { timeout: 0 });
let timer = null;
function pass() {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log >= workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch {
    // Transient (e.g. another process holds an exclusive lock): the next pass retries.
  }
  timer = setTimeout(pass, workerData.intervalMs);
}
parentPort.once('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(pass, workerData.intervalMs);
`;

export class WalCheckpointer {
  /** Counts down appended events until the worker starts; negative once it did. */
  private eventsBeforeStart = CHECKPOINTER_START_AFTER;
  private worker: { thread: Worker; exited: Promise<void> } | null = null;
  private done = false;

  constructor(
    private readonly db: Database.Database,
    private readonly intervalMs = 100,
    /** ~64 MB of WAL. */
    private readonly restartFrames = 16384,
  ) {
    db.pragma('wal_autocheckpoint = 0');
  }

  /** After each commit of the writer's connection. */
  committed(eventCount: number): void {
    if (this.eventsBeforeStart < 0) return;
    this.eventsBeforeStart -= eventCount;
    if (this.eventsBeforeStart >= 0) return;
    try {
      const { intervalMs, restartFrames } = this;
      const thread = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          driverPath: require.resolve('better-sqlite3'),
          file: this.db.name,
          intervalMs,
          restartFrames,
        },
      });
      this.worker = { thread, exited: new Promise((resolve) => thread.once('exit', () => resolve())) };
      thread.on('error', (error) => this.fail(error));
      thread.once('exit', (code) => this.fail(new Error(`exited with code ${code}`)));
    } catch (error) {
      this.fail(error);
    }
  }

  async close(): Promise<void> {
    this.done = true;
    if (!this.worker) return;
    const { thread, exited } = this.worker;
    thread.postMessage('close');
    const timeout = setTimeout(() => void thread.terminate(), 2000);
    await exited;
    clearTimeout(timeout);
  }

  /** The worker died: the writer checkpoints inline again. */
  private fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.worker = null;
    new Logger('EventStore').warn(
      `WAL checkpointer failed (${String(error)}); checkpointing inline from now on`,
    );
    this.db.pragma('wal_autocheckpoint = 1000');
  }
}
