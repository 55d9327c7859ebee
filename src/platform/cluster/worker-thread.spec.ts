import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { WorkerStartError, WorkerThread } from './worker-thread';

/** A worker thread as far as WorkerThread sees it: messages in and out, terminate, exit. */
class FakeWorker extends EventEmitter {
  static nextId = 100;
  readonly threadId = FakeWorker.nextId++;
  readonly sent: unknown[] = [];
  terminated = false;

  postMessage(message: unknown): void {
    this.sent.push(message);
  }
  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(1);
  }
  ready(): void {
    this.emit('message', { type: 'ready' });
  }
  exit(code: number): void {
    this.emit('exit', code);
  }
}

function harness() {
  const children: FakeWorker[] = [];
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  const worker = new WorkerThread({
    modulePath: 'main.js',
    argv: [],
    resourceLimits: {},
    env: {},
    logger: { log, warn: log, error: log },
    backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 10_000 },
    spawn: () => {
      const child = new FakeWorker();
      children.push(child);
      return child as unknown as Worker;
    },
  });
  /** Moves the fake time, firing the timers due meanwhile. */
  const advance = (ms: number) => jest.advanceTimersByTime(ms);
  /** The next thread is started exactly `ms` from now. */
  const expectRestartIn = (ms: number) => {
    const forked = children.length;
    advance(ms - 1);
    expect(children).toHaveLength(forked);
    advance(1);
    expect(children).toHaveLength(forked + 1);
  };
  return { worker, children, advance, expectRestartIn, logs };
}

beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
afterEach(() => jest.useRealTimers());

describe('WorkerThread', () => {
  it('starts once the thread says it is ready', async () => {
    const h = harness();
    const started = h.worker.start();
    h.children[0].ready();
    await started;
    expect(h.worker.status()).toMatchObject({
      threadId: h.children[0].threadId,
      running: true,
      ready: true,
      restarts: 0,
    });
    await stopAll(h);
  });

  it('fails the start-up when the thread dies before it is ready, and does not restart it', async () => {
    const h = harness();
    const started = h.worker.start();
    h.children[0].exit(1);
    await expect(started).rejects.toThrow(
      new WorkerStartError('worker thread exited with code 1 during start-up'),
    );
    expect(jest.getTimerCount()).toBe(0);
    expect(h.children).toHaveLength(1);
    await h.worker.stop();
  });

  it('fails the start-up with the error the thread threw before it was ready', async () => {
    const h = harness();
    const started = h.worker.start();
    h.children[0].emit('error', new Error('SQLITE_CANTOPEN'));
    h.children[0].exit(1);
    await expect(started).rejects.toThrow(
      new WorkerStartError('worker thread failed to start: SQLITE_CANTOPEN'),
    );
    await h.worker.stop();
  });

  it('restarts a thread that dies later, with doubling delays reset after a long run', async () => {
    const h = harness();
    const started = h.worker.start();
    h.children[0].ready();
    await started;
    h.children[0].exit(1);
    expect(h.worker.status()).toMatchObject({ running: false, lastExit: 'code 1' });
    h.expectRestartIn(100);
    // It dies while starting: the next attempt waits twice as long, then up to the maximum.
    h.children[1].exit(1);
    await Promise.resolve();
    h.expectRestartIn(200);
    h.children[2].exit(1);
    await Promise.resolve();
    h.expectRestartIn(400);
    h.children[3].ready();
    expect(h.worker.status()).toMatchObject({ threadId: h.children[3].threadId, ready: true, restarts: 3 });
    // One that ran long enough starts the delays over.
    h.advance(10_000);
    h.children[3].exit(1);
    h.expectRestartIn(100);
    // A restart pending when the worker is stopped does not happen.
    h.children[4].exit(1);
    await Promise.resolve();
    await h.worker.stop();
    h.advance(1000);
    expect(h.children).toHaveLength(5);
  });

  it('asks the thread to stop, terminates it when it does not exit in time, and never restarts it', async () => {
    const h = harness();
    const started = h.worker.start();
    const child = h.children[0];
    child.ready();
    await started;
    const stopped = h.worker.stop();
    expect(child.sent).toEqual([{ type: 'stop' }]);
    h.advance(14_999);
    expect(child.terminated).toBe(false);
    h.advance(1);
    expect(child.terminated).toBe(true);
    child.exit(1);
    await stopped;
    expect(jest.getTimerCount()).toBe(0);
    expect(h.children).toHaveLength(1);
  });

  it('asks the thread for its status; null when it does not answer in time', async () => {
    const h = harness();
    const started = h.worker.start();
    const child = h.children[0];
    child.ready();
    await started;
    const answered = h.worker.request(1000);
    const { id } = child.sent[0] as { id: number };
    child.emit('message', { type: 'status-reply', id, status: { leader: true } });
    await expect(answered).resolves.toEqual({ leader: true });
    const silent = h.worker.request(1000);
    h.advance(1000);
    await expect(silent).resolves.toBeNull();
    await stopAll(h);
  });
});

async function stopAll(h: ReturnType<typeof harness>): Promise<void> {
  const stopped = h.worker.stop();
  h.children.at(-1)?.exit(0);
  await stopped;
}
