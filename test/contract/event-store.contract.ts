// The event-store contract: every adapter (SQLite, in-memory, EventStoreDB) runs this one suite. Nothing here
// knows an adapter's internals. The store may be shared between tests and hold other data (EventStoreDB in a
// container), so each test writes under its own stream-name prefix and reads the feed from the head it saw
// first, filtered by that prefix. Positions are opaque: only compared with comparePositions.
import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  EventMetadata,
  EventStore,
  EventSubscription,
  EventToAppend,
  StoredEvent,
  SubscribeOptions,
  WrongExpectedRevisionError,
} from '../../src/platform/event-store/event-store.port';
import { DuplicateEventIdError } from '../../src/platform/event-store/store-support';
import { UpcasterRegistry } from '../../src/platform/event-store/upcasting';
import { itUnless } from '../support/skip-with-reason';

export interface EventStoreUnderTest {
  store: EventStore;
  /** Closes the current store and opens the same data again (durable adapters only). */
  restart?: () => Promise<EventStore>;
  /** Closes whatever is open and removes the data. */
  cleanup: () => Promise<void>;
}

/** What a test may ask of the store it opens (every adapter takes it). */
export interface ContractStoreOptions {
  upcasters?: UpcasterRegistry;
}

export type EventStoreFactory = (options?: ContractStoreOptions) => Promise<EventStoreUnderTest>;

