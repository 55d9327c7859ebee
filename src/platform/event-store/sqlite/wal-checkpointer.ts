// Background WAL checkpoints. SQLite's automatic checkpoint runs inside the committing call: with
// synchronous=NORMAL it copies ~1000 pages and fsyncs twice, stalling the event loop for ~15 ms every ~200
// appends (measured: over half the time of a write-heavy run). Here a worker thread with its own connection
// runs PASSIVE checkpoints, which never block the writer. A WAL file only restarts from its beginning when a
// checkpoint has caught up with every commit, which a concurrent checkpoint rarely does under steady load: once
// the WAL has grown past `restartFrames`, the worker raises a shared flag and the writer, at its next append,
// runs the short tail (the frames written since the worker's pass) itself; the append after rewinds the WAL.
// A shared flag, not a message: a busy writer may not reach the event loop's message phase for a long time.
import { Worker } from 'node:worker_threads';

export interface WalCheckpointerOptions {
  file: string;
  intervalMs: number;
  restartFrames: number;
  /** The worker died: the writer must checkpoint inline again. */
  onFailure: (error: unknown) => void;
}

// Plain JavaScript run as the worker's body, so it needs no TypeScript compilation wherever the store runs.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file);
const restartWanted = new Int32Array(workerData.flag);
let timer = null;
function pass() {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    if (result.log >= workerData.restartFrames) Atomics.store(restartWanted, 0, 1);
  } catch {
    // Transient (e.g. another process holds an exclusive lock): the next pass retries.
  }
  timer = setTimeout(pass, workerData.intervalMs);
}
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(pass, workerData.intervalMs);
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly restartWanted = new Int32Array(new SharedArrayBuffer(4));
  private readonly exited: Promise<void>;
  private closing = false;
  private failed = false;

  constructor(options: WalCheckpointerOptions) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driverPath: require.resolve('better-sqlite3'),
        file: options.file,
        intervalMs: options.intervalMs,
        restartFrames: options.restartFrames,
        flag: this.restartWanted.buffer,
      },
    });
    const fail = (error: unknown) => {
      if (this.closing || this.failed) return;
      this.failed = true;
      options.onFailure(error);
    };
    this.worker.on('error', fail);
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.once('exit', (code) => fail(new Error(`WAL checkpointer exited with code ${code}`)));
  }

  /** True once per request of the worker to rewind the WAL: the caller then checkpoints on its connection. */
  takeRestartRequest(): boolean {
    return Atomics.load(this.restartWanted, 0) === 1 && Atomics.exchange(this.restartWanted, 0, 0) === 1;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.worker.postMessage('close');
    const timeout = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(timeout);
  }
}
