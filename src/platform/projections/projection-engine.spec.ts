import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PermanentStoreError, type EventStore, type StoredEvent } from '../event-store/event-store.port';
import { InMemoryEventStore } from '../event-store/in-memory/in-memory-event-store';
import { REGISTRY_COLLECTION, type RegistryDoc } from './generations';
import { InMemoryReadStore } from '../read-store/in-memory/in-memory-read-store';
import { ProjectionEngine, type ProjectionEngineOptions } from './projection-engine';
import type { CommitOptions, DocumentWriter, Projection, ReadStore } from '../read-store/read-store.port';
import { RoutedReadStore } from '../read-store/routed-read-store';

const FAST: Partial<ProjectionEngineOptions> = {
  streamPrefix: 'order-',
  retryBaseDelayMs: 1,
  maxBackoffMs: 5,
  idlePollMs: 20,
  registryPollMs: 60_000, // tests call pollRegistry() themselves
  dropGraceMs: 0,
  batchSize: 50,
  rebuildBatchSize: 40,
};

/** Deliberately not idempotent: applying an event twice shows up as a wrong total. */
class CountingProjection implements Projection {
  readonly collections = { counts: [['n']] };
  failOn: (e: StoredEvent) => boolean = () => false;
  constructor(
    readonly name = 'counting',
    readonly version = 1,
  ) {}
  async apply(event: StoredEvent, w: DocumentWriter): Promise<void> {
    if (this.failOn(event)) throw new Error(`cannot apply ${event.position}`);
    const total = (await w.get<{ n: number }>('counts', 'total'))?.n ?? 0;
    await w.put('counts', 'total', { n: total + 1, version: this.version });
    const perStream = (await w.get<{ n: number }>('counts', event.streamName))?.n ?? 0;
    await w.put('counts', event.streamName, { n: perStream + 1 });
  }
}

const meta = {
  actor: { id: 'u', role: 'buyer' as const },
  correlationId: 'c',
  causationId: null,
  schemaVersion: 1,
};

async function append(events: EventStore, n: number, stream = `order-${randomUUID()}`): Promise<string> {
  let position = '0';
  for (let i = 0; i < n; i++) {
    const r = await events.append(
      stream,
      [{ id: randomUUID(), type: 'Tick', data: { i }, metadata: meta }],
      'any',
    );
    position = r.position;
  }
  return position;
}