export interface EventStoreContractOptions {
  /** false: the factory never gives `restart`, so the durability test is reported as skipped. */
  restart?: boolean;
  /** How long a test waits for subscription deliveries. Default 5000 ms. */
  deliveryTimeoutMs?: number;
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function testEvent(
  type = 'ContractTested',
  data: Record<string, unknown> = {},
  metadata: Partial<EventMetadata> = {},
): EventToAppend {
  return {
    id: randomUUID(),
    type,
    data: { note: 'contract', ...data },
    metadata: {
      actor: { id: 'user-1', role: 'buyer' },
      correlationId: randomUUID(),
      causationId: null,
      schemaVersion: 1,
      ...metadata,
    },
  };
}

/**
 * Collects what a subscription delivers; waits are event-driven with a timeout. Pass `onError` to the
 * subscription too: a subscription that stopped with an error then fails the wait with that error (instead of
 * "timed out waiting for N events", which hid the cause).
 */
export class Delivered {
  readonly events: StoredEvent[] = [];
  private waiters: { count: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private failure: { error: unknown } | null = null;

  constructor(private readonly timeoutMs = 5000) {}

  readonly handler = async (event: StoredEvent): Promise<void> => {
    this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.events.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  readonly onError = (error: unknown): void => {
    this.failure = { error };
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  };

  ids(): string[] {
    return this.events.map((event) => event.id);
  }

  waitFor(count: number): Promise<void> {
    if (this.events.length >= count) return Promise.resolve();
    if (this.failure)
      return Promise.reject(subscriptionFailed(this.failure.error, count, this.events.length));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Timed out waiting for ${count} events; ${this.events.length} delivered`));
      }, this.timeoutMs);
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(subscriptionFailed(error, count, this.events.length));
        },
      });
    });
  }
}

function subscriptionFailed(error: unknown, count: number, delivered: number): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`The subscription failed after ${delivered} of ${count} events: ${message}`, {
    cause: error,
  });
}

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function assertIncreasing(events: StoredEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    expect(comparePositions(events[i - 1].position, events[i].position)).toBe(-1);
  }
}

async function expectConflict(
  attempt: Promise<unknown>,
  expected: { streamName: string; expected: unknown; actual: number | 'no_stream' },
): Promise<void> {
  const error = await attempt.then(
    () => {
      throw new Error('append succeeded, expected WrongExpectedRevisionError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  expect(error).toMatchObject(expected);
}

export function describeEventStoreContract(
  name: string,
  factory: EventStoreFactory,
  options: EventStoreContractOptions = {},
): void {
  const timeoutMs = options.deliveryTimeoutMs ?? 5000;

  describe(`EventStore contract: ${name}`, () => {
    let sut: EventStoreUnderTest;
    let store: EventStore;
    /** Unique per test: every stream this test writes starts with it. */
    let prefix: string;
    /** The feed's head before this test wrote anything. */
    let start: string | null;
    let subscriptions: EventSubscription[];

    const stream = (suffix: string) => `${prefix}${suffix}`;
    const subscribe = (
      delivered: Delivered | ((event: StoredEvent) => Promise<void>),
      subscribeOptions: Partial<SubscribeOptions> = {},
      onError?: (error: unknown) => void,
    ): EventSubscription => {
      const handler = delivered instanceof Delivered ? delivered.handler : delivered;
      const subscription = store.subscribeToAll(
        { after: start, streamPrefix: prefix, ...subscribeOptions },
        handler,
        onError ?? (delivered instanceof Delivered ? delivered.onError : undefined),
      );
      subscriptions.push(subscription);
      return subscription;
    };
    const feed = (after: string | null = start, maxCount = 1000, streamPrefix = prefix) =>
      store.readAll({ after, maxCount, streamPrefix });

    beforeEach(async () => {
      sut = await factory();
      store = sut.store;
      prefix = `ct${randomUUID().replace(/-/g, '').slice(0, 16)}-`;
      start = await store.headPosition();
      subscriptions = [];
    });

    afterEach(async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      await sut.cleanup();
    });

    describe('append and readStream', () => {
      it('appends to a new stream with no_stream and reads it back in revision order', async () => {
        const events = [testEvent('A', { n: 1 }), testEvent('B', { n: 2 }), testEvent('C', { n: 3 })];
        const result = await store.append(stream('s'), events, 'no_stream');

        const read = await store.readStream(stream('s'));
        expect(read.map((e) => [e.id, e.type, e.revision, e.streamName, e.data])).toEqual(
          events.map((e, i) => [e.id, e.type, i, stream('s'), e.data]),
        );
        assertIncreasing(read);
        expect(result).toEqual({ nextRevision: 2, position: read[2].position });
        for (const event of read) {
          expect(event.position).toMatch(/^\d+$/);
          expect(event.recordedAt).toMatch(ISO_UTC);
        }
      });

      it('appends to an existing stream at its exact current revision', async () => {
        await store.append(stream('s'), [testEvent('A')], 'no_stream');
        const second = await store.append(stream('s'), [testEvent('B'), testEvent('C')], 0);
        expect(second.nextRevision).toBe(2);
        const third = await store.append(stream('s'), [testEvent('D')], 2);
        expect(third.nextRevision).toBe(3);

        const read = await store.readStream(stream('s'));
        expect(read.map((e) => `${e.revision}:${e.type}`)).toEqual(['0:A', '1:B', '2:C', '3:D']);
        expect(third.position).toBe(read[3].position);
        assertIncreasing(read);
      });

      it("'any' appends whether or not the stream exists", async () => {
        const first = await store.append(stream('s'), [testEvent('A')], 'any');
        expect(first.nextRevision).toBe(0);
        const second = await store.append(stream('s'), [testEvent('B')], 'any');
        expect(second.nextRevision).toBe(1);
        expect((await store.readStream(stream('s'))).map((e) => e.type)).toEqual(['A', 'B']);
      });

      it('appends a larger batch atomically with consecutive revisions', async () => {
        const events = Array.from({ length: 40 }, (_, i) => testEvent('Batch', { i }));
        const result = await store.append(stream('s'), events, 'no_stream');
        expect(result.nextRevision).toBe(39);
        const read = await store.readStream(stream('s'));
        expect(read.map((e) => e.revision)).toEqual(events.map((_, i) => i));
        expect(read.map((e) => e.data.i)).toEqual(events.map((_, i) => i));
        assertIncreasing(read);
      });

      it('reads [] for a stream that does not exist', async () => {
        expect(await store.readStream(stream('missing'))).toEqual([]);
      });

      it('round-trips data and metadata', async () => {
        const data = {
          orderId: randomUUID(),
          price: { amount: 12_345, currency: 'EUR' },
          flags: [true, false],
          nothing: null,
          text: 'Grüße, 你好, emoji 🚀, "quotes" and \\ backslash\nnew line',
          ratio: 0.125,
          nested: { deep: { list: [1, 'two', { three: 3 }] } },
        };
        const full: EventMetadata = {
          actor: { id: 'seller-9', role: 'seller' },
          correlationId: randomUUID(),
          causationId: randomUUID(),
          schemaVersion: 1,
          idempotencyKey: 'key-123',
        };
        const minimal: EventMetadata = {
          actor: { id: 'system', role: 'system' },
          correlationId: randomUUID(),
          causationId: null,
          schemaVersion: 1,
        };
        const events: EventToAppend[] = [
          { id: randomUUID(), type: 'Full', data, metadata: full },
          { id: randomUUID(), type: 'Minimal', data: {}, metadata: minimal },
        ];
        await store.append(stream('s'), events, 'no_stream');

        const [first, second] = await store.readStream(stream('s'));
        expect(first.data).toEqual(data);
        expect(first.metadata).toEqual(full);
        expect(second.data).toEqual({});
        expect(second.metadata).toEqual(minimal);
        expect(second.metadata).not.toHaveProperty('idempotencyKey');
        const [fromFeed] = await feed();
        expect(fromFeed).toEqual(first);
      });
    });

    describe('optimistic concurrency', () => {
      it('refuses no_stream on an existing stream and writes nothing', async () => {
        await store.append(stream('s'), [testEvent('A')], 'no_stream');
        await expectConflict(store.append(stream('s'), [testEvent('X'), testEvent('Y')], 'no_stream'), {
          streamName: stream('s'),
          expected: 'no_stream',
          actual: 0,
        });
        expect((await store.readStream(stream('s'))).map((e) => e.type)).toEqual(['A']);
        expect((await feed()).map((e) => e.type)).toEqual(['A']);
      });

      it('refuses a stale revision and writes nothing', async () => {
        await store.append(stream('s'), [testEvent('A'), testEvent('B'), testEvent('C')], 'no_stream');
        await expectConflict(store.append(stream('s'), [testEvent('X'), testEvent('Y')], 1), {
          streamName: stream('s'),
          expected: 1,
          actual: 2,
        });
        expect((await store.readStream(stream('s'))).map((e) => e.type)).toEqual(['A', 'B', 'C']);
        expect((await feed()).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      it('refuses a revision ahead of the stream', async () => {
        await store.append(stream('s'), [testEvent('A')], 'no_stream');
        await expectConflict(store.append(stream('s'), [testEvent('X')], 5), {
          streamName: stream('s'),
          expected: 5,
          actual: 0,
        });
      });

      it('refuses a revision on a missing stream (actual: no_stream) and creates nothing', async () => {
        await expectConflict(store.append(stream('s'), [testEvent('X')], 0), {
          streamName: stream('s'),
          expected: 0,
          actual: 'no_stream',
        });
        expect(await store.readStream(stream('s'))).toEqual([]);
        expect(await feed()).toEqual([]);
      });

      it('lets exactly one of several concurrent appends at the same revision win', async () => {
        await store.append(stream('s'), [testEvent('A')], 'no_stream');
        const contenders = Array.from({ length: 6 }, (_, i) => testEvent('Contender', { i }));
        const outcomes = await Promise.allSettled(
          contenders.map((event) => store.append(stream('s'), [event], 0)),
        );

        const winners = outcomes.filter((o) => o.status === 'fulfilled');
        const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(winners).toHaveLength(1);
        for (const loser of losers) expect(loser.reason).toBeInstanceOf(WrongExpectedRevisionError);
        const read = await store.readStream(stream('s'));
        expect(read).toHaveLength(2);
        const winner = contenders[outcomes.findIndex((o) => o.status === 'fulfilled')];
        expect(read[1].id).toBe(winner.id);
      });

      it('lets exactly one of several concurrent no_stream appends create the stream', async () => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            store.append(stream('s'), [testEvent('Create', { i }), testEvent('Follow', { i })], 'no_stream'),
          ),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected')
            expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
        }
        const read = await store.readStream(stream('s'));
        expect(read.map((e) => e.type)).toEqual(['Create', 'Follow']);
        expect(read[0].data.i).toBe(read[1].data.i);
      });
    });

    describe('global feed (readAll, headPosition)', () => {
      it('orders events across streams by append, with increasing positions matching readStream', async () => {
        const a1 = testEvent('a1');
        const b1 = testEvent('b1');
        const a2 = testEvent('a2');
        const b2 = [testEvent('b2'), testEvent('b3')];
        const results = [
          await store.append(stream('a'), [a1], 'no_stream'),
          await store.append(stream('b'), [b1], 'no_stream'),
          await store.append(stream('a'), [a2], 0),
          await store.append(stream('b'), b2, 0),
        ];

        const all = await feed();
        expect(all.map((e) => e.id)).toEqual([a1, b1, a2, ...b2].map((e) => e.id));
        expect(all.map((e) => `${e.streamName}@${e.revision}`)).toEqual(
          ['a@0', 'b@0', 'a@1', 'b@1', 'b@2'].map((s) => stream(s)),
        );
        assertIncreasing(all);
        expect(comparePositions(start, all[0].position)).toBe(-1);
        expect(results.map((r) => r.position)).toEqual(
          [all[0], all[1], all[2], all[4]].map((e) => e.position),
        );

        const byStream = [...(await store.readStream(stream('a'))), ...(await store.readStream(stream('b')))];
        for (const event of byStream) {
          expect(event).toEqual(all.find((e) => e.id === event.id));
        }
      });

      it('reads after an exclusive position, in pages of maxCount', async () => {
        const events = Array.from({ length: 5 }, (_, i) => testEvent(`E${i}`));
        for (const [i, event] of events.entries()) {
          await store.append(stream(`s${i % 2}`), [event], 'any');
        }
        const all = await feed();
        expect(all.map((e) => e.type)).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);

        const afterSecond = await feed(all[1].position);
        expect(afterSecond.map((e) => e.type)).toEqual(['E2', 'E3', 'E4']);

        const pages: string[][] = [];
        let after = start;
        for (;;) {
          const page = await feed(after, 2);
          if (page.length === 0) break;
          pages.push(page.map((e) => e.type));
          after = page[page.length - 1].position;
        }
        expect(pages).toEqual([['E0', 'E1'], ['E2', 'E3'], ['E4']]);
        expect(await feed(all[4].position)).toEqual([]);
      });

      it('filters by stream-name prefix, maxCount counting matching events only', async () => {
        await store.append(stream('order-1'), [testEvent('o1')], 'no_stream');
        await store.append(stream('other-1'), [testEvent('x1'), testEvent('x2')], 'no_stream');
        await store.append(stream('order-2'), [testEvent('o2')], 'no_stream');
        await store.append(stream('other-2'), [testEvent('x3')], 'no_stream');
        await store.append(stream('order-1'), [testEvent('o3')], 0);

        const orders = await feed(start, 1000, stream('order-'));
        expect(orders.map((e) => e.type)).toEqual(['o1', 'o2', 'o3']);
        const firstTwo = await feed(start, 2, stream('order-'));
        expect(firstTwo.map((e) => e.type)).toEqual(['o1', 'o2']);
        const rest = await feed(firstTwo[1].position, 2, stream('order-'));
        expect(rest.map((e) => e.type)).toEqual(['o3']);
        expect((await feed()).map((e) => e.type)).toEqual(['o1', 'x1', 'x2', 'o2', 'x3', 'o3']);
      });

      it('moves headPosition to the newest event', async () => {
        const first = await store.append(stream('s'), [testEvent('A')], 'no_stream');
        const afterFirst = await store.headPosition();
        expect(afterFirst).not.toBeNull();
        expect(comparePositions(afterFirst, first.position)).toBeGreaterThanOrEqual(0);
        expect(comparePositions(start, afterFirst)).toBe(-1);

        const second = await store.append(stream('s'), [testEvent('B'), testEvent('C')], 0);
        const afterSecond = await store.headPosition();
        expect(comparePositions(afterSecond, second.position)).toBeGreaterThanOrEqual(0);
        expect(comparePositions(afterFirst, afterSecond)).toBe(-1);
      });
    });

    describe('upcasting, refusals and close (every adapter)', () => {
      it('upcasts on every read path: readStream, readAll, subscribeToAll', async () => {
        const upcasters = new UpcasterRegistry();
        upcasters.register('Renamed', 0, (data) => ({ fullName: data.name }));
        upcasters.register('Renamed', 1, (data) => ({ ...data, verified: false }));
        const upcasting = await factory({ upcasters });
        try {
          const own = upcasting.store;
          const head = await own.headPosition();
          await own.append(
            stream('people'),
            [
              testEvent('Renamed', { name: 'Ada' }, { schemaVersion: 0 }),
              testEvent('Other', { name: 'Bob' }),
            ],
            'no_stream',
          );
          const expectUpcast = (events: StoredEvent[]) => {
            expect(events).toHaveLength(2);
            expect(events[0].data).toEqual({ fullName: 'Ada', verified: false });
            expect(events[0].metadata.schemaVersion).toBe(2);
            expect(events[1].data).toEqual({ note: 'contract', name: 'Bob' });
            expect(events[1].metadata.schemaVersion).toBe(1);
          };
          expectUpcast(await own.readStream(stream('people')));
          expectUpcast(await own.readAll({ after: head, maxCount: 10, streamPrefix: prefix }));
          const delivered = new Delivered(timeoutMs);
          const subscription = own.subscribeToAll(
            { after: head, streamPrefix: prefix },
            delivered.handler,
            delivered.onError,
          );
          try {
            await delivered.waitFor(2);
          } finally {
            await subscription.stop();
          }
          expectUpcast(delivered.events);
        } finally {
          await upcasting.cleanup();
        }
      });

      it('refuses an empty append, a malformed position and a non-positive maxCount', async () => {
        await expect(store.append(stream('s'), [], 'any')).rejects.toThrow(RangeError);
        await expect(store.readAll({ after: 'abc', maxCount: 1 })).rejects.toThrow(RangeError);
        await expect(store.readAll({ after: null, maxCount: 0 })).rejects.toThrow(RangeError);
        expect(() => store.subscribeToAll({ after: '-1' }, async () => undefined)).toThrow(RangeError);
        expect(await store.readStream(stream('s'))).toEqual([]);
      });

      it('close() stops live subscriptions and refuses further use; closing twice is fine', async () => {
        const delivered = new Delivered(timeoutMs);
        store.subscribeToAll({ after: start, streamPrefix: prefix }, delivered.handler, delivered.onError);
        await store.append(stream('s'), [testEvent()], 'no_stream');
        await delivered.waitFor(1);
        await store.close();
        await expect(store.append(stream('s'), [testEvent()], 0)).rejects.toThrow(/closed/);
        await expect(store.readStream(stream('s'))).rejects.toThrow(/closed/);
        await store.close(); // idempotent
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(delivered.events).toHaveLength(1);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up, then delivers live appends in order, each once', async () => {
        const inside = (s: string) => stream(`in-${s}`);
        const before = [testEvent('c1'), testEvent('c2'), testEvent('c3')];
        await store.append(inside('a'), [before[0]], 'no_stream');
        await store.append(stream('out-a'), [testEvent('noise')], 'no_stream');
        await store.append(inside('b'), [before[1], before[2]], 'no_stream');

        const delivered = new Delivered(timeoutMs);
        subscribe(delivered, { streamPrefix: inside('') });
        await delivered.waitFor(3);
        expect(delivered.ids()).toEqual(before.map((e) => e.id));

        const live = [testEvent('l1'), testEvent('l2'), testEvent('l3')];
        await store.append(inside('a'), [live[0]], 0);
        await store.append(stream('out-b'), [testEvent('noise')], 'no_stream');
        await store.append(inside('c'), [live[1], live[2]], 'no_stream');
        await delivered.waitFor(6);

        // A last event proves nothing else (a duplicate, the noise) was queued ahead of it.
        const sentinel = testEvent('sentinel');
        await store.append(inside('a'), [sentinel], 1);
        await delivered.waitFor(7);
        expect(delivered.ids()).toEqual([...before, ...live, sentinel].map((e) => e.id));
        assertIncreasing(delivered.events);
        expect(delivered.events).toEqual(await feed(start, 1000, inside('')));
      });

      it('starts strictly after the given position', async () => {
        const events = [testEvent('A'), testEvent('B'), testEvent('C')];
        await store.append(stream('s'), events, 'no_stream');
        const [, second] = await store.readStream(stream('s'));

        const delivered = new Delivered(timeoutMs);
        subscribe(delivered, { after: second.position });
        await delivered.waitFor(1);
        const live = testEvent('D');
        await store.append(stream('s'), [live], 2);
        await delivered.waitFor(2);
        expect(delivered.ids()).toEqual([events[2].id, live.id]);
      });

      it('delivers one event at a time, the next only after the handler settles', async () => {
        await store.append(stream('s'), [testEvent('A'), testEvent('B'), testEvent('C')], 'no_stream');
        let active = 0;
        let maxActive = 0;
        const delivered = new Delivered(timeoutMs);
        subscribe(async (event) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await macrotask();
          await macrotask();
          active--;
          await delivered.handler(event);
        });
        await store.append(stream('s'), [testEvent('D')], 2);
        await delivered.waitFor(4);
        expect(maxActive).toBe(1);
        expect(delivered.events.map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
      });

      it('stop() ends delivery', async () => {
        await store.append(stream('s'), [testEvent('A')], 'no_stream');
        const stopped = new Delivered(timeoutMs);
        const subscription = subscribe(stopped);
        await stopped.waitFor(1);
        await subscription.stop();

        await store.append(stream('s'), [testEvent('B'), testEvent('C')], 0);
        // A second subscription seeing the later events shows they were there to deliver.
        const control = new Delivered(timeoutMs);
        subscribe(control);
        await control.waitFor(3);
        await macrotask();
        expect(stopped.events.map((e) => e.type)).toEqual(['A']);
      });

      it('stop() resolves only once the in-flight handler call has settled', async () => {
        await store.append(stream('s'), [testEvent('A'), testEvent('B')], 'no_stream');
        const entered = deferred();
        const release = deferred();
        const log: string[] = [];
        const subscription = subscribe(async (event) => {
          log.push(`start ${event.type}`);
          entered.resolve();
          await release.promise;
          log.push(`end ${event.type}`);
        });
        await entered.promise;

        let stopResolved = false;
        const stopping = subscription.stop().then(() => {
          stopResolved = true;
          log.push('stopped');
        });
        for (let i = 0; i < 5; i++) await macrotask();
        expect(stopResolved).toBe(false);

        release.resolve();
        await stopping;
        expect(log).toEqual(['start A', 'end A', 'stopped']);
      });

      it('stops and reports to onError when the handler rejects', async () => {
        await store.append(stream('s'), [testEvent('A'), testEvent('B')], 'no_stream');
        const failure = new Error('projection failed');
        const reported = deferred<unknown>();
        const calls: string[] = [];
        subscribe(
          async (event) => {
            calls.push(event.type);
            if (event.type === 'B') throw failure;
          },
          {},
          (error) => reported.resolve(error),
        );
        expect(await reported.promise).toBe(failure);

        await store.append(stream('s'), [testEvent('C')], 1);
        const control = new Delivered(timeoutMs);
        subscribe(control);
        await control.waitFor(3);
        await macrotask();
        expect(calls).toEqual(['A', 'B']);
      });

      it('never calls the handler before subscribeToAll has returned', async () => {
        await store.append(stream('s'), [testEvent('A')], 'no_stream');
        let returned = false;
        const seenReturned = deferred<boolean>();
        subscribe(async () => seenReturned.resolve(returned));
        returned = true;
        expect(await seenReturned.promise).toBe(true);
      });
    });

    const durableTitle = 'keeps everything across a restart; revisions and positions continue';
    const skipDurable = options.restart === false;
    const durableReason = `the ${name} store keeps nothing across a restart`;
    itUnless(skipDurable ? durableReason : null, durableTitle, async () => {
      // A store that does not declare itself volatile ({ restart: false }) must let the suite restart it.
      if (!sut.restart)
        throw new Error(`the ${name} contract gives no restart: pass { restart: false } to skip`);
      await store.append(stream('a'), [testEvent('A1'), testEvent('A2')], 'no_stream');
      await store.append(stream('b'), [testEvent('B1')], 'no_stream');
      const streamBefore = await store.readStream(stream('a'));
      const feedBefore = await feed();
      const headBefore = await store.headPosition();

      store = await sut.restart();

      expect(await store.readStream(stream('a'))).toEqual(streamBefore);
      expect(await feed()).toEqual(feedBefore);
      expect(await store.headPosition()).toBe(headBefore);
      await expectConflict(store.append(stream('a'), [testEvent('X')], 'no_stream'), {
        streamName: stream('a'),
        expected: 'no_stream',
        actual: 1,
      });
      const next = await store.append(stream('a'), [testEvent('A3')], 1);
      expect(next.nextRevision).toBe(2);
      expect(comparePositions(next.position, feedBefore[feedBefore.length - 1].position)).toBe(1);
      expect((await feed()).map((e) => e.type)).toEqual(['A1', 'A2', 'B1', 'A3']);
    });
  });
}

export interface EmbeddedStoreOptions {
  now?: () => Date;
  upcasters?: UpcasterRegistry;
}

/**
 * What the embedded adapters (SQLite, in-memory) promise beyond the contract, on a fresh empty store of their
 * own: an empty feed numbered 1, 2, 3…, recordedAt from the injected clock, copies, duplicate ids refused.
 * (Upcasting, refusals and close() apply to every adapter: they are in the contract, EventStoreDB included.)
 */
export function describeEmbeddedEventStoreBehaviour(
  name: string,
  make: (options: EmbeddedStoreOptions) => Promise<{ store: EventStore; cleanup: () => Promise<void> }>,
): void {
  describe(`Embedded event store: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    const open = async (options: EmbeddedStoreOptions = {}) => {
      const { store, cleanup } = await make(options);
      cleanups.push(cleanup);
      return store;
    };
    afterEach(async () => {
      await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
    });

    it('starts empty: no head, nothing to read', async () => {
      const store = await open();
      expect(await store.headPosition()).toBeNull();
      expect(await store.readAll({ after: null, maxCount: 10 })).toEqual([]);
      expect(await store.readStream('order-1')).toEqual([]);
    });

    it('numbers the feed 1, 2, 3… and reports the last append as head', async () => {
      const store = await open();
      await store.append('s-1', [testEvent(), testEvent()], 'no_stream');
      const last = await store.append('s-2', [testEvent()], 'no_stream');
      expect((await store.readAll({ after: null, maxCount: 10 })).map((e) => e.position)).toEqual([
        '1',
        '2',
        '3',
      ]);
      expect(last.position).toBe('3');
      expect(await store.headPosition()).toBe('3');
    });

    it('records recordedAt from the injected clock, one instant per append', async () => {
      let now = new Date('2030-05-06T07:08:09.123Z');
      const store = await open({ now: () => now });
      await store.append('s-1', [testEvent(), testEvent()], 'no_stream');
      now = new Date('2030-05-06T08:00:00.000Z');
      await store.append('s-1', [testEvent()], 1);
      expect((await store.readStream('s-1')).map((e) => e.recordedAt)).toEqual([
        '2030-05-06T07:08:09.123Z',
        '2030-05-06T07:08:09.123Z',
        '2030-05-06T08:00:00.000Z',
      ]);
    });

    it('hands out copies: changing a read event changes nothing stored', async () => {
      const store = await open();
      const appended = testEvent('A', { list: [1] });
      await store.append('s-1', [appended], 'no_stream');
      (appended.data.list as number[]).push(99);
      const [read] = await store.readStream('s-1');
      (read.data.list as number[]).push(2);
      read.metadata.actor.id = 'mallory';
      const [again] = await store.readStream('s-1');
      expect(again.data.list).toEqual([1]);
      expect(again.metadata.actor.id).toBe('user-1');
    });

    it('refuses an event id that is already stored, writing nothing', async () => {
      const store = await open();
      const event = testEvent('A');
      await store.append('s-1', [event], 'no_stream');
      await expect(store.append('s-2', [testEvent('B'), { ...event }], 'any')).rejects.toBeInstanceOf(
        DuplicateEventIdError,
      );
      expect(await store.readStream('s-2')).toEqual([]);
      expect(await store.headPosition()).toBe('1');
    });

    it('fails an append whose data JSON cannot hold on its own, leaving concurrent appends alone', async () => {
      const store = await open();
      const outcomes = await Promise.allSettled([
        store.append('s-1', [testEvent('ok')], 'no_stream'),
        store.append('s-2', [testEvent('bad', { amount: 10n })], 'no_stream'),
        store.append('s-3', [testEvent('ok')], 'no_stream'),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(TypeError);
      expect(await store.readStream('s-2')).toEqual([]);
    });
  });
}
