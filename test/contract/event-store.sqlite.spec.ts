import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EventStore, WrongExpectedRevisionError } from '../../src/platform/event-store/event-store.port';
import { DuplicateEventIdError } from '../../src/platform/event-store/store-support';
import {
  EVENTS_DB_FILE,
  SqliteEventStore,
  SqliteEventStoreOptions,
} from '../../src/platform/event-store/sqlite/sqlite-event-store';
import { CHECKPOINTER_START_AFTER } from '../../src/platform/event-store/sqlite/wal-checkpointer';
import {
  Delivered,
  describeEmbeddedEventStoreBehaviour,
  describeEventStoreContract,
  macrotask,
  testEvent,
} from './event-store.contract';

/** Short polls keep cross-connection tests fast; nothing waits on them unless a test says so. */
const POLL_MS = 10;

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'event-store-sqlite-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describeEventStoreContract('sqlite', async (options = {}) => {
  const { dir, remove } = tempDir();
  let store = new SqliteEventStore({ dataDir: dir, pollIntervalMs: POLL_MS, ...options });
  return {
    store,
    restart: async () => {
      await store.close();
      store = new SqliteEventStore({ dataDir: dir, pollIntervalMs: POLL_MS, ...options });
      return store;
    },
    cleanup: async () => {
      await store.close();
      remove();
    },
  };
});

describeEmbeddedEventStoreBehaviour('sqlite', async (options) => {
  const { dir, remove } = tempDir();
  const store = new SqliteEventStore({ dataDir: dir, pollIntervalMs: POLL_MS, ...options });
  return {
    store,
    cleanup: async () => {
      await store.close();
      remove();
    },
  };
});

