// Unit tests of the EventStoreDB adapter's own logic, without a server: the subscription's resubscribe-on-drop
// loop (driven by scripted subscription streams, not a database) and the fail-fast start-up against a port
// where nothing listens. The adapter against a real server: test/containers/eventstoredb-event-store.spec.ts.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { AccessDeniedError, UnavailableError } from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  EventStoreDBClient,
  ResolvedEvent,
  StreamingRead,
} from '@eventstore/db-client';
import { StoreUnavailableError } from '../../cluster/store-availability';
import { PermanentStoreError, type StoredEvent } from '../event-store.port';
import { decodeEsdbPosition, encodeEsdbPosition } from './esdb-position';
import { cancelIfAbandoned, EsdbAllSubscription } from './esdb-subscription';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** One turn of the event loop: whatever was ready to run has run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));
/**
 * A logger recording the warnings: the loop warns "resubscribing … in N ms" before each backoff, so "no warning"
 * says it never meant to resubscribe, without waiting out a backoff.
 */
const recording = () => {
  const warns: string[] = [];
  return { warns, log: () => undefined, warn: (m: string) => void warns.push(m), error: () => undefined };
};

/** The server's $all in this script: positions 100, 200, … (commit = prepare). */
const LOG = Array.from({ length: 6 }, (_, i) => ({
  commit: BigInt((i + 1) * 100),
  prepare: BigInt((i + 1) * 100),
}));

function resolved(i: number): AllStreamResolvedEvent {
  return {
    event: {
      streamId: 'order-1',
      id: `id-${i}`,
      isJson: true,
      revision: BigInt(i),
      type: `E${i}`,
      created: new Date(0),
      data: { i },
      metadata: undefined,
      position: LOG[i],
    },
  } as unknown as AllStreamResolvedEvent;
}

/** What one connection of the scripted server does after the requested start position. */
type Script = { deliver: number; then: 'error' | 'end' | 'hang'; error?: Error; replayStart?: boolean };

function scriptedServer(scripts: Script[]) {
  const opened: (string | null)[] = [];
  const open = (after: string | null): AllStreamSubscription => {
    opened.push(after);
    const script = scripts.shift() ?? { deliver: Infinity, then: 'hang' };
    const afterPos = after === null ? -1n : decodeEsdbPosition(after).commit;
    let from = LOG.findIndex((p) => p.commit > afterPos);
    if (from < 0) from = LOG.length;
    // A sloppy server (or a reconnect race) may hand the start event out again: the adapter must drop it.
    if (script.replayStart && from > 0) from--;
    const items = LOG.slice(from, from + (script.replayStart ? script.deliver + 1 : script.deliver)).map(
      (_, k) => resolved(from + k),
    );
    let cancelled = false;
    let unsubscribed!: () => void;
    const hangUp = new Promise<void>((resolve) => (unsubscribed = resolve));
    async function* generate() {
      for (const item of items) {
        if (cancelled) return;
        yield item;
      }
      if (script.then === 'error')
        throw script.error ?? new UnavailableError(undefined, 'connection dropped');
      if (script.then === 'hang') await hangUp;
    }
    const stream = Readable.from(generate(), {
      objectMode: true,
      highWaterMark: 1,
    }) as unknown as AllStreamSubscription;
    (stream as unknown as { unsubscribe: () => Promise<void> }).unsubscribe = async () => {
      cancelled = true;
      unsubscribed();
    };
    return stream;
  };
  return { open, opened };
}

