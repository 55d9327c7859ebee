// npm run projections -- <command>
//   status                      every projection: version, generation, position vs head, dead letters, builds
//   rebuild <name|all> [...] [--jobs N] [--batch-size N]
//                               rebuild into a new generation beside the live one, then swap (a running service
//                               keeps answering from the old one and follows the swap within a second);
//                               --jobs N: N processes, default one per core; they share the orders of the
//                               projections folded order by order, or else split the projections
//   dead-letters [name]         the parked events, with their errors
//   dead-letters clear <name|all>
// Uses the service's configuration (DATA_DIR, EVENT_STORE, READ_STORE, ...), and the application's own module
// graph (API role: nothing starts) so every registered projection is known, the deadlines one included.
import type { INestApplicationContext } from '@nestjs/common';
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type AppConfig, ConfigError, loadConfig } from '../platform/config/config';
import type {
  FoldShare,
  ProjectionEngine,
  RebuildProgress,
  RebuildResult,
} from '../platform/projections/projection-engine';
import { streamAt } from '../platform/projections/stream-names';
import type { ReadStore } from '../platform/read-store/read-store.port';

/**
 * The application (Nest and every module) is loaded only after a parallel rebuild has started its other jobs:
 * loading it takes about a second, which they spend loading their own instead of waiting.
 */
function loadApplication() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NestFactory } = require('@nestjs/core') as typeof import('@nestjs/core');
  const { AppModule } = require('../app.module') as typeof import('../app.module');
  const { ProjectionEngine } =
    require('../platform/projections/projection-engine') as typeof import('../platform/projections/projection-engine');
  const { AbortedError } =
    require('../platform/projections/projection-runner') as typeof import('../platform/projections/projection-runner');
  const { RAW_READ_STORE } =
    require('../platform/read-store/read-store.module') as typeof import('../platform/read-store/read-store.module');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { NestFactory, AppModule, ProjectionEngine, AbortedError, RAW_READ_STORE };
}

/**
 * The V8 flags a rebuild runs with (`npm run projections` passes them; the parallel jobs inherit them). A rebuild
 * allocates ~7 GB per job, most of it dying within a page of the feed: a big young generation collects that
 * without copying it, and starting it big (instead of V8's 1 MB, grown step by step) spares the first seconds
 * the scavenges that copied and promoted documents still in the open batch. Measured, 5 alternations of
 * `rebuild all`: 37.2-38.5 s with the minimum set, 37.8-46.3 s without (4 of the 5 pairs quicker).
 */
export const REBUILD_NODE_FLAGS = ['--max-semi-space-size=128', '--min-semi-space-size=64'];

const USAGE = `usage: npm run projections -- status
       npm run projections -- rebuild <name|all> [name...] [--jobs N] [--batch-size N]
       npm run projections -- dead-letters [name]
       npm run projections -- dead-letters clear <name|all>`;

const fmt = (n: number): string => n.toLocaleString('en-US');