describe('SqliteEventStore', () => {
  let dir: string;
  let remove: () => void;
  let opened: EventStore[];
  const open = (options: Partial<SqliteEventStoreOptions> = {}) => {
    const store = new SqliteEventStore({ dataDir: dir, pollIntervalMs: POLL_MS, ...options });
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    ({ dir, remove } = tempDir());
    opened = [];
  });
  afterEach(async () => {
    await Promise.all(opened.map((store) => store.close()));
    remove();
  });

  it('keeps its data in <dataDir>/events.db, in WAL mode, creating the directory', async () => {
    const nested = join(dir, 'nested', 'data');
    const store = open({ dataDir: nested });
    await store.append('s-1', [testEvent()], 'no_stream');
    expect(store.file).toBe(join(nested, EVENTS_DB_FILE));
    expect(existsSync(join(nested, 'events.db'))).toBe(true);
    expect(existsSync(join(nested, 'events.db-wal'))).toBe(true);
  });

  it('turns a lost race on UNIQUE(stream, revision) into WrongExpectedRevisionError', async () => {
    const store = open();
    await store.append('s-1', [testEvent('A')], 'no_stream');
    // Simulate a writer that slipped in between the revision check and the insert: the check sees no stream.
    const internals = store as unknown as {
      lastRevisionStmt: { get: (stream: string) => number | undefined };
    };
    const realGet = internals.lastRevisionStmt.get.bind(internals.lastRevisionStmt);
    let checks = 0;
    internals.lastRevisionStmt.get = (stream) => (checks++ === 0 ? undefined : realGet(stream));

    const error = await store.append('s-1', [testEvent('B')], 'no_stream').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect(error).toMatchObject({ streamName: 's-1', expected: 'no_stream', actual: 0 });
    expect((await store.readStream('s-1')).map((e) => e.type)).toEqual(['A']);
  });

  it('group commit: appends of one turn share a transaction, each with its own outcome, in call order', async () => {
    const store = open();
    await store.append('s-1', [testEvent('A')], 'no_stream');
    const duplicate = testEvent('dup');
    const outcomes = await Promise.allSettled([
      store.append('s-1', [testEvent('B')], 0),
      store.append('s-1', [testEvent('C')], 0), // B came first: now stale
      store.append('s-2', [duplicate], 'no_stream'),
      store.append('s-3', [{ ...duplicate }], 'no_stream'), // same id: fails alone
      store.append('s-1', [testEvent('D')], 1), // sees B
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      name: 'WrongExpectedRevisionError',
      actual: 1,
    });
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
    expect((await store.readStream('s-1')).map((e) => e.type)).toEqual(['A', 'B', 'D']);
    expect(await store.readStream('s-3')).toEqual([]);
    const feed = await store.readAll({ after: null, maxCount: 10 });
    expect(feed.map((e) => e.type)).toEqual(['A', 'B', 'dup', 'D']);
  });

  it('fails a whole batch at once when the write lock stays taken past busy_timeout', async () => {
    const store = open({ busyTimeoutMs: 30 });
    const other = open();
    await other.append('s-0', [testEvent()], 'no_stream');
    const lockHolder = (other as unknown as { db: { exec(sql: string): void } }).db;
    // Each of these transactions waits up to busy_timeout for the lock: counted, not timed.
    const internals = store as unknown as Record<'appendBatchTx' | 'appendOneTx', (arg: unknown) => unknown>;
    let lockWaits = 0;
    for (const tx of ['appendBatchTx', 'appendOneTx'] as const) {
      const original = internals[tx];
      internals[tx] = (arg) => {
        lockWaits++;
        return original(arg);
      };
    }
    lockHolder.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = await Promise.allSettled([
        store.append('s-1', [testEvent()], 'no_stream'),
        store.append('s-2', [testEvent()], 'no_stream'),
        store.append('s-3', [testEvent()], 'no_stream'),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(lockWaits).toBe(1); // one wait for the lock, not one per append
    } finally {
      lockHolder.exec('ROLLBACK');
    }
    await store.append('s-1', [testEvent()], 'no_stream');
    expect(await store.headPosition()).toBe('2');
  });

  describe('two stores on one file (as two processes would)', () => {
    it("both see each other's appends through subscribe", async () => {
      const a = open();
      const b = open();
      const seenByA = new Delivered();
      const seenByB = new Delivered();
      const subscriptions = [
        a.subscribeToAll({ after: null }, seenByA.handler),
        b.subscribeToAll({ after: null }, seenByB.handler),
      ];
      const events = [testEvent('1'), testEvent('2'), testEvent('3'), testEvent('4')];
      await a.append('s-a', [events[0]], 'no_stream');
      await b.append('s-b', [events[1]], 'no_stream');
      await b.append('s-a', [events[2]], 0);
      await a.append('s-b', [events[3]], 0);

      await Promise.all([seenByA.waitFor(4), seenByB.waitFor(4)]);
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      const ids = events.map((e) => e.id);
      expect(seenByA.ids()).toEqual(ids);
      expect(seenByB.ids()).toEqual(ids);
      expect(seenByA.events.map((e) => e.position)).toEqual(['1', '2', '3', '4']);
    });

    it('lets exactly one of two conflicting appends win, at no_stream and at a revision', async () => {
      const a = open();
      const b = open();
      const created = await Promise.allSettled([
        a.append('s-1', [testEvent('fromA')], 'no_stream'),
        b.append('s-1', [testEvent('fromB')], 'no_stream'),
      ]);
      expect(created.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const next = await Promise.allSettled([
        b.append('s-1', [testEvent('fromB')], 0),
        a.append('s-1', [testEvent('fromA')], 0),
      ]);
      expect(next.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of [...created, ...next]) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
      }
      expect((await a.readStream('s-1')).map((e) => e.revision)).toEqual([0, 1]);
      expect(await b.readStream('s-1')).toEqual(await a.readStream('s-1'));
    });
  });

  it('races a real second process: one winner per stream, and its appends reach our subscription', async () => {
    const streams = 150;
    const store = open();
    const delivered = new Delivered(15_000);
    const subscription = store.subscribeToAll({ after: null, streamPrefix: 'race-' }, delivered.handler);

    const child = spawn(process.execPath, ['-e', CHILD_SOURCE], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATA_DIR: dir, STREAMS: String(streams) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(await nextLine()).toBe('ready');
    const childResult = nextLine();
    child.stdin.write('go\n');

    const wonHere: number[] = [];
    for (let i = 0; i < streams; i++) {
      try {
        await store.append(`race-${i}`, [testEvent('Parent', { i })], 'no_stream');
        wonHere.push(i);
      } catch (error) {
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      }
      if (i % 10 === 0) await macrotask(); // let the child's writes interleave with ours
    }
    const wonThere = JSON.parse(await childResult) as number[];
    expect(await exited).toBe(0);

    expect([...wonHere, ...wonThere].sort((x, y) => x - y)).toEqual(
      Array.from({ length: streams }, (_, i) => i),
    );
    await delivered.waitFor(streams);
    await subscription.stop();
    expect(delivered.events).toHaveLength(streams);
    const types = new Map(delivered.events.map((e) => [e.streamName, e.type]));
    for (const i of wonThere) expect(types.get(`race-${i}`)).toBe('Child');
    for (const i of wonHere) expect(types.get(`race-${i}`)).toBe('Parent');
    for (let i = 0; i < streams; i++) expect(await store.readStream(`race-${i}`)).toHaveLength(1);
  }, 30_000);

  it('checkpoints in a background thread and rewinds the WAL once it grows past the limit', async () => {
    const store = open({ checkpointIntervalMs: 5, walRestartFrames: 64 });
    const dbFile = join(dir, 'events.db');
    const walFile = join(dir, 'events.db-wal');
    let revision = -1;
    const appendMany = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await store.append(
          's-1',
          [testEvent('E', { revision: revision + 1 })],
          revision < 0 ? 'no_stream' : revision,
        );
        revision++;
      }
    };
    await appendMany(CHECKPOINTER_START_AFTER + 1);
    const dbSizeBefore = statSync(dbFile).size;

    // Rewound writes go to the WAL's start: a round of appends that leaves the file no bigger proves a rewind.
    let rewound = false;
    for (let round = 0; round < 100 && !rewound; round++) {
      const walBefore = statSync(walFile).size;
      await appendMany(20);
      rewound = statSync(walFile).size <= walBefore;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(rewound).toBe(true);
    expect(statSync(dbFile).size).toBeGreaterThan(dbSizeBefore); // pages reached the database file

    const events = await store.readStream('s-1');
    expect(events).toHaveLength(revision + 1);
    expect(events.map((e) => e.data.revision)).toEqual(events.map((e) => e.revision));
  }, 20_000);
});