function convert(r: AllStreamResolvedEvent): StoredEvent {
  const e = r.event!;
  return {
    id: e.id,
    streamName: e.streamId,
    revision: Number(e.revision),
    position: encodeEsdbPosition(e.position),
    type: e.type,
    data: e.data as Record<string, unknown>,
    metadata: {} as StoredEvent['metadata'],
    recordedAt: e.created.toISOString(),
  };
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('EsdbAllSubscription (resubscribe on drop)', () => {
  const backoff = { min: 5, max: 20 };

  it('resubscribes after a drop from the last delivered position, delivering each event once, in order', async () => {
    const server = scriptedServer([
      { deliver: 2, then: 'error' },
      { deliver: 2, then: 'end', replayStart: true },
      { deliver: Infinity, then: 'hang', replayStart: true },
    ]);
    const seen: string[] = [];
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      null,
      async (e) => void seen.push(e.type),
      undefined,
      backoff,
      quiet,
    );
    await until(() => seen.length === 6);
    await sub.stop();
    expect(seen).toEqual(['E0', 'E1', 'E2', 'E3', 'E4', 'E5']);
    expect(server.opened).toEqual([null, encodeEsdbPosition(LOG[1]), encodeEsdbPosition(LOG[3])]);
  });

  it('starts strictly after the given position', async () => {
    const server = scriptedServer([{ deliver: Infinity, then: 'hang', replayStart: true }]);
    const seen: string[] = [];
    const after = encodeEsdbPosition(LOG[3]);
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      after,
      async (e) => void seen.push(e.type),
      undefined,
      backoff,
      quiet,
    );
    await until(() => seen.length === 2);
    await sub.stop();
    expect(seen).toEqual(['E4', 'E5']);
  });

  it('awaits the handler: one event at a time', async () => {
    const server = scriptedServer([{ deliver: Infinity, then: 'hang' }]);
    let active = 0;
    let maxActive = 0;
    let count = 0;
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      null,
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await turn();
        active--;
        count++;
      },
      undefined,
      backoff,
      quiet,
    );
    await until(() => count === 6);
    await sub.stop();
    expect(maxActive).toBe(1);
  });

  it('stops and reports when the handler rejects (no resubscription)', async () => {
    const server = scriptedServer([{ deliver: Infinity, then: 'hang' }]);
    const failure = new Error('projection failed');
    const reported: unknown[] = [];
    const logger = recording();
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      null,
      async (e) => {
        if (e.type === 'E1') throw failure;
      },
      (error) => reported.push(error),
      backoff,
      logger,
    );
    await until(() => reported.length === 1);
    await sub.stop();
    expect(reported).toEqual([failure]);
    expect(server.opened).toHaveLength(1);
    expect(logger.warns).toEqual([]);
  });

  it('gives up (onError) when access is denied instead of retrying forever', async () => {
    const denied = new AccessDeniedError(undefined, 'access denied');
    const server = scriptedServer([{ deliver: 0, then: 'error', error: denied }]);
    const reported: unknown[] = [];
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      null,
      async () => undefined,
      (e) => reported.push(e),
      backoff,
      quiet,
    );
    await until(() => reported.length === 1);
    await sub.stop();
    expect(reported[0]).toBeInstanceOf(PermanentStoreError);
    expect((reported[0] as Error).cause).toBe(denied);
  });

  it.each([
    ['an invalid argument (gRPC 3)', Object.assign(new Error('Invalid position'), { code: 3 })],
    ['out of range (gRPC 11)', Object.assign(new Error('position beyond the log'), { code: 11 })],
    ['a RangeError of ours', new RangeError('Not an EventStoreDB position: x')],
  ])(
    'stops for good on %s: onError gets a PermanentStoreError, one error line is logged',
    async (_, error) => {
      const server = scriptedServer([{ deliver: 0, then: 'error', error }]);
      const reported: unknown[] = [];
      const errors: string[] = [];
      const warns: string[] = [];
      const sub = new EsdbAllSubscription(
        server.open,
        convert,
        null,
        async () => undefined,
        (e) => reported.push(e),
        backoff,
        { warn: (m: string) => void warns.push(m), error: (m: string) => void errors.push(m) },
      );
      await until(() => reported.length === 1);
      await sub.stop();
      expect(server.opened).toHaveLength(1); // not retried
      expect(warns).toEqual([]); // nor meant to be
      expect(reported[0]).toBeInstanceOf(PermanentStoreError);
      expect((reported[0] as Error).message).toMatch(/retrying cannot help/);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/Subscription to \$all stopped/);
    },
  );

  it('retries transient drops (unavailable, an unknown server error) instead', async () => {
    const server = scriptedServer([
      { deliver: 0, then: 'error', error: new UnavailableError(undefined, 'connection dropped') },
      { deliver: 0, then: 'error', error: Object.assign(new Error('internal'), { code: 13 }) },
      { deliver: Infinity, then: 'hang' },
    ]);
    const seen: string[] = [];
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      null,
      async (e) => void seen.push(e.type),
      undefined,
      backoff,
      quiet,
    );
    await until(() => seen.length === 6);
    await sub.stop();
    expect(server.opened).toHaveLength(3);
  });

  it('checks a start position first: one that is not of this store stops the subscription for good', async () => {
    const server = scriptedServer([{ deliver: Infinity, then: 'hang' }]);
    const reported: unknown[] = [];
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      '42',
      async () => undefined,
      (e) => reported.push(e),
      backoff,
      quiet,
      async (after) => {
        throw new PermanentStoreError(`Position ${after} is not a position of this EventStoreDB's $all`);
      },
    );
    await until(() => reported.length === 1);
    await sub.stop();
    expect(server.opened).toEqual([]); // never subscribed
    expect((reported[0] as Error).message).toMatch(/42 is not a position/);
  });

  it('stop() ends a subscription waiting to resubscribe at once', async () => {
    const server = scriptedServer([{ deliver: 0, then: 'error' }]);
    const logger = recording();
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      null,
      async () => undefined,
      undefined,
      { min: 60_000, max: 60_000 },
      logger,
    );
    await until(() => logger.warns.length === 1); // said just before it starts waiting
    expect(logger.warns[0]).toMatch(/resubscribing .* in 60000 ms/);
    // The resubscription waits 60 s: a stop() that waited for it would outlast the test's timeout. No wall-clock
    // bound beyond that (a loaded machine is not a slow stop).
    await sub.stop();
    expect(server.opened).toHaveLength(1); // and it did not resubscribe on the way out
  }, 20_000);

  it('stop() waits for the handler call in flight', async () => {
    const server = scriptedServer([{ deliver: Infinity, then: 'hang' }]);
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sub = new EsdbAllSubscription(
      server.open,
      convert,
      null,
      async (e) => {
        log.push(`start ${e.type}`);
        await gate;
        log.push(`end ${e.type}`);
      },
      undefined,
      backoff,
      quiet,
    );
    await until(() => log.length === 1);
    const stopping = sub.stop().then(() => log.push('stopped'));
    await turn();
    expect(log).toEqual(['start E0']); // stop() is waiting
    release();
    await stopping;
    expect(log).toEqual(['start E0', 'end E0', 'stopped']);
  });
});