/** One line, redrawn in place on a terminal; a line per second otherwise. */
export function progressBar(out: NodeJS.WriteStream = process.stderr): (p: RebuildProgress) => void {
  let lastLine = 0;
  return (p) => {
    const width = 30;
    const fraction = p.fraction ?? 0;
    const filled = Math.round(fraction * width);
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  ` +
      `${fmt(p.processed)} events  ${fmt(p.eventsPerSec)} events/s  ` +
      (p.phase === 'by-stream'
        ? `order by order up to ${p.headPosition ?? '-'}`
        : `position ${p.position ?? '-'} / ${p.headPosition ?? '-'}`) +
      `  ${(p.elapsedMs / 1000).toFixed(1)} s`;
    if (out.isTTY) {
      out.write(`\r${line}`);
      if (fraction >= 1) out.write('\n');
    } else if (p.elapsedMs - lastLine >= 1000 || fraction >= 1) {
      lastLine = p.elapsedMs;
      out.write(`${line}\n`);
    }
  };
}

async function status(engine: ProjectionEngine): Promise<void> {
  const rows = await engine.status();
  console.log(
    ['projection', 'version', 'gen', 'position', 'head', 'behind', 'dead letters', 'state'].join('\t'),
  );
  for (const s of rows) {
    const state = s.building
      ? `building g${s.building.generation} (v${s.building.version}, ${s.building.by}, since ${s.building.startedAt})`
      : s.stale
        ? 'stale'
        : 'ok';
    console.log(
      [
        s.name,
        `v${s.version}`,
        `g${s.generation}`,
        s.position ?? '-',
        s.headPosition ?? '-',
        s.positionsBehind ?? '-',
        s.deadLetters,
        state,
      ].join('\t'),
    );
  }
}

/**
 * Relative cost per event of the known projections, to balance parallel rebuild jobs (unknown: 4): seconds each
 * added to a job over 1,054,257 events, measured alone on 2 shared vCPUs (the feed and start-up cost ~6.5 s).
 */
const REBUILD_WEIGHTS: Record<string, number> = {
  notifications: 12,
  deadlines: 8,
  orders: 9,
  'seller-stats': 4,
  'cancellation-analytics': 1,
};

/**
 * The same for a rebuild folding stream by stream (ProjectionEngine.foldedByStream): seconds each adds to the
 * fold of 1,054,257 events, whose read of the events (stream by stream) costs ~6 s once for all of them.
 */
const FOLD_WEIGHTS: Record<string, number> = { notifications: 11.5, orders: 6.5, deadlines: 4.5 };
const FOLD_READ_WEIGHT = 6;

/**
 * How a parallel rebuild shares the fold by stream between `jobs` processes: the fraction of the streams each
 * folds. The first job also rebuilds the projections that need the feed's order (`feedNames`), so it folds less,
 * down to nothing.
 */
export function foldShares(folded: string[], feedNames: string[], jobs: number): number[] {
  const fold = FOLD_READ_WEIGHT + folded.reduce((sum, n) => sum + (FOLD_WEIGHTS[n] ?? 4), 0);
  // Reading the feed for them costs ~2 s (only their event types).
  const feed = feedNames.reduce((sum, n) => sum + (REBUILD_WEIGHTS[n] ?? 4), feedNames.length ? 2 : 0);
  if (jobs < 2) return [1];
  const each = Math.min((fold + feed) / (jobs * fold), 1 / (jobs - 1));
  const first = 1 - each * (jobs - 1);
  return [first, ...Array.from({ length: jobs - 1 }, () => each)];
}

/** Greedy: heaviest first, each onto the least loaded job. */
export function planJobs(names: string[], jobs: number): string[][] {
  const plan: { names: string[]; load: number }[] = Array.from({ length: Math.max(1, jobs) }, () => ({
    names: [],
    load: 0,
  }));
  const weight = (n: string): number => REBUILD_WEIGHTS[n] ?? 4;
  for (const name of [...names].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const job = plan.reduce((min, j) => (j.load < min.load ? j : min), plan[0]);
    job.names.push(name);
    job.load += weight(name);
  }
  return plan.filter((j) => j.names.length > 0).map((j) => j.names);
}

interface RebuildArgs {
  /** As given: names, or `all` (resolved against the registered projections once the app is up). */
  names: string[];
  jobs: number;
  /** Events per page (and per transaction) of the rebuild. */
  batchSize: number | null;
  /** Internal: this process is job `index` of `of` in a parallel rebuild; it reports as JSON lines. */
  share: { index: number; of: number } | null;
}

/** Checks the arguments' form; the names are checked against the registered projections when `known` is given. */
function parseRebuildArgs(args: string[], known: string[] | null): RebuildArgs {
  // One job per core by default (a job is a process applying its projections, plus a thread committing them):
  // on 2 cores, 2 jobs rebuild ~1.5x faster than one. `--jobs 1` leaves a core to a running service.
  const out: RebuildArgs = { names: [], jobs: availableParallelism(), batchSize: null, share: null };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--batch-size') {
      out.batchSize = Number(args[++i]);
      if (!Number.isInteger(out.batchSize) || out.batchSize < 1) {
        throw new UsageError('--batch-size needs a positive integer');
      }
    } else if (args[i] === '--jobs') {
      out.jobs = Number(args[++i]);
      if (!Number.isInteger(out.jobs) || out.jobs < 1)
        throw new UsageError('--jobs needs a positive integer');
    } else if (args[i] === '--share') {
      const [index, of] = (args[++i] ?? '').split('/').map(Number);
      if (!Number.isInteger(index) || !Number.isInteger(of) || index < 0 || index >= of)
        throw new UsageError('--share needs <index>/<jobs>');
      out.share = { index, of };
    } else out.names.push(args[i]);
  }
  if (out.names.length === 0) throw new UsageError('rebuild needs a projection name or `all`');
  if (!known) return out;
  for (const n of out.names) {
    if (n !== 'all' && !known.includes(n))
      throw new UsageError(`unknown projection ${n} (known: ${known.join(', ')})`);
  }
  out.names = out.names.includes('all') ? known : [...new Set(out.names)];
  return out;
}

const resultLine = (r: RebuildResult): string =>
  `${r.name}: generation ${r.previousGeneration} -> ${r.generation}, ${fmt(r.eventsProcessed)} events in ` +
  `${(r.elapsedMs / 1000).toFixed(1)} s (${fmt(r.eventsPerSec)} events/s), position ${r.position ?? '-'}`;

/** What the process that started a parallel rebuild job gives it to do, as one JSON line on its stdin. */
type JobAssignment = { rebuild: string[] } | { fold: FoldShare };

/**
 * The other jobs of a parallel rebuild: processes of their own (a core each: applying events is CPU-bound),
 * started before this process boots the application, so their start-up overlaps its own instead of following
 * it. Once booted, each waits for its assignment on stdin: projections to rebuild (the split planJobs made), or a
 * share of the streams to fold into the generations this process created (foldShare). They report progress and
 * results as JSON lines.
 */
class RebuildHelpers {
  readonly progress = new Map<number, RebuildProgress>();
  onProgress: () => void = () => undefined;
  private readonly children: ChildProcess[] = [];
  readonly results: Promise<RebuildResult[]>[];
  private readonly folded: { resolve: (events: number) => void; reject: (e: unknown) => void }[] = [];
  private readonly assigned = new Set<number>();
  /** Jobs that ended, with why: a share given to one of them fails at once instead of waiting forever. */
  private readonly ended = new Map<number, Error>();

  constructor(
    args: string[],
    readonly jobs: number,
  ) {
    const entry = __filename.endsWith('.ts')
      ? [join(__dirname, '..', '..', 'scripts', 'run-ts.cjs'), __filename]
      : [__filename];
    this.results = Array.from({ length: jobs - 1 }, (_, i) => this.start(entry, args, i + 1, jobs));
    // Unused when this process fails first (a usage error): it kills them and reports its own error.
    for (const r of this.results) r.catch(() => undefined);
  }

  private start(entry: string[], args: string[], index: number, jobs: number): Promise<RebuildResult[]> {
    return new Promise((resolveJob, reject) => {
      const child = spawn(
        process.execPath,
        [...process.execArgv, ...entry, 'rebuild', ...args, '--share', `${index}/${jobs}`],
        { stdio: ['pipe', 'pipe', 'inherit'], env: process.env },
      );
      this.children[index] = child;
      child.stdin!.on('error', () => undefined); // a job that died: its exit says so
      let results: RebuildResult[] | null = null;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const message = JSON.parse(line) as {
            progress?: RebuildProgress;
            results?: RebuildResult[];
            folded?: number;
          };
          if (message.progress) {
            this.progress.set(index, message.progress);
            this.onProgress();
          }
          if (message.folded !== undefined) this.folded[index]?.resolve(message.folded);
          if (message.results) results = message.results;
        } catch {
          process.stderr.write(`${line}\n`);
        }
      });
      // 'close', not 'exit': every line the job wrote has been read by then.
      child.on('close', (code, signal) => {
        const failure = new Error(`rebuild job ${index + 1} of ${jobs} failed (${signal ?? `exit ${code}`})`);
        this.ended.set(index, failure);
        this.folded[index]?.reject(failure);
        if (code === 0 && results) resolveJob(results);
        else reject(failure);
      });
    });
  }

  /** Job `index` (1..jobs-1) rebuilds these projections. */
  rebuild(index: number, names: string[]): void {
    this.assign(index, { rebuild: names });
  }

  /** Job `index` folds this share; resolves with the events it read once it is done, rejects if it fails. */
  fold(index: number, share: FoldShare): Promise<number> {
    const ended = this.ended.get(index);
    if (ended) return Promise.reject(ended);
    const done = new Promise<number>((resolve, reject) => (this.folded[index] = { resolve, reject }));
    this.assign(index, { fold: share });
    return done;
  }

  /** The jobs given nothing yet have nothing to do (this process ended up doing it all): they exit. */
  release(): void {
    for (let i = 1; i < this.jobs; i++) if (!this.assigned.has(i)) this.rebuild(i, []);
  }

  private assign(index: number, assignment: JobAssignment): void {
    this.assigned.add(index);
    this.children[index]?.stdin?.end(`${JSON.stringify(assignment)}\n`);
  }

  /** Stops the jobs still running (this process failed): their builds are dropped by the next rebuild. */
  kill(): void {
    for (const child of this.children)
      if (child && child.exitCode === null && child.signalCode === null) child.kill();
  }
}

/** A job's assignment, from the process that started it (one line on stdin). */
function readAssignment(): Promise<JobAssignment> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', (line) => {
      resolve(JSON.parse(line) as JobAssignment); // before close(): its 'close' event would reject first
      lines.close();
    });
    lines.once('close', () =>
      reject(new Error('the rebuild that started this job ended before assigning it')),
    );
  });
}

/** Parallel jobs are started before the application boots: only when there is more than one projection. */
function startHelpers(args: string[]): RebuildHelpers | null {
  const { names, jobs, share } = parseRebuildArgs(args, null);
  if (share || jobs < 2 || (names.length < 2 && !names.includes('all'))) return null;
  return new RebuildHelpers(args, jobs);
}

async function rebuild(
  engine: ProjectionEngine,
  args: string[],
  helpers: RebuildHelpers | null,
): Promise<void> {
  const { names, jobs, share, batchSize } = parseRebuildArgs(args, engine.names());
  if (batchSize) engine.options.rebuildBatchSize = batchSize;
  if (share) return runJob(engine);
  // Projections folded stream by stream share the streams between the jobs; otherwise the jobs share projections.
  const folded = helpers ? engine.foldedByStream(names) : [];
  const plan = folded.length ? null : planJobs(names, helpers ? jobs : 1);
  const jobCount = helpers ? (plan ? plan.length : jobs) : 1;
  console.error(
    `rebuilding ${names.join(', ')}${jobCount > 1 ? ` in ${jobCount} parallel jobs` : ''}` +
      `${folded.length && jobCount > 1 ? ` (${folded.join(', ')}: stream by stream, the streams shared)` : ''} ...`,
  );
  const results = helpers
    ? await rebuildInParallel(engine, names, plan, folded, helpers)
    : await engine.rebuild(names, { onProgress: progressBar(), by: 'cli' });
  for (const r of results) console.log(resultLine(r));
  const events = Math.max(...results.map((r) => r.eventsProcessed));
  // From this process's start: the jobs' start-up (module loading, opening the stores) is part of the rebuild.
  const seconds = performance.now() / 1000;
  console.log(
    `rebuilt ${results.length} projection(s) over ${fmt(events)} events in ${seconds.toFixed(1)} s, start-up included ` +
      `(${fmt(Math.round(events / Math.max(seconds, 0.001)))} events/s, ${jobCount} job(s))`,
  );
  console.log('swapped; a running service follows within a second and drops the old generation after that');
}

/** One job of a parallel rebuild: does what it is assigned; progress and results as JSON lines on stdout. */
async function runJob(engine: ProjectionEngine): Promise<void> {
  const assignment = await readAssignment();
  let last = 0;
  const onProgress = (p: RebuildProgress): void => {
    if (p.elapsedMs - last >= 200 || p.fraction === 1) {
      last = p.elapsedMs;
      process.stdout.write(`${JSON.stringify({ progress: p })}\n`);
    }
  };
  if ('fold' in assignment) {
    const folded = await engine.foldShare(assignment.fold, { onProgress });
    process.stdout.write(`${JSON.stringify({ folded })}\n${JSON.stringify({ results: [] })}\n`);
    return;
  }
  const results = assignment.rebuild.length
    ? await engine.rebuild(assignment.rebuild, { by: 'cli', onProgress })
    : [];
  process.stdout.write(`${JSON.stringify({ results })}\n`);
}

/**
 * This process rebuilds with the helpers. Either the plan split the projections (each job reads the whole feed
 * for its own and swaps each when caught up), or, for projections folded stream by stream, every job folds a
 * share of the streams (sized by foldShares) into the generations this process created, and this process also
 * rebuilds the others, then moves the checkpoints and swaps everything. The progress shown is the slowest job's.
 */
async function rebuildInParallel(
  engine: ProjectionEngine,
  names: string[],
  plan: string[][] | null,
  folded: string[],
  helpers: RebuildHelpers,
): Promise<RebuildResult[]> {
  const jobs = plan ? plan.length : helpers.jobs;
  const bar = progressBar();
  const progress = helpers.progress;
  const report = (): void => {
    const reported = Array.from({ length: jobs }, (_, i) => progress.get(i));
    if (reported.some((p) => p === undefined)) return;
    const slowest = (reported as RebuildProgress[]).reduce((a, b) =>
      (a.fraction ?? 0) <= (b.fraction ?? 0) ? a : b,
    );
    bar({ ...slowest, projections: names });
  };
  helpers.onProgress = report;
  const abort = new AbortController();
  const onProgress = (p: RebuildProgress): void => {
    progress.set(0, p);
    report();
  };
  let own: Promise<RebuildResult[]>;
  if (plan) {
    for (let i = 1; i < plan.length; i++) helpers.rebuild(i, plan[i]);
    helpers.release();
    own = engine.rebuild(plan[0], { by: 'cli', signal: abort.signal, onProgress });
  } else {
    const shares = foldShares(
      folded,
      names.filter((n) => !folded.includes(n)),
      jobs,
    );
    // Job i folds the streams from bounds[i] until bounds[i + 1] (the last one to the end).
    const prefix = engine.options.streamPrefix;
    const bounds = shares.map((_, i) =>
      streamAt(
        shares.slice(0, i).reduce((a, b) => a + b, 0),
        prefix,
      ),
    );
    own = engine.rebuild(names, {
      by: 'cli',
      signal: abort.signal,
      onProgress,
      shareStreams: {
        until: bounds[1],
        elsewhere: (share) =>
          Promise.all(
            bounds
              .slice(1)
              .map((from, k) =>
                helpers.fold(k + 1, { ...share, fromStream: from, untilStream: bounds[k + 2] }),
              ),
          ).then((events) => events.reduce((a, b) => a + b, 0)),
      },
    });
    // Nothing to fold (an empty store): the jobs were given nothing.
    void own.finally(() => helpers.release()).catch(() => undefined);
  }
  // A job that fails stops this one too (and main() stops the others); a share of the fold that fails is taken
  // over here instead (the engine rebuilds those projections in the feed's order).
  const others = helpers.results.slice(0, jobs - 1).map((r) =>
    plan
      ? r.catch((e: unknown) => {
          abort.abort();
          throw e;
        })
      : r.catch(() => []),
  );
  const all = await Promise.allSettled([own, ...others]);
  const { AbortedError } = loadApplication();
  const failed = all.find((r) => r.status === 'rejected' && !(r.reason instanceof AbortedError));
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return all.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
}

async function deadLetters(engine: ProjectionEngine, store: ReadStore, args: string[]): Promise<void> {
  const statuses = await engine.status();
  const keyOf = (name: string): string => {
    const s = statuses.find((x) => x.name === name);
    if (!s) throw new UsageError(`unknown projection ${name}`);
    return `${name}@g${s.generation}`;
  };
  if (args[0] === 'clear') {
    if (!args[1]) throw new UsageError('dead-letters clear needs a projection name or `all`');
    const removed =
      args[1] === 'all' ? await store.deleteDeadLetters() : await store.deleteDeadLetters(keyOf(args[1]));
    console.log(`removed ${removed} dead letter(s)`);
    return;
  }
  const letters = await store.listDeadLetters(args[0] ? keyOf(args[0]) : undefined);
  if (letters.length === 0) {
    console.log('no dead letters');
    return;
  }
  for (const d of letters) {
    console.log(
      `${d.checkpointKey}  #${d.position}  ${d.eventType}  ${d.streamName}  parked ${d.parkedAt} after ${d.attempts} attempts`,
    );
    console.log(`    ${d.error.split('\n').join('\n    ')}`);
  }
}

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || !['status', 'rebuild', 'dead-letters'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  // API role: the projections, the deadline poller and the lease all stay idle in this process.
  // A rebuild commits on a second core while this one applies events, and reads the files through memory maps.
  let config: AppConfig;
  try {
    config = loadConfig(process.env, {
      role: 'api',
      logLevel: 'error',
      sqliteWriterThread: command === 'rebuild',
      sqliteMmapBytes: command === 'rebuild' ? 2 ** 32 : undefined,
    });
  } catch (e) {
    // The service's configuration is this command's input too: one line, like the service's start-up check.
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    return 2;
  }
  let app: INestApplicationContext | null = null;
  let helpers: RebuildHelpers | null = null;
  try {
    if (command === 'rebuild') helpers = startHelpers(args);
    const { NestFactory, AppModule, ProjectionEngine, RAW_READ_STORE } = loadApplication();
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
      logger: ['error', 'warn'],
    });
    const engine = app.get(ProjectionEngine);
    // A rebuild process has memory to spare: bigger batches mean fewer, larger transactions and fewer rewrites
    // (pages stay small: rebuildPageSize).
    engine.options.rebuildBatchSize = Math.max(engine.options.rebuildBatchSize, 50_000);
    await engine.initialize();
    if (command === 'status') await status(engine);
    else if (command === 'rebuild') await rebuild(engine, args, helpers);
    else await deadLetters(engine, app.get<ReadStore>(RAW_READ_STORE), args);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      // A parallel job's arguments are its starter's: the starter reports the mistake, once.
      if (!args.includes('--share')) console.error(`${e.message}\n${USAGE}`);
      return 2;
    }
    console.error(e instanceof Error ? e.message : e);
    return 1;
  } finally {
    helpers?.kill();
    await app?.close();
  }
}

// Run directly (node dist/src/cli/projections.cli.js) or through scripts/run-ts.cjs (argv[1] is this file).
if (require.main === module || resolve(process.argv[1] ?? '') === __filename) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
