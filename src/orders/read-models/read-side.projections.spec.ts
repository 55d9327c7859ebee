// Every projection (the read side's and the deadlines one) against realistic lifecycles from the real decider:
// replays change nothing, a rebuild from zero equals the live read models, crashes mid-batch lose nothing and
// count nothing twice.
import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  EventStore,
  ReadAllOptions,
  StoredEvent,
  SubscribeOptions,
} from '../../platform/event-store/event-store.port';
import { InMemoryEventStore } from '../../platform/event-store/in-memory/in-memory-event-store';
import { InMemoryReadStore } from '../../platform/read-store/in-memory/in-memory-read-store';
import { ProjectionEngine } from '../../platform/projections/projection-engine';
import type { DocumentWriter, Projection, ReadStore } from '../../platform/read-store/read-store.port';
import { RoutedReadStore } from '../../platform/read-store/routed-read-store';
import { SqliteReadStore } from '../../platform/read-store/sqlite/sqlite-read-store';
import { ORDER_EVENT_TYPES } from '../domain/order.events';
import { DeadlinesProjection } from '../timeouts/deadlines.projection';
import { CASE_OUTCOMES } from './dispute-analytics/dispute-analytics.query';
import { createReadSideProjections } from './read-side.projections';
import { simulateOrders, type SimulatedEvent } from './testing/order-simulation';
import { appendSimulated, dumpReadModels } from './testing/read-models';

const FAST = { retryBaseDelayMs: 1, maxBackoffMs: 5, idlePollMs: 20, registryPollMs: 60_000, dropGraceMs: 0 };
const allProjections = (): Projection[] => [...createReadSideProjections(), new DeadlinesProjection()];

/** An event store that hands out every event twice: in pages and through subscriptions. */
function duplicating(inner: EventStore): EventStore {
  return {
    append: (...a) => inner.append(...a),
    readStream: (s) => inner.readStream(s),
    headPosition: () => inner.headPosition(),
    close: () => inner.close(),
    async readAll(options: ReadAllOptions) {
      const page = await inner.readAll({
        ...options,
        maxCount: Math.max(1, Math.floor(options.maxCount / 2)),
      });
      return page.flatMap((e) => [e, { ...e }]);
    },
    subscribeToAll(options: SubscribeOptions, handler, onError) {
      return inner.subscribeToAll(
        options,
        async (e) => {
          await handler(e);
          await handler({ ...e });
        },
        onError,
      );
    },
  };
}

// Each test folds 400 simulated orders several times: ~5 s alone, more on a busy machine (jest's default is 5 s).
jest.setTimeout(60_000);