describe('EventStoreDbEventStore start-up', () => {
  async function closedPort(): Promise<number> {
    return new Promise((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }

  it('fails fast with one line naming the server when nothing answers', async () => {
    const port = await closedPort();
    const store = new EventStoreDbEventStore(`esdb://admin:secret@127.0.0.1:${port}?tls=false`, {
      connectTimeoutMs: 1500,
      logger: quiet,
    });
    const error = await store.connect().then(
      () => null,
      (e: unknown) => e,
    );
    await store.close();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(`^EventStoreDB unreachable at esdb://\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
    );
    expect(message).toContain('ESDB_CONNECTION_STRING');
    expect(message).not.toContain('secret');
    expect(message).not.toContain('\n');
    // It gave up on its own connect timeout (1.5 s): one retrying forever outlasts the test's timeout. No
    // wall-clock bound beyond that (a loaded machine is not a slow give-up).
  }, 30_000);

  it('refuses a malformed connection string with a clear error', () => {
    expect(() => new EventStoreDbEventStore('not-a-connection-string', { logger: quiet })).toThrow(
      /ESDB_CONNECTION_STRING/,
    );
  });
});

describe('EventStoreDbEventStore reads (the client read streams it opens)', () => {
  /** $all of this fake server: `n` events of order streams, positions 100, 200, … (commit = prepare). */
  function fakeClient(n: number) {
    const all = Array.from({ length: n }, (_, i) => {
      const position = { commit: BigInt((i + 1) * 100), prepare: BigInt((i + 1) * 100) };
      return {
        event: {
          streamId: `order-${i % 3}`,
          id: `id-${i}`,
          isJson: true,
          revision: BigInt(Math.floor(i / 3)),
          type: `E${i}`,
          created: new Date(0),
          data: { i },
          metadata: {},
          position,
        },
      };
    });
    const reads: { maxCount: number; cancelled: boolean; ended: boolean }[] = [];
    function stream(items: unknown[], maxCount: number) {
      const read = { maxCount, cancelled: false, ended: false };
      reads.push(read);
      const generate = async function* () {
        for (const item of items.slice(0, maxCount)) yield item;
        read.ended = true;
      };
      const readable = Readable.from(generate(), { objectMode: true, highWaterMark: 1 });
      return Object.assign(readable, {
        cancel: async () => {
          read.cancelled = true;
        },
      });
    }
    const client = {
      connectionName: 'fake',
      readAll(options: {
        fromPosition: 'start' | 'end' | { commit: bigint };
        maxCount: number;
        direction: 'forwards' | 'backwards';
      }) {
        const from = options.fromPosition;
        let items: typeof all;
        if (options.direction === 'backwards') {
          items = [...all].reverse();
          if (typeof from === 'object') items = items.filter((e) => e.event.position.commit <= from.commit);
        } else {
          items =
            from === 'start'
              ? all
              : all.filter((e) => e.event.position.commit >= (from as { commit: bigint }).commit);
        }
        return stream(items, options.maxCount);
      },
      readStream(name: string, options: { fromRevision?: bigint | 'start'; maxCount?: number }) {
        const from = typeof options.fromRevision === 'bigint' ? options.fromRevision : 0n;
        const items = all.filter((e) => e.event.streamId === name && e.event.revision >= from);
        return stream(items, options.maxCount ?? Number.MAX_SAFE_INTEGER);
      },
    };
    const store = new EventStoreDbEventStore(client as unknown as EventStoreDBClient, { logger: quiet });
    const open = () => reads.filter((r) => !r.ended && !r.cancelled);
    return { store, reads, open };
  }

  it('cancels the read when headPosition returns before the end of a page, and asks for a small page', async () => {
    const { store, reads, open } = fakeClient(600);
    expect(await store.headPosition()).toBe(encodeEsdbPosition({ commit: 60_000n, prepare: 60_000n }));
    expect(reads).toHaveLength(1);
    expect(reads[0].maxCount).toBeLessThanOrEqual(8);
    expect(reads[0].cancelled).toBe(true);
    expect(open()).toEqual([]);
  });

  it('cancels the read when readAll returns at maxCount mid-page, and asks for no more than it needs', async () => {
    const { store, reads, open } = fakeClient(600);
    const first = await store.readAll({ after: null, maxCount: 1 });
    expect(first.map((e) => e.type)).toEqual(['E0']);
    const next = await store.readAll({ after: first[0].position, maxCount: 1 });
    expect(next.map((e) => e.type)).toEqual(['E1']);
    expect(reads.map((r) => r.maxCount)).toEqual([1, 2]);
    expect(open()).toEqual([]);
    const filtered = await store.readAll({ after: null, maxCount: 5, streamPrefix: 'order-2' });
    expect(filtered.map((e) => e.type)).toEqual(['E2', 'E5', 'E8', 'E11', 'E14']);
    expect(open()).toEqual([]);
  });

  it('leaves no read open after hundreds of calls (the /health and /metrics probes)', async () => {
    const { store, reads, open } = fakeClient(600);
    for (let i = 0; i < 300; i++) {
      await store.headPosition();
      await store.readAll({ after: null, maxCount: 1 });
    }
    expect(reads.length).toBeGreaterThanOrEqual(600);
    expect(open()).toEqual([]);
  });

  it('reads to the end without cancelling when the page is drained', async () => {
    const { store, reads } = fakeClient(10);
    expect(await store.readAll({ after: null, maxCount: 100 })).toHaveLength(10);
    expect(await store.readStream('order-1')).toHaveLength(3);
    expect(reads.every((r) => r.ended && !r.cancelled)).toBe(true);
  });

  it('readAll from a position the server refuses fails with a PermanentStoreError (not retried by readers)', async () => {
    const { store } = fakeClient(3);
    const refusing = store as unknown as { client: { readAll: () => never } };
    refusing.client.readAll = () => {
      throw Object.assign(new Error('Invalid position'), { code: 3 });
    };
    await expect(store.readAll({ after: '42', maxCount: 10 })).rejects.toBeInstanceOf(PermanentStoreError);
    await expect(store.readAll({ after: 'abc', maxCount: 10 })).rejects.toBeInstanceOf(RangeError);
  });

  it('positions for metrics are the commit part, not commit * 2^64 + prepare', () => {
    const { store } = fakeClient(0);
    expect(store.positionForMetrics(encodeEsdbPosition({ commit: 123_456n, prepare: 123_000n }))).toBe(
      123_456,
    );
  });

  it('headEvent gives the newest event with its recordedAt', async () => {
    const { store } = fakeClient(5);
    expect(await store.headEvent()).toEqual({
      position: encodeEsdbPosition({ commit: 500n, prepare: 500n }),
      recordedAt: new Date(0).toISOString(),
    });
  });

  it('cancels the read when the consumer throws mid-page', async () => {
    const { reads } = fakeClient(0);
    const items = Array.from({ length: 50 }, (_, i) => ({ event: { i } }));
    let cancelled = false;
    const read = Object.assign(Readable.from(items, { objectMode: true, highWaterMark: 1 }), {
      cancel: async () => void (cancelled = true),
    });
    await expect(
      (async () => {
        for await (const _ of cancelIfAbandoned(read as unknown as StreamingRead<ResolvedEvent>)) {
          throw new Error('consumer failed');
        }
      })(),
    ).rejects.toThrow('consumer failed');
    expect(cancelled).toBe(true);
    expect(read.destroyed).toBe(true);
    expect(reads).toEqual([]);
  });
});
