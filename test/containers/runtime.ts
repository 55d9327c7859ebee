// Does a container runtime answer? Asked of testcontainers itself (the same strategies it uses to start
// containers: DOCKER_HOST, ~/.testcontainers.properties, the Docker socket, Podman, Colima, …), once per jest
// run, with a timeout. Jest registers tests synchronously while it loads a file, so the (asynchronous) question
// is asked in a child process and the answer is cached for the run in a temp file shared by the workers.
//
// Where nothing answers, the suites are registered as ONE visibly skipped test whose title carries the reason,
// and a warning is printed: jest counts them as skipped, never as passed. CONTAINERS_REQUIRED=1 turns "no
// runtime" into a failure instead (for a CI that has Docker and must not silently skip).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { itSkippedWithReason } from '../support/skip-with-reason';

export type RuntimeAnswer = { available: true; info: string } | { available: false; reason: string };

const ROOT = resolve(__dirname, '..', '..');
const PROBE_TIMEOUT_MS = Number(process.env.CONTAINERS_PROBE_TIMEOUT_MS ?? 15_000);
/** Answers older than this are asked again (a later run on the same machine may have Docker). */
const CACHE_TTL_MS = 2 * 60_000;

/** Prints one JSON line (the same probe .ci/run uses to require the container suites). */
const PROBE = join(ROOT, 'scripts', 'container-runtime.cjs');

let memo: RuntimeAnswer | undefined;

function cacheFile(): string {
  // One file per jest run: workers share the parent's pid; the environment can also pin it.
  const run = process.env.JEST_RUN_ID ?? String(process.env.JEST_WORKER_ID ? process.ppid : process.pid);
  return join(tmpdir(), `rc-container-runtime-${run}.json`);
}

function probe(): RuntimeAnswer {
  const result = spawnSync(process.execPath, [PROBE], {
    cwd: ROOT,
    timeout: PROBE_TIMEOUT_MS,
    encoding: 'utf8',
    env: { ...process.env, DEBUG: '' },
  });
  if (result.error) {
    const timedOut = (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    return {
      available: false,
      reason: timedOut
        ? `testcontainers found no runtime within ${PROBE_TIMEOUT_MS} ms`
        : `probe failed: ${result.error.message}`,
    };
  }
  const line = result.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) {
    return { available: false, reason: `probe gave no answer: ${result.stderr.trim().split('\n')[0] ?? ''}` };
  }
  return JSON.parse(line) as RuntimeAnswer;
}

/** What an operator checks first when nothing answers. */
function environmentHint(): string {
  const host = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : 'DOCKER_HOST unset';
  const socket = existsSync('/var/run/docker.sock')
    ? '/var/run/docker.sock present'
    : 'no /var/run/docker.sock';
  return `${host}, ${socket}`;
}

/** Synchronous and memoised: usable at the top level of a test file. */
export function containerRuntime(): RuntimeAnswer {
  if (memo) return memo;
  const file = cacheFile();
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { at: number; answer: RuntimeAnswer };
    if (Date.now() - cached.at < CACHE_TTL_MS) return (memo = cached.answer);
  } catch {
    // no answer cached for this run yet
  }
  memo = probe();
  if (!memo.available) memo = { available: false, reason: `${memo.reason}; ${environmentHint()}` };
  try {
    writeFileSync(file, JSON.stringify({ at: Date.now(), answer: memo }));
  } catch {
    // caching is an optimisation only
  }
  return memo;
}

/**
 * `describe(title, body)` when a container runtime answers. Otherwise one skipped test under a title that says
 * why, and a warning on stderr; with CONTAINERS_REQUIRED=1 a failing test instead.
 */
export function describeWithContainers(title: string, body: () => void): void {
  const runtime = containerRuntime();
  if (runtime.available) {
    describe(`${title} (${runtime.info})`, body);
    return;
  }
  const reason = runtime.reason.replace(/\s+/g, ' ').trim();
  const skippedTitle = `${title} — SKIPPED: no container runtime (${reason})`;
  if (process.env.CONTAINERS_REQUIRED === '1') {
    describe(title, () => {
      it('needs a container runtime (CONTAINERS_REQUIRED=1)', () => {
        throw new Error(`No container runtime: ${reason}`);
      });
    });
    return;
  }
  describe(skippedTitle, () => {
    itSkippedWithReason(
      'runs against real servers in containers',
      `no container runtime (${reason}); start Docker or Podman (or set DOCKER_HOST) to run it`,
      `[containers] ${title}: `,
    );
  });
}

/** Generous: the first run pulls images. */
export const CONTAINER_START_TIMEOUT_MS = 240_000;