describe('read-side projections over simulated lifecycles', () => {
  let simulated: SimulatedEvent[];
  let events: InMemoryEventStore;
  let reference: Record<string, Record<string, unknown>>;
  const engines: ProjectionEngine[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    simulated = [...simulateOrders({ orders: 400, concurrency: 60, seed: 7 })];
    // The reference: every event applied once, in order, one transaction per event, no engine involved.
    const store = new InMemoryReadStore();
    const projections = allProjections();
    for (const e of simulated) {
      const stored = toStored(e);
      for (const p of projections) await store.write((w) => p.apply(stored, w));
    }
    reference = await dumpReadModels(store, projections);
  });
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  beforeEach(async () => {
    const clock = { now: new Date(0) };
    events = new InMemoryEventStore({ now: () => clock.now });
    await appendSimulated(events, simulated, clock);
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.dispose()));
    await events.close();
  });

  let position = 0;
  function toStored(e: SimulatedEvent): StoredEvent {
    return {
      id: e.event.id,
      streamName: e.streamName,
      revision: e.revision,
      position: String(++position),
      type: e.event.type,
      data: e.event.data,
      metadata: e.event.metadata,
      recordedAt: e.at.toISOString(),
    };
  }

  const engineOn = (source: EventStore, store: ReadStore, options = {}): ProjectionEngine => {
    const engine = new ProjectionEngine(source, store, { ...FAST, ...options });
    for (const p of allProjections()) engine.register(p);
    engines.push(engine);
    return engine;
  };
  const dump = (store: ReadStore, engine: ProjectionEngine) =>
    dumpReadModels(new RoutedReadStore(store, engine.router), allProjections());

  it('the simulation covers the lifecycle: every event type, every cancellation mode', () => {
    const types = new Set(simulated.map((e) => e.event.type));
    expect(types.size).toBeGreaterThanOrEqual(18);
    // Issue 17: partial refunds and every step of a support case, each outcome.
    expect(ORDER_EVENT_TYPES.filter((t) => !types.has(t))).toEqual([]);
    const outcomes = new Set(
      simulated
        .filter((e) => e.event.type === 'SupportCaseResolved')
        .map((e) => (e.event.data as { outcome: string }).outcome),
    );
    expect([...outcomes].sort()).toEqual([...CASE_OUTCOMES].sort());
    expect(Object.keys(reference['support-queue/support_cases']).length).toBeGreaterThan(10);
    const modes = new Set(
      simulated
        .filter((e) => e.event.type === 'OrderCancelled')
        .map((e) => (e.event.data as { mode: string }).mode),
    );
    expect([...modes].sort()).toEqual(['auto_accepted', 'forced', 'mutual', 'support', 'unilateral']);
    expect(Object.keys(reference['orders/order_pages']).length).toBe(400);
  });

  it('the engine (batches, live) builds exactly the reference read models', async () => {
    const store = new InMemoryReadStore();
    const engine = engineOn(events, store, { batchSize: 37 });
    await engine.start();
    await engine.catchUp();
    expect(await dump(store, engine)).toEqual(reference);
  });

  it('every event delivered twice, through pages and the live feed: identical read models', async () => {
    const store = new InMemoryReadStore();
    const engine = engineOn(duplicating(events), store, { batchSize: 50 });
    await engine.catchUp();
    expect(await dump(store, engine)).toEqual(reference);
    await engine.start();
    const more = [
      ...simulateOrders({ orders: 20, seed: 99, idPrefix: 'late-', start: new Date('2026-01-01') }),
    ];
    const last = await appendSimulated(events, more);
    expect(await engine.waitForPosition(last!, 5000)).toBe(true);
    await engine.stop();
    // Same result as a clean engine over the same events.
    const clean = new InMemoryReadStore();
    const cleanEngine = engineOn(events, clean);
    await cleanEngine.catchUp();
    expect(await dump(store, engine)).toEqual(await dump(clean, cleanEngine));
  });

  it('each of our projections applied twice per event, past the engine: identical read models', async () => {
    const store = new InMemoryReadStore();
    const projections = createReadSideProjections();
    for (const e of await events.readAll({ after: null, maxCount: 100_000 })) {
      for (const p of projections) {
        await store.write(async (w: DocumentWriter) => {
          await p.apply(e, w);
          await p.apply(e, w);
        });
        await store.write((w) => p.apply(e, w)); // and once more, in a later batch
      }
    }
    const expected = Object.fromEntries(
      Object.entries(reference).filter(([k]) => !k.startsWith('deadlines/')),
    );
    expect(await dumpReadModels(store, projections)).toEqual(expected);
  });

  it('a rebuild from zero gives the same read models as the live ones (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rc-rebuild-'));
    const store = new SqliteReadStore({ dataDir: dir });
    try {
      const engine = engineOn(events, store, { batchSize: 64, rebuildBatchSize: 500 });
      await engine.start();
      await engine.catchUp();
      const live = await dump(store, engine);
      expect(live).toEqual(reference);
      const results = await engine.rebuild('all');
      expect(results.map((r) => r.generation)).toEqual(results.map(() => 2));
      expect(await dump(store, engine)).toEqual(live);
    } finally {
      await Promise.all(engines.splice(0).map((e) => e.dispose()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rebuilt one at a time: the same read models', async () => {
    const store = new InMemoryReadStore();
    const engine = engineOn(events, store, { rebuildBatchSize: 300 });
    for (const p of allProjections()) await engine.rebuild([p.name]);
    expect(await dump(store, engine)).toEqual(reference);
  });

  it('batches that crash between apply and commit (and a restart) lose nothing and count nothing twice', async () => {
    const store = new InMemoryReadStore();
    let commits = 0;
    let partway!: () => void;
    // Of the thousands of batch commits of a whole run: the first engine stops partway, crashing as it goes.
    const reachedPartway = new Promise<void>((resolve) => (partway = resolve));
    const crashing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'commitBatch') return Reflect.get(target, prop, receiver);
        return (...[key, expected, next, fn, options]: Parameters<ReadStore['commitBatch']>) =>
          target.commitBatch(
            key,
            expected,
            next,
            async (w) => {
              const result = await fn(w);
              // Batches only (a registry entry is created once, when the engine starts).
              if (key.endsWith('@registry')) return result;
              if (++commits === 100) partway();
              if (commits % 3 === 0) throw new Error('process killed before COMMIT');
              return result;
            },
            options,
          );
      },
    }) as ReadStore;
    const first = engineOn(events, crashing, { batchSize: 29, maxAttempts: 1 });
    await first.start();
    await reachedPartway;
    await first.dispose();
    const second = engineOn(events, crashing, { batchSize: 41, maxAttempts: 1 });
    await second.start();
    await second.catchUp();
    expect(await store.listDeadLetters()).toEqual([]);
    expect(await dump(store, second)).toEqual(reference);
  });
});