/** Polls `condition` until it holds (bounded): for work the engine starts on a timer of its own. */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await condition()); i++) {
    if (i === 400) throw new Error('condition never met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const total = async (store: ReadStore, engine: ProjectionEngine): Promise<number | undefined> =>
  (await new RoutedReadStore(store, engine.router).get<{ n: number }>('counts', 'total'))?.n;

describe('ProjectionEngine', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));
  let events: InMemoryEventStore;
  let store: InMemoryReadStore;
  const engines: ProjectionEngine[] = [];
  const newEngine = (
    p: Projection[],
    options: Partial<ProjectionEngineOptions> = {},
    s: ReadStore = store,
  ) => {
    const engine = new ProjectionEngine(events, s, { ...FAST, ...options });
    for (const projection of p) engine.register(projection);
    engines.push(engine);
    return engine;
  };

  beforeEach(() => {
    events = new InMemoryEventStore();
    store = new InMemoryReadStore();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.dispose()));
    await events.close();
  });

  it('catches up without running (catchUp) and then live, committing each batch with its checkpoint', async () => {
    const p = new CountingProjection();
    const engine = newEngine([p]);
    await append(events, 120);
    await engine.catchUp();
    expect(await total(store, engine)).toBe(120);
    expect(await store.getCheckpoint('counting@g1')).toBe('120');
    expect(engine.runnerOf('counting')!.observed).toBe('120');

    await engine.start();
    const last = await append(events, 30);
    expect(await engine.waitForPosition(last, 2000)).toBe(true);
    expect(await total(store, engine)).toBe(150);
    await engine.catchUp();
    expect(engine.runnerOf('counting')!.observed).toBe('150');
  });

  it('waitForPosition: true once processed, false after the timeout, true for positions outside the feed', async () => {
    const engine = newEngine([new CountingProjection()]);
    await engine.start();
    const p = await append(events, 3);
    expect(await engine.waitForPosition(p, 2000, ['counting'])).toBe(true);
    expect(await engine.waitForPosition('999', 30)).toBe(false);
    // An event in another stream family: the projection never sees it, yet has "reached" its position.
    const other = await append(events, 1, 'cluster-lease');
    expect(await engine.waitForPosition(other, 2000)).toBe(true);
    await expect(engine.waitForPosition('x1', 10)).rejects.toThrow();
    await expect(engine.waitForPosition('1', 10, ['nope'])).rejects.toThrow();
  });

  it('a runner caught up behind events of other streams still runs from the live feed (and is not lagging)', async () => {
    const engine = newEngine([new CountingProjection()]);
    await append(events, 3);
    await append(events, 2, 'cluster-lease'); // the feed's base is past the projection's last event
    await engine.start();
    await engine.catchUp();
    const last = await append(events, 4);
    expect(await engine.waitForPosition(last, 2000)).toBe(true);
    const [status] = await engine.status();
    expect(status).toMatchObject({ position: last, lagMs: 0, problems: [] });
    expect(await total(store, engine)).toBe(7);
  });

  it('ignores redelivered and replayed events (position guard)', async () => {
    const p = new CountingProjection();
    const engine = newEngine([p]);
    await append(events, 10);
    await engine.catchUp();
    const runner = engine.runnerOf('counting')!;
    const page = await events.readAll({ after: null, maxCount: 100 });
    expect(await runner.process(page)).toBe(0);
    expect(await runner.process([...page.slice(5), ...page.slice(5)])).toBe(0);
    expect(await total(store, engine)).toBe(10);
  });

  it('retries a failing event with backoff, then parks it and moves on; /health names it', async () => {
    const p = new CountingProjection();
    p.failOn = (e) => e.position === '3';
    const engine = newEngine([p], { maxAttempts: 3 });
    await engine.start();
    const last = await append(events, 6);
    expect(await engine.waitForPosition(last, 2000)).toBe(true);
    expect(await total(store, engine)).toBe(5);
    const [letter] = await store.listDeadLetters('counting@g1');
    expect(letter).toMatchObject({ position: '3', attempts: 3, eventType: 'Tick', projection: 'counting' });
    expect(letter.error).toContain('cannot apply 3');
    const health = await engine.health();
    expect(health.status).toBe('degraded');
    expect(String((health.details.degraded as string[])[0])).toMatch(/^counting: 1 dead letter/);
  });

  it('stops a projection for good when the store refuses permanently (e.g. a foreign checkpoint); /health says so', async () => {
    await append(events, 5);
    let reads = 0;
    events.readAll = async () => {
      reads++;
      throw new PermanentStoreError('Position 42 is not a position of this store');
    };
    // The engine's timers on a fake clock: its backoff (1..5 ms) is run out without waiting for it.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const engine = newEngine([new CountingProjection()]);
      await engine.start();
      await jest.advanceTimersByTimeAsync(10);
      const [status] = await engine.status();
      expect(status.failure?.message).toMatch(/^stopped: Position 42 is not a position/);
      expect(status.problems.join()).toMatch(/stopped: Position 42/);
      const before = reads;
      await jest.advanceTimersByTimeAsync(200); // 40 backoffs and more
      expect(reads).toBe(before); // not retried
      expect((await engine.health()).status).toBe('degraded');
    } finally {
      jest.useRealTimers();
    }
  });

  it('an event failing for a while succeeds on a retry: nothing parked', async () => {
    const p = new CountingProjection();
    let failures = 2;
    p.failOn = (e) => e.position === '2' && failures-- > 0;
    const engine = newEngine([p], { maxAttempts: 4 });
    await append(events, 4);
    await engine.catchUp();
    expect(await total(store, engine)).toBe(4);
    expect(await store.listDeadLetters()).toEqual([]);
    expect((await engine.health()).status).toBe('ok');
  });

  it('a batch aborted between apply and commit (crash) loses nothing and counts nothing twice', async () => {
    let crashes = 2;
    // The store dies after the projection applied the batch, before the commit: as a killed process would.
    const crashing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'commitBatch') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<ReadStore['commitBatch']>) => {
          const [key, expected, next, fn, options] = args;
          return target.commitBatch(
            key,
            expected,
            next,
            async (w) => {
              const r = await fn(w);
              if (!key.endsWith('@registry') && crashes-- > 0)
                throw Object.assign(new Error('SQLITE_IOERR: disk I/O error'), { crash: true });
              return r;
            },
            options,
          );
        };
      },
    });
    const p = new CountingProjection();
    const engine = newEngine([p], { maxAttempts: 1 }, crashing);
    await engine.start();
    const last = await append(events, 25);
    expect(await engine.waitForPosition(last, 2000)).toBe(true);
    // maxAttempts 1: an apply failure would have been parked; the commit failure was retried instead.
    expect(await store.listDeadLetters()).toEqual([]);
    expect(await total(store, engine)).toBe(25);
    await engine.stop();
    // And after a restart on the same data: nothing re-applied.
    const again = newEngine([new CountingProjection()]);
    await again.catchUp();
    expect(await total(store, again)).toBe(25);
  });

  it('two workers on one store: each event applied once in effect (the checkpoint guard)', async () => {
    const a = newEngine([new CountingProjection()]);
    const b = newEngine([new CountingProjection()]);
    await Promise.all([a.start(), b.start()]);
    let last = '0';
    for (let i = 0; i < 10; i++) last = await append(events, 7);
    expect(await a.waitForPosition(last, 3000)).toBe(true);
    expect(await b.waitForPosition(last, 3000)).toBe(true);
    expect(await total(store, a)).toBe(70);
  });

  it('stop and start again (lease lost and regained) continue from the checkpoint', async () => {
    const engine = newEngine([new CountingProjection()]);
    await engine.start();
    await engine.start();
    await append(events, 5);
    await engine.catchUp();
    await engine.stop();
    await engine.stop();
    expect(engine.isRunning).toBe(false);
    const last = await append(events, 5);
    await engine.start();
    expect(await engine.waitForPosition(last, 2000)).toBe(true);
    expect(await total(store, engine)).toBe(10);
  });

  it('rebuilds into a new generation beside the live one and swaps when caught up', async () => {
    const engine = newEngine([new CountingProjection()]);
    await engine.start();
    await append(events, 100);
    await engine.catchUp();
    const routed = new RoutedReadStore(store, engine.router);
    const seen: number[] = [];
    const results = await engine.rebuild(['counting'], {
      onProgress: (p) => seen.push(p.processed),
    });
    expect(results[0]).toMatchObject({
      name: 'counting',
      generation: 2,
      previousGeneration: 1,
      eventsProcessed: 100,
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(100);
    expect(await routed.get('counts', 'total')).toEqual({ n: 100, version: 1 });
    const registry = await store.get<RegistryDoc>(REGISTRY_COLLECTION, 'counting');
    expect(registry).toMatchObject({ generation: 2, building: null });
    // The live loop moved to generation 2.
    const last = await append(events, 3);
    expect(await engine.waitForPosition(last, 2000)).toBe(true);
    expect(await routed.get('counts', 'total')).toEqual({ n: 103, version: 1 });
    // Generation 1 is dropped after the grace period (0 here), by a task the engine starts on its own.
    await eventually(async () => !(await store.listCollections()).includes('counts__g1'));
    expect(await store.getCheckpoint('counting@g1')).toBeNull();
  });

  describe('rebuild: the feed replayed in batches, each committed with its checkpoint', () => {
    /** Commits slowly (a turn of the event loop before and after), counting how many are in flight; refuses the commits listed in `refuse` (by call). */
    class SlowStore extends InMemoryReadStore {
      calls = 0;
      inFlight = 0;
      maxInFlight = 0;
      batches: { expected: string | null; next: string }[] = [];
      refuse = new Set<number>();
      /** How many of the swap's commits to refuse. */
      refuseSwaps = 0;
      refused = 0;
      override async commitBatch<T>(
        key: string,
        expected: string | null,
        next: string,
        fn: (writer: DocumentWriter) => Promise<T>,
        options?: CommitOptions,
      ): Promise<T> {
        // The registry's creation (once per store) is not a projection's commit: not counted.
        if (key.endsWith('@registry')) return super.commitBatch(key, expected, next, fn, options);
        const call = ++this.calls;
        const building = key.endsWith('@g2');
        if (building) this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        try {
          await new Promise((r) => setImmediate(r));
          const swap = expected !== null && expected === next; // the registry switch, at the checkpoint
          if (building && (this.refuse.has(call) || (swap && this.refuseSwaps-- > 0))) {
            this.refused++;
            throw new Error('database is locked');
          }
          const result = await super.commitBatch(key, expected, next, fn, options);
          if (building) this.batches.push({ expected, next });
          await new Promise((r) => setImmediate(r));
          return result;
        } finally {
          if (building) this.inFlight--;
        }
      }
    }
    const STREAMED = { rebuildBatchSize: 40 };

    it('applies every event once, batch by batch, one commit at a time', async () => {
      const slow = new SlowStore();
      const engine = newEngine([new CountingProjection()], STREAMED, slow);
      await append(events, 50, 'order-a');
      await append(events, 53, 'order-b');
      const [result] = await engine.rebuild('all');
      expect(result).toMatchObject({ generation: 2, eventsProcessed: 103, position: '103' });
      // CountingProjection re-reads its totals on every event: a read missing the committing batch shows here.
      const routed = new RoutedReadStore(slow, engine.router);
      expect(await routed.get('counts', 'total')).toEqual({ n: 103, version: 1 });
      expect(await routed.get('counts', 'order-a')).toEqual({ n: 50 });
      expect(await routed.get('counts', 'order-b')).toEqual({ n: 53 });
      expect(slow.maxInFlight).toBe(1);
      // Each batch starts where the previous one ended and holds at most a page (40 events). The swap's commit,
      // at the same checkpoint, is not a batch.
      const batches = slow.batches.filter((b) => b.expected !== b.next);
      expect(batches.map((b) => b.next)).toEqual(['40', '80', '103']);
      expect(batches[0].expected).toBeNull();
      for (let i = 1; i < batches.length; i++) expect(batches[i].expected).toBe(batches[i - 1].next);
    });

    it('an event that keeps failing is parked as in live batches; the others are applied once', async () => {
      const p = new CountingProjection();
      const engine = newEngine([p], STREAMED);
      await append(events, 100);
      p.failOn = (e) => e.position === '61';
      const [result] = await engine.rebuild('all');
      expect(result.position).toBe('100');
      expect(await total(store, engine)).toBe(99);
      const letters = await store.listDeadLetters('counting@g2');
      expect(letters.map((l) => l.position)).toEqual(['61']);
    });

    it('an event failing once is retried, not parked', async () => {
      const p = new CountingProjection();
      const engine = newEngine([p], STREAMED);
      await append(events, 100);
      let failures = 1;
      p.failOn = (e) => e.position === '45' && failures-- > 0;
      await engine.rebuild('all');
      expect(await total(store, engine)).toBe(100);
      expect(await store.listDeadLetters()).toEqual([]);
    });

    it('a refused commit (the write lock held elsewhere) costs a retry, not an event', async () => {
      const slow = new SlowStore();
      const engine = newEngine([new CountingProjection()], STREAMED, slow);
      await append(events, 100);
      await engine.initialize();
      slow.refuse = new Set([slow.calls + 2]); // the 1st batch (the registry write is the 1st call)
      const [result] = await engine.rebuild('all');
      expect(slow.refused).toBe(1);
      expect(result.eventsProcessed).toBe(100);
      expect(await total(slow, engine)).toBe(100);
      expect(await slow.listDeadLetters()).toEqual([]);
    });

    it('a refused swap (the write lock held elsewhere at the very end) is retried', async () => {
      const slow = new SlowStore();
      const engine = newEngine([new CountingProjection()], { ...STREAMED, rebuildBatchSize: 1000 }, slow);
      await append(events, 20);
      slow.refuseSwaps = 2;
      const [result] = await engine.rebuild('all');
      expect(slow.refused).toBe(2);
      expect(result).toMatchObject({ generation: 2, eventsProcessed: 20 });
      expect(engine.runnerOf('counting')!.generation).toBe(2);
      expect(await total(slow, engine)).toBe(20);
    });

    it('a projection that queries its documents while applying is rebuilt page by page', async () => {
      class Querying extends CountingProjection {
        override async apply(event: StoredEvent, w: DocumentWriter): Promise<void> {
          const before = await w.count('counts', {});
          await super.apply(event, w);
          await w.put('counts', `seen-${event.position}`, { n: before });
        }
      }
      const engine = newEngine([new Querying()], STREAMED);
      await append(events, 30, 'order-a');
      const [result] = await engine.rebuild('all');
      expect(result.eventsProcessed).toBe(30);
      expect(await total(store, engine)).toBe(30);
      const routed = new RoutedReadStore(store, engine.router);
      // total + order-a + one per earlier event: the count saw every document written before.
      expect(await routed.get('counts', 'seen-30')).toEqual({ n: 2 + 29 });
    });

    it('... also when the projection catches the refusal of its query itself', async () => {
      class Swallowing extends CountingProjection {
        override async apply(event: StoredEvent, w: DocumentWriter): Promise<void> {
          let before = -1;
          try {
            before = await w.count('counts', {});
          } catch {
            // a projection that treats a failed query as "unknown" must not get a wrong answer from a rebuild
          }
          await super.apply(event, w);
          await w.put('counts', `seen-${event.position}`, { n: before });
        }
      }
      const engine = newEngine([new Swallowing()], STREAMED);
      await append(events, 30, 'order-a');
      await engine.rebuild('all');
      const routed = new RoutedReadStore(store, engine.router);
      expect(await routed.get('counts', 'seen-30')).toEqual({ n: 2 + 29 });
      expect(await routed.get('counts', 'seen-1')).toEqual({ n: 0 });
    });
  });

  it('a service starting on a fresh store never wipes the mark of a rebuild that began meanwhile', async () => {
    // The service read no registry entry just before a rebuild job (another process) created one and marked
    // it as building generation 2: creating "its" entry now must not overwrite that mark.
    const marked: RegistryDoc = {
      name: 'counting',
      generation: 1,
      version: 1,
      building: { generation: 2, version: 1, startedAt: new Date(0).toISOString(), by: 'cli' },
      activatedAt: new Date(0).toISOString(),
    };
    let first = true;
    const stale = new Proxy(store, {
      get(target, key, receiver) {
        if (key !== 'get') return Reflect.get(target, key, receiver) as unknown;
        return async (collection: string, id: string) => {
          if (collection === REGISTRY_COLLECTION && first) {
            first = false;
            await store.commitBatch('counting@registry', null, '0', (w) =>
              w.put(REGISTRY_COLLECTION, 'counting', marked),
            );
            return null; // read before the job wrote
          }
          return target.get(collection, id);
        };
      },
    });
    const service = newEngine([new CountingProjection()], {}, stale);
    await service.initialize();
    expect(await store.get(REGISTRY_COLLECTION, 'counting')).toEqual(marked);
    expect(service.runnerOf('counting')!.generation).toBe(1);
  });

  it('a running service notices a swap made elsewhere (the rebuild CLI) and follows it', async () => {
    const service = newEngine([new CountingProjection()]);
    await service.start();
    await append(events, 20);
    await service.catchUp();
    const cli = newEngine([new CountingProjection()]);
    await cli.rebuild('all');
    // Until the service polls the registry it keeps serving generation 1 (complete and current).
    expect(service.runnerOf('counting')!.generation).toBe(1);
    await service.pollRegistry();
    expect(service.runnerOf('counting')!.generation).toBe(2);
    const last = await append(events, 2);
    expect(await service.waitForPosition(last, 2000)).toBe(true);
    expect(await total(store, service)).toBe(22);
  });

  it('a new projection version is built beside the old one, which serves until the swap', async () => {
    const v1 = newEngine([new CountingProjection('counting', 1)]);
    await append(events, 30);
    await v1.catchUp();
    await v1.dispose();

    const v2 = newEngine([new CountingProjection('counting', 2)]);
    await v2.initialize();
    expect(v2.runnerOf('counting')!.generation).toBe(1);
    expect(await total(store, v2)).toBe(30);
    await v2.start();
    await v2.catchUp();
    const registry = await store.get<RegistryDoc>(REGISTRY_COLLECTION, 'counting');
    expect(registry).toMatchObject({ generation: 2, version: 2, building: null });
    expect(await new RoutedReadStore(store, v2.router).get('counts', 'total')).toEqual({ n: 30, version: 2 });
  });

  it('keeps recent documents cached, and forgets one written outside the projection (READ_STORE.write)', async () => {
    const engine = newEngine([new CountingProjection()]);
    await append(events, 3);
    await engine.catchUp();
    expect(engine.runnerOf('counting')!.cache.get('counts__g1', 'total')).toEqual({ n: 3, version: 1 });
    const facade = new RoutedReadStore(store, engine.router, (c, id) => engine.invalidateDocument(c, id));
    await facade.write((w) => w.put('counts', 'total', { n: 100 }));
    await append(events, 2);
    await engine.catchUp();
    expect(await facade.get('counts', 'total')).toEqual({ n: 102, version: 1 });
  });

  it('refuses two projections with one name or sharing a collection', () => {
    const engine = newEngine([new CountingProjection('a')]);
    expect(() => engine.register(new CountingProjection('a'))).toThrow(/already registered/);
    expect(() => engine.register(new CountingProjection('b'))).toThrow(/already owned/);
  });

  it('reports status per projection: position, head, lag', async () => {
    const engine = newEngine([new CountingProjection()]);
    await engine.start();
    const last = await append(events, 4);
    await engine.waitForPosition(last, 2000);
    const [s] = await engine.status();
    expect(s).toMatchObject({
      name: 'counting',
      generation: 1,
      running: true,
      position: '4',
      headPosition: '4',
      positionsBehind: '0',
      lagMs: 0,
      deadLetters: 0,
      problems: [],
    });
    expect(s.appendToVisibleMs.samples).toBe(4);
  });
});
