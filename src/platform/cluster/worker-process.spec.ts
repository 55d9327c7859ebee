import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { WorkerProcess, WorkerStartError } from './worker-process';

/** A forked child as far as WorkerProcess sees it: messages in and out, signals, exit. */
class FakeChild extends EventEmitter {
  static nextPid = 100;
  readonly pid = FakeChild.nextPid++;
  connected = true;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly sent: unknown[] = [];
  readonly signals: string[] = [];

  send(message: unknown, callback?: (error: Error | null) => void): boolean {
    this.sent.push(message);
    callback?.(null);
    return true;
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    return true;
  }
  ready(): void {
    this.emit('message', { type: 'ready' });
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code;
    this.signalCode = signal;
    this.connected = false;
    this.emit('exit', code, signal);
  }
}

function harness() {
  const children: FakeChild[] = [];
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  const worker = new WorkerProcess({
    modulePath: 'main.js',
    args: [],
    execArgv: [],
    env: {},
    logger: { log, warn: log, error: log },
    backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 10_000 },
    fork: () => {
      const child = new FakeChild();
      children.push(child);
      return child as unknown as ChildProcess;
    },
  });
  /** Moves the fake time, firing the timers due meanwhile. */
  const advance = (ms: number) => jest.advanceTimersByTime(ms);
  /** The next child is forked exactly `ms` from now. */
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

describe('WorkerProcess', () => {
  it('starts once the child says it is ready', async () => {
    const h = harness();
    const started = h.worker.start();
    h.children[0].ready();
    await started;
    expect(h.worker.status()).toMatchObject({
      pid: h.children[0].pid,
      running: true,
      ready: true,
      restarts: 0,
    });
    await stopAll(h);
  });

  it('fails the start-up when the child dies before it is ready, and does not restart it', async () => {
    const h = harness();
    const started = h.worker.start();
    h.children[0].exit(1);
    await expect(started).rejects.toThrow(
      new WorkerStartError('worker process exited with code 1 during start-up'),
    );
    expect(jest.getTimerCount()).toBe(0);
    expect(h.children).toHaveLength(1);
    await h.worker.stop();
  });

  it('restarts a child that dies later, with doubling delays reset after a long run', async () => {
    const h = harness();
    const started = h.worker.start();
    h.children[0].ready();
    await started;
    h.children[0].exit(null, 'SIGKILL');
    expect(h.worker.status()).toMatchObject({ running: false, lastExit: 'signal SIGKILL' });
    h.expectRestartIn(100);
    // It dies while starting: the next attempt waits twice as long, then up to the maximum.
    h.children[1].exit(1);
    await Promise.resolve();
    h.expectRestartIn(200);
    h.children[2].exit(1);
    await Promise.resolve();
    h.expectRestartIn(400);
    h.children[3].ready();
    expect(h.worker.status()).toMatchObject({ pid: h.children[3].pid, ready: true, restarts: 3 });
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

  it('stops the child with SIGTERM, SIGKILL when it does not exit in time, and never restarts it', async () => {
    const h = harness();
    const started = h.worker.start();
    const child = h.children[0];
    child.ready();
    await started;
    const stopped = h.worker.stop();
    expect(child.signals).toEqual(['SIGTERM']);
    h.advance(15_000);
    expect(child.signals).toEqual(['SIGTERM', 'SIGKILL']);
    child.exit(null, 'SIGKILL');
    await stopped;
    expect(jest.getTimerCount()).toBe(0);
    expect(h.children).toHaveLength(1);
  });

  it('asks the child for its status; null when it does not answer in time', async () => {
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
