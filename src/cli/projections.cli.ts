// npm run projections -- <command>, on the service's configuration: the stores and the projection engine only. A
// rebuild fills a new generation beside the live one, then swaps (a running service follows within a second).
import { Logger } from '@nestjs/common';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppConfig, ConfigError, loadConfig } from '../platform/config/config';
import { createEventStore } from '../platform/event-store/event-store.module';
import type { EventStore } from '../platform/event-store/event-store.port';
import { ProjectionEngine, type RebuildProgress } from '../platform/projections/projection-engine';
import { createReadStore } from '../platform/read-store/read-store.module';
import type { ReadStore } from '../platform/read-store/read-store.port';
import { productProjections } from '../orders/projections';

/** `npm run projections` runs with these: a rebuild's garbage dies young, in a big young generation. */
export const REBUILD_NODE_FLAGS = ['--max-semi-space-size=128', '--min-semi-space-size=64'];

const USAGE = `usage: npm run projections -- status
       npm run projections -- rebuild <name|all> [name...] [--batch-size N]
       npm run projections -- dead-letters [name]
       npm run projections -- dead-letters clear <name|all>`;

/** Checks the whole command line before any store is opened. */
function parseCommand(argv: string[], known: string[]) {
  const options = { 'batch-size': { type: 'string' } } as const;
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [name, ...args] = positionals;
  if (name !== 'status' && name !== 'rebuild' && name !== 'dead-letters')
    throw new Error(name ? `unknown command ${name}` : 'a command is needed');
  // A rebuild process has memory to spare: bigger batches rewrite each document fewer times.
  const batchSize = Number(values['batch-size'] ?? 50_000);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('--batch-size needs a positive integer');
  const clear = name === 'dead-letters' && args[0] === 'clear';
  const names = clear ? args.slice(1) : args;
  if ((name === 'rebuild' || clear) && names.length === 0)
    throw new Error(`${clear ? 'dead-letters clear' : 'rebuild'} needs a projection name or \`all\``);
  const unknown = names.filter((n) => n !== 'all' && !known.includes(n));
  if (unknown.length)
    throw new Error(`unknown projection(s): ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return { name, args, batchSize };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** One line, redrawn in place on a terminal; a line per second otherwise. */
function progressBar(out: NodeJS.WriteStream = process.stderr): (p: RebuildProgress) => void {
  let lastLine = -Infinity;
  return (p) => {
    const done = p.fraction >= 1;
    if (!out.isTTY && p.elapsedMs - lastLine < 1000 && !done) return;
    lastLine = p.elapsedMs;
    const filled = Math.round(p.fraction * 30);
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${(p.fraction * 100).toFixed(1).padStart(5)}%  ` +
      `${fmt(p.processed)} events  ${fmt(p.eventsPerSec)} events/s  ` +
      `position ${p.position ?? '-'} / ${p.headPosition ?? '-'}  ${(p.elapsedMs / 1000).toFixed(1)} s`;
    out.write(out.isTTY ? `\r${line}${done ? '\n' : ''}` : `${line}\n`);
  };
}

async function status(engine: ProjectionEngine): Promise<void> {
  const row = (cells: unknown[]): void => console.log(cells.map((c) => c ?? '-').join('\t'));
  row(['projection', 'version', 'gen', 'position', 'head', 'behind', 'dead letters', 'state']);
  for (const s of await engine.status()) {
    const b = s.building;
    const building = b && `building g${b.generation} (v${b.version}, ${b.by}, since ${b.startedAt})`;
    const cells = [s.name, `v${s.version}`, `g${s.generation}`, s.position, s.headPosition];
    row([...cells, s.positionsBehind, s.deadLetters, building || (s.stale ? 'stale' : 'ok')]);
  }
}

async function rebuild(engine: ProjectionEngine, names: string[]): Promise<void> {
  const started = performance.now();
  const results = await engine.rebuild(names.includes('all') ? 'all' : names, { onProgress: progressBar() });
  for (const r of results)
    console.log(
      `${r.name}: generation ${r.previousGeneration} -> ${r.generation}, ${fmt(r.eventsProcessed)} events in ` +
        `${(r.elapsedMs / 1000).toFixed(1)} s (${fmt(r.eventsPerSec)} events/s), position ${r.position ?? '-'}`,
    );
  const seconds = (performance.now() - started) / 1000;
  const events = results[0]?.eventsProcessed ?? 0;
  console.log(
    `rebuilt ${results.length} projection(s) over ${fmt(events)} events in ${seconds.toFixed(1)} s ` +
      `(${fmt(Math.round(events / Math.max(seconds, 0.001)))} events/s)`,
  );
}

async function deadLetters(engine: ProjectionEngine, store: ReadStore, args: string[]): Promise<void> {
  const clear = args[0] === 'clear';
  const name = clear ? args[1] : args[0];
  // The dead letters of the generation readers use; none named, or `all`: every projection's.
  const generation = (await engine.status()).find((s) => s.name === name)?.generation;
  const key = generation === undefined ? undefined : `${name}@g${generation}`;
  if (clear) {
    console.log(`removed ${await store.deleteDeadLetters(key)} dead letter(s)`);
    return;
  }
  const letters = await store.listDeadLetters(key);
  if (letters.length === 0) console.log('no dead letters');
  for (const d of letters) {
    console.log(
      `${d.checkpointKey}  #${d.position}  ${d.eventType}  ${d.streamName}  parked ${d.parkedAt} after ${d.attempts} attempts`,
    );
    console.log(`    ${d.error.split('\n').join('\n    ')}`);
  }
}

/** Adapters that connect (EventStoreDB, MongoDB) do it in onModuleInit; outside Nest it is called here. */
async function connect(store: unknown): Promise<void> {
  const init = (store as { onModuleInit?: () => Promise<void> }).onModuleInit;
  if (init) await init.call(store);
}

async function main(argv: string[]): Promise<number> {
  const product = productProjections();
  const known = product.projections.map((p) => p.name);
  let command: ReturnType<typeof parseCommand>;
  let config: AppConfig;
  try {
    command = parseCommand(argv, known);
    config = loadConfig(process.env, { role: 'api', logLevel: 'error' });
  } catch (e) {
    // Bad input or a bad configuration (the service's is this command's input too): one line, no stack trace.
    console.error(e instanceof ConfigError ? e.message : `${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  Logger.overrideLogger(['error', 'warn']);
  let events: EventStore | undefined;
  let store: ReadStore | undefined;
  let engine: ProjectionEngine | undefined;
  try {
    events = createEventStore({
      kind: config.eventStore,
      dataDir: config.dataDir,
      esdbConnectionString: config.esdbConnectionString,
      upcasters: product.upcasters,
    });
    store = createReadStore(config);
    await connect(events);
    await connect(store);
    const { streamPrefix } = product;
    engine = new ProjectionEngine(events, store, { streamPrefix, rebuildBatchSize: command.batchSize });
    for (const p of product.projections) engine.register(p);
    await engine.initialize();
    if (command.name === 'status') await status(engine);
    else if (command.name === 'rebuild') await rebuild(engine, command.args);
    else await deadLetters(engine, store, command.args);
    return 0;
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    return 1;
  } finally {
    await engine?.dispose();
    await store?.close();
    await events?.close();
  }
}

// Run directly (node dist/cli/projections.cli.js) or through scripts/run-ts.cjs (argv[1] is this file); an
// unexpected error ends the process with its stack trace.
if (require.main === module || resolve(process.argv[1] ?? '') === __filename) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
