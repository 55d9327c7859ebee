// npm run bench [-- write|write-single|write-api|read|rebuild|deadlines ...]: builds once, runs the selected
// benches (all but `rebuild`, which `read` includes, by default) and prints each figure with the same run's baseline.
import { buildOnce } from './lib';
import { runWriteBench } from './write.bench';

type Bench = { name: string; run: () => Promise<unknown>; onlyWhenAsked?: boolean };

async function main(): Promise<void> {
  // Bench names; `--flag value` pairs are options the benches read themselves (benchFlag in lib.ts).
  const wanted = process.argv
    .slice(2)
    .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  const benches: Bench[] = [
    { name: 'write', run: () => runWriteBench({ topology: 'split' }) },
    { name: 'write-single', run: () => runWriteBench({ topology: 'single' }) },
    { name: 'write-api', run: () => runWriteBench({ topology: 'api' }) },
    { name: 'access-log', run: runAccessLogBench },
  ];
  for (const extra of ['read', 'deadlines', 'cores', 'projection-cost']) {
    try {
      // Sibling benches register themselves by exporting `run`.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(`./${extra}.bench`) as {
        run?: () => Promise<unknown>;
        runRebuildBench?: () => Promise<unknown>;
      };
      if (mod.run) benches.push({ name: extra, run: mod.run });
      if (mod.runRebuildBench)
        benches.push({ name: 'rebuild', run: mod.runRebuildBench, onlyWhenAsked: true });
    } catch (e) {
      if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  buildOnce();
  for (const b of benches) {
    if (wanted.length ? !wanted.includes(b.name) : b.onlyWhenAsked) continue;
    console.log(`\n=== bench: ${b.name}`);
    const result = await b.run();
    console.log(JSON.stringify(result, null, 2));
    report(b.name, result);
  }
}

const TOPOLOGY = {
  split: 'API process + worker process',
  single: 'APP_ROLE=all: API process + its worker child',
  inline: 'one process, APP_ROLE=all APP_WORKERS=inline',
  api: 'API process alone, no read side running',
} as const;

/**
 * The access log's cost: the write side alone (APP_ROLE=api) with LOG_LEVEL=warn (no access line) and
 * LOG_LEVEL=info (one JSON line per request), alternated twice in the same run.
 */
async function runAccessLogBench(): Promise<unknown> {
  const runs: { logLevel: string; okPerSec: number; p99: number; cpuMicros: number }[] = [];
  for (const logLevel of ['warn', 'info', 'warn', 'info']) {
    const r = await runWriteBench({ topology: 'api', logLevel });
    runs.push({
      logLevel,
      okPerSec: r.commands.okPerSec,
      p99: r.commands.p99,
      cpuMicros: r.apiCpuMicrosPerCommand,
    });
  }
  const mean = (level: string, key: 'okPerSec' | 'p99' | 'cpuMicros') => {
    const xs = runs.filter((r) => r.logLevel === level).map((r) => r[key]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const ratio = mean('info', 'okPerSec') / mean('warn', 'okPerSec');
  const cpuRatio = mean('info', 'cpuMicros') / mean('warn', 'cpuMicros');
  console.log(
    `access-log: commands/s with the access log at ${ratio.toFixed(2)}× of without ` +
      `(p99 ${mean('info', 'p99').toFixed(1)} ms vs ${mean('warn', 'p99').toFixed(1)} ms); API CPU per command ` +
      `${mean('info', 'cpuMicros').toFixed(0)} µs vs ${mean('warn', 'cpuMicros').toFixed(0)} µs (${cpuRatio.toFixed(2)}×)`,
  );
  return { runs, ratio, cpuRatio };
}

function report(name: string, r: unknown): void {
  if (!name.startsWith('write')) return;
  const w = r as Awaited<ReturnType<typeof runWriteBench>>;
  console.log(
    `${name} (${TOPOLOGY[w.topology]}): ${w.commands.okPerSec} commands/s (p50 ${w.commands.p50} ms, p99 ${w.commands.p99} ms, ` +
      `non-2xx ${w.commands.non2xx}, errors ${w.commands.errors}); peak RSS ${w.peakRssMb} MB` +
      (w.workerPeakRssMb !== null ? ` (worker ${w.workerPeakRssMb} MB)` : '') +
      '; ' +
      `baseline GET /health ${w.health.okPerSec} req/s → commands at ${(w.commands.okPerSec / w.health.okPerSec).toFixed(2)}× of health`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
