// The service as a real child process (`node scripts/run-ts.cjs src/main.ts`) on an ephemeral port: PORT=0, and
// the port the kernel picked is read from the child's stdout (announce-listening-port.ts). Nothing guesses a
// port, so concurrent suites on one machine never collide, and a test never talks to another suite's server.
import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { LISTENING_MARKER } from './listening-port.marker';

const ROOT = resolve(__dirname, '..', '..');

export interface ServiceProcess {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the child wrote, prefixed with its name (shown when a start or a test fails). */
  output: string[];
  /** SIGTERM and wait for the exit (nothing if it already exited). */
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  env: Record<string, string>;
  /** Polled after the port is announced until it answers at all, whatever the status (default `/health`). */
  readyPath?: string;
  /** Only guards against a hang: a start on a loaded 2-core machine may take long. */
  timeoutMs?: number;
}

export async function startServiceProcess(options: StartOptions): Promise<ServiceProcess> {
  const { name, env, readyPath = '/health', timeoutMs = 90_000 } = options;
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(ROOT, 'scripts', 'ts-hook.cjs'),
      '-r',
      join(ROOT, 'test', 'support', 'announce-listening-port.ts'),
      join(ROOT, 'scripts', 'run-ts.cjs'),
      join(ROOT, 'src', 'main.ts'),
    ],
    { cwd: ROOT, env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const pattern = new RegExp(`${escape(LISTENING_MARKER)} pid=${child.pid} port=(\\d+)`);
  let stdout = '';
  const port = new Promise<number>((resolvePort, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      const text = b.toString();
      output.push(`[${name}] ${text}`);
      stdout += text;
      const match = pattern.exec(stdout);
      if (match) resolvePort(Number(match[1]));
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${output.join('')}`)),
    );
  });
  port.catch(() => undefined); // an exit after the start is the test's business, not an unhandled rejection
  child.stderr?.on('data', (b: Buffer) => output.push(`[${name}] ${b.toString()}`));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const giveUp = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    const listening = await Promise.race([
      port,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${name} did not listen in ${timeoutMs} ms:\n${output.join('')}`)),
          timeoutMs,
        );
      }),
    ]);
    const url = `http://127.0.0.1:${listening}`;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${name} exited with ${child.exitCode}:\n${output.join('')}`);
      try {
        await fetch(`${url}${readyPath}`);
        return { name, url, port: listening, child, output, stop };
      } catch {
        // not answering yet
      }
      if (Date.now() > giveUp)
        throw new Error(`${name} was not ready in ${timeoutMs} ms:\n${output.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