const REPO_ROOT = resolve(__dirname, '..', '..');

// A second process on the same data directory: loads the adapter through swc (like scripts/run-ts.cjs), waits
// for "go", then tries to create race-0..race-(STREAMS-1) and prints the indexes it won.
const CHILD_SOURCE = `
const fs = require('node:fs');
const { randomUUID } = require('node:crypto');
const { transformSync } = require('@swc/core');
require.extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
const { SqliteEventStore } = require('./src/platform/event-store/sqlite/sqlite-event-store.ts');
(async () => {
  const store = new SqliteEventStore({ dataDir: process.env.DATA_DIR });
  const streams = Number(process.env.STREAMS);
  process.stdout.write('ready\\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const won = [];
  for (let i = 0; i < streams; i++) {
    const event = {
      id: randomUUID(),
      type: 'Child',
      data: { i },
      metadata: { actor: { id: 'child', role: 'system' }, correlationId: randomUUID(), causationId: null, schemaVersion: 1 },
    };
    try {
      await store.append('race-' + i, [event], 'no_stream');
      won.push(i);
    } catch (error) {
      if (error.name !== 'WrongExpectedRevisionError') throw error;
    }
    if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await store.close();
  process.stdout.write(JSON.stringify(won) + '\\n');
  process.stdin.destroy();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;
