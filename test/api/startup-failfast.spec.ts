// Start-up against a production store that does not answer: the real service process (`node scripts/run-ts.cjs
// src/main.ts`) must exit non-zero within its connect timeout, saying on stderr which store and which variable,
// in one line per report and without stack traces. Nothing listens on the ports used (one is bound and released
// first), so this runs without any database.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/ports';

jest.setTimeout(90_000);

const ROOT = resolve(__dirname, '..', '..');

/** Where nothing listens: a port the kernel just reported free on the loopback. */
const closedPort = () => freePort('127.0.0.1');

async function startService(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; ms: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-failfast-'));
  const started = Date.now();
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'run-ts.cjs'), join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'error', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  clearTimeout(timer);
  rmSync(dataDir, { recursive: true, force: true });
  // eslint-disable-next-line no-control-regex
  return { code, stderr: stderr.replace(/\u001b\[[0-9;]*m/g, ''), ms: Date.now() - started };
}

function expectOneLineReports(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(line).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('start-up with an unreachable production store', () => {
  it('EVENT_STORE=esdb: exits non-zero at once, naming EventStoreDB and ESDB_CONNECTION_STRING', async () => {
    const port = await closedPort();
    const result = await startService({
      EVENT_STORE: 'esdb',
      ESDB_CONNECTION_STRING: `esdb://admin:changeit@127.0.0.1:${port}?tls=false`,
    });
    expect(result.code).not.toBe(0);
    expectOneLineReports(
      result.stderr,
      new RegExp(
        `EventStoreDB unreachable at esdb://\\*\\*\\*@127\\.0\\.0\\.1:${port}.*\\(ESDB_CONNECTION_STRING\\)`,
      ),
    );
    expect(result.stderr).not.toContain('changeit');
  });

  it('READ_STORE=mongo: exits non-zero within the connect timeout, naming MongoDB and MONGODB_URI', async () => {
    const port = await closedPort();
    const result = await startService({ READ_STORE: 'mongo', MONGODB_URI: `mongodb://127.0.0.1:${port}/rc` });
    expect(result.code).not.toBe(0);
    expectOneLineReports(
      result.stderr,
      new RegExp(`MongoDB unreachable at mongodb://127\\.0\\.0\\.1:${port}/rc \\(MONGODB_URI\\)`),
    );
  });
});

describe('start-up refusals in production (any NODE_ENV but development/test, any case)', () => {
  it.each([
    ['NODE_ENV=Production with CLOCK=manual', { NODE_ENV: 'Production', CLOCK: 'manual' }, /CLOCK=manual/],
    ['a 16-character secret', { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(16) }, /at least 32/],
    ['the in-memory stores', { NODE_ENV: 'staging', EVENT_STORE: 'memory' }, /in-memory/],
    ['no secret and no JWKS', { NODE_ENV: 'PRODUCTION', AUTH_JWT_SECRET: '' }, /AUTH_JWT_SECRET is required/],
    ['a JWKS over http', { NODE_ENV: 'prod', AUTH_JWKS_URL: 'http://idp.example/jwks' }, /https/],
  ])('%s: exits non-zero before listening, with one line', async (_name, env, message) => {
    const result = await startService({ AUTH_JWT_SECRET: 'p'.repeat(40), ...env });
    expect(result.code).not.toBe(0);
    expectOneLineReports(result.stderr, message);
    expect(result.ms).toBeLessThan(10_000 * 3); // the contract's 10 s, with room for a loaded test machine
  });
});
