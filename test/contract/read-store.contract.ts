// The read-store contract: every adapter (sqlite, in-memory, MongoDB) runs this one suite. Nothing here knows an
// adapter's internals; each test gets a fresh, empty store from the factory.
import type { StoredEvent } from '../../src/platform/event-store/event-store.port';
import {
  CheckpointConflictError,
  DeadLetter,
  DocumentWriter,
  NotWellFormedTextError,
  ReadStore,
} from '../../src/platform/read-store/read-store.port';
import { itUnless } from '../support/skip-with-reason';

export interface ReadStoreUnderTest {
  store: ReadStore;
  /** Closes `store` and opens the same data again (durable adapters only). */
  reopen?: () => Promise<ReadStore>;
  /** Closes whatever is open and removes the data. */
  dispose: () => Promise<void>;
}

export type ReadStoreFactory = () => Promise<ReadStoreUnderTest>;

interface Doc {
  name: string;
  n?: number | null;
  s?: string | null;
  flag?: boolean;
  nested?: { level?: number; tag?: string | null };
}

const C = 'things';

const deadLetter = (checkpointKey: string, position: string): DeadLetter => {
  const event: StoredEvent = {
    id: `evt-${position}`,
    streamName: 'order-1',
    revision: 0,
    position,
    type: 'OrderPlaced',
    data: { orderId: '1' },
    metadata: { actor: { id: 'u', role: 'buyer' }, correlationId: 'c', causationId: null, schemaVersion: 1 },
    recordedAt: '2026-01-01T00:00:00.000Z',
  };
  return {
    id: `${checkpointKey}:${position}`,
    checkpointKey,
    projection: checkpointKey.split('@')[0],
    position,
    eventId: event.id,
    eventType: event.type,
    streamName: event.streamName,
    error: 'boom',
    attempts: 3,
    parkedAt: `2026-01-01T00:00:0${position}.000Z`,
    event,
  };
};

export interface ReadStoreContractOptions {
  /** false: the adapter keeps nothing across a reopen; the durability test is reported as skipped. */
  durable?: boolean;
}

export function describeReadStoreContract(
  name: string,
  factory: ReadStoreFactory,
  options: ReadStoreContractOptions = {},
): void {
  describe(`ReadStore contract: ${name}`, () => {
    let sut: ReadStoreUnderTest;
    let store: ReadStore;

    beforeEach(async () => {
      sut = await factory();
      store = sut.store;
      await store.ensureCollection(C, [['n'], ['s', 'n'], ['nested.level']]);
    });
    afterEach(async () => {
      await sut.dispose();
    });

    const seed = async (docs: Record<string, Doc>): Promise<void> => {
      await store.write(async (w) => {
        for (const [id, doc] of Object.entries(docs)) await w.put(C, id, doc);
      });
    };
    const ids = async (
      filter: Parameters<ReadStore['find']>[1],
      options?: Parameters<ReadStore['find']>[2],
    ) => (await store.findEntries<Doc>(C, filter, options)).map((e) => e.id);

    describe('documents', () => {
      it('puts, gets, replaces and deletes', async () => {
        expect(await store.get(C, 'a')).toBeNull();
        await store.write((w) => w.put(C, 'a', { name: 'first', n: 1 }));
        expect(await store.get(C, 'a')).toEqual({ name: 'first', n: 1 });
        await store.write((w) => w.put(C, 'a', { name: 'second' }));
        expect(await store.get(C, 'a')).toEqual({ name: 'second' });
        await store.write((w) => w.delete(C, 'a'));
        expect(await store.get(C, 'a')).toBeNull();
        await store.write((w) => w.delete(C, 'never-there'));
      });

      it('keeps nested objects, arrays, unicode and numbers as JSON', async () => {
        const doc = {
          name: 'ünïcødé ✓ 😀',
          list: [1, 'two', { three: 3 }],
          deep: { a: { b: [null, true] } },
          x: 0.5,
        };
        await store.write((w) => w.put(C, 'j', doc));
        expect(await store.get(C, 'j')).toEqual(doc);
      });

      it('hands out copies: mutating a returned document changes nothing stored', async () => {
        await seed({ a: { name: 'a', nested: { level: 1 } } });
        const got = (await store.get<Doc>(C, 'a'))!;
        got.nested!.level = 99;
        const [found] = await store.find<Doc>(C, {});
        found.name = 'changed';
        expect(await store.get(C, 'a')).toEqual({ name: 'a', nested: { level: 1 } });
      });

      it('reads an unknown collection as empty and creates a collection on first write', async () => {
        expect(await store.get('nowhere', 'x')).toBeNull();
        expect(await store.find('nowhere', { a: 1 }, { sort: { a: 1 }, limit: 3 })).toEqual([]);
        expect(await store.count('nowhere', {})).toBe(0);
        await store.write((w) => w.put('created_on_write', 'x', { v: 1 }));
        expect(await store.get('created_on_write', 'x')).toEqual({ v: 1 });
        expect(await store.listCollections()).toEqual(expect.arrayContaining(['created_on_write', C]));
      });

      it('ensures collections idempotently, lists and drops them', async () => {
        await store.ensureCollection(C, [['n'], ['s', 'n'], ['nested.level']]);
        await store.ensureCollection('other-things', [['a.b']]);
        await seed({ a: { name: 'a' } });
        expect(await store.listCollections()).toEqual(expect.arrayContaining([C, 'other-things']));
        await store.dropCollection(C);
        expect(await store.listCollections()).not.toContain(C);
        expect(await store.get(C, 'a')).toBeNull();
        await store.dropCollection('never-created');
      });

      it('refuses malformed ids, collection names and non-object documents', async () => {
        await expect(store.write((w) => w.put(C, '', { name: 'x' }))).rejects.toThrow();
        await expect(store.write((w) => w.put('bad name!', 'x', { name: 'x' }))).rejects.toThrow();
        await expect(store.write((w) => w.put(C, 'x', [1, 2] as unknown as object))).rejects.toThrow();
      });
    });

    describe('filters', () => {
      beforeEach(async () => {
        await seed({
          a: { name: 'a', n: 1, s: 'apple', flag: true, nested: { level: 1, tag: 'x' } },
          b: { name: 'b', n: 2, s: 'banana', flag: false, nested: { level: 2, tag: null } },
          c: { name: 'c', n: 3, s: 'cherry', nested: { level: 3 } },
          d: { name: 'd', n: null, s: 'date' },
          e: { name: 'e', s: null },
          f: { name: 'f', n: 2.5, s: '10' },
        });
      });

      it('matches a bare scalar and $eq', async () => {
        expect(await ids({ n: 2 })).toEqual(['b']);
        expect(await ids({ n: { $eq: 2 } })).toEqual(['b']);
        expect(await ids({ s: 'apple' })).toEqual(['a']);
        expect(await ids({ n: 2.5 })).toEqual(['f']);
        expect(await ids({ s: 'nothing' })).toEqual([]);
      });

      it('compares strings and numbers as different types', async () => {
        expect(await ids({ s: 10 })).toEqual([]);
        expect(await ids({ s: '10' })).toEqual(['f']);
        expect(await ids({ n: '2' })).toEqual([]);
      });

      it('matches booleans by value and type', async () => {
        expect(await ids({ flag: true })).toEqual(['a']);
        expect(await ids({ flag: false })).toEqual(['b']);
        expect(await ids({ flag: { $ne: true } })).toEqual(['b', 'c', 'd', 'e', 'f']);
        expect(await ids({ n: true })).toEqual([]);
      });

      it('matches null and missing fields with null', async () => {
        expect(await ids({ n: null })).toEqual(['d', 'e']);
        expect(await ids({ n: { $eq: null } })).toEqual(['d', 'e']);
        expect(await ids({ n: { $ne: null } })).toEqual(['a', 'b', 'c', 'f']);
        expect(await ids({ 'nested.tag': null })).toEqual(['b', 'c', 'd', 'e', 'f']);
      });

      it('$ne also matches documents without the field', async () => {
        expect(await ids({ n: { $ne: 2 } })).toEqual(['a', 'c', 'd', 'e', 'f']);
        expect(await ids({ s: { $ne: 'apple' } })).toEqual(['b', 'c', 'd', 'e', 'f']);
      });

      it('$in with values, with null, and empty', async () => {
        expect(await ids({ n: { $in: [1, 3, 42] } })).toEqual(['a', 'c']);
        expect(await ids({ s: { $in: ['banana', 'date'] } })).toEqual(['b', 'd']);
        expect(await ids({ n: { $in: [1, null] } })).toEqual(['a', 'd', 'e']);
        expect(await ids({ flag: { $in: [false] } })).toEqual(['b']);
        expect(await ids({ n: { $in: [] } })).toEqual([]);
      });

      it('$lt, $lte, $gt, $gte on numbers, skipping other types', async () => {
        expect(await ids({ n: { $lt: 2 } })).toEqual(['a']);
        expect(await ids({ n: { $lte: 2 } })).toEqual(['a', 'b']);
        expect(await ids({ n: { $gt: 2 } })).toEqual(['c', 'f']);
        expect(await ids({ n: { $gte: 2.5 } })).toEqual(['c', 'f']);
        expect(await ids({ n: { $gt: 1, $lt: 3 } })).toEqual(['b', 'f']);
        expect(await ids({ s: { $gt: 0 } })).toEqual([]);
      });

      it('$lt, $lte, $gt, $gte on strings, skipping other types', async () => {
        expect(await ids({ s: { $lt: 'banana' } })).toEqual(['a', 'f']);
        expect(await ids({ s: { $lte: 'banana' } })).toEqual(['a', 'b', 'f']);
        expect(await ids({ s: { $gt: 'banana' } })).toEqual(['c', 'd']);
        expect(await ids({ s: { $gte: 'cherry', $lt: 'date' } })).toEqual(['c']);
        expect(await ids({ n: { $lt: 'z' } })).toEqual([]);
      });

      it('refuses null and booleans in range operators, and unknown operators', async () => {
        await expect(store.find(C, { n: { $lt: null } })).rejects.toThrow();
        await expect(store.find(C, { n: { $gt: true } })).rejects.toThrow();
        await expect(store.find(C, { n: { $regex: 'x' } as never })).rejects.toThrow();
        await expect(store.find(C, { 'bad path!': 1 })).rejects.toThrow();
      });

      it('follows dotted paths', async () => {
        expect(await ids({ 'nested.level': { $gte: 2 } })).toEqual(['b', 'c']);
        expect(await ids({ 'nested.tag': 'x' })).toEqual(['a']);
        expect(await ids({ 'nested.level': 1, s: 'apple' })).toEqual(['a']);
        expect(await ids({ 'nested.missing.deeper': null })).toHaveLength(6);
      });

      it('combines conditions on several fields (AND)', async () => {
        expect(await ids({ n: { $gte: 1 }, s: { $in: ['apple', 'cherry', 'date'] } })).toEqual(['a', 'c']);
      });

      it('counts what a filter matches', async () => {
        expect(await store.count(C, {})).toBe(6);
        expect(await store.count(C, { n: { $gt: 1 } })).toBe(3);
        expect(await store.count(C, { n: null })).toBe(2);
      });
    });

    describe('sort and limit', () => {
      beforeEach(async () => {
        await seed({
          k1: { name: 'x', n: 2, s: 'b' },
          k2: { name: 'y', n: 1, s: 'b' },
          k3: { name: 'z', n: 2, s: 'a' },
          k4: { name: 'w', s: 'c' },
          k5: { name: 'v', n: 2, s: 'a' },
        });
      });

      it('sorts ascending and descending, null/missing first when ascending', async () => {
        expect(await ids({}, { sort: { n: 1 } })).toEqual(['k4', 'k2', 'k1', 'k3', 'k5']);
        expect(await ids({}, { sort: { n: -1 } })).toEqual(['k1', 'k3', 'k5', 'k2', 'k4']);
      });

      it('sorts by several keys in order, then by id', async () => {
        expect(await ids({}, { sort: { s: 1, n: -1 } })).toEqual(['k3', 'k5', 'k1', 'k2', 'k4']);
        expect(await ids({}, { sort: { n: -1, s: -1 } })).toEqual(['k1', 'k3', 'k5', 'k2', 'k4']);
        expect(await ids({}, { sort: { name: -1 } })).toEqual(['k3', 'k2', 'k1', 'k4', 'k5']);
      });

      it('limits after filtering and sorting', async () => {
        expect(await ids({ n: 2 }, { sort: { s: -1 }, limit: 2 })).toEqual(['k1', 'k3']);
        expect(await ids({}, { sort: { n: 1 }, limit: 1 })).toEqual(['k4']);
        expect(await ids({}, { limit: 0 })).toEqual([]);
        expect(await ids({}, { limit: 100 })).toHaveLength(5);
        expect(await store.find(C, {}, { sort: { n: -1 }, limit: 1 })).toEqual([{ name: 'x', n: 2, s: 'b' }]);
      });

      it('sorts on _id by the id, in the direction asked (also as a tie-break and inside a batch)', async () => {
        expect(await ids({}, { sort: { _id: -1 } })).toEqual(['k5', 'k4', 'k3', 'k2', 'k1']);
        expect(await ids({}, { sort: { n: -1, _id: -1 } })).toEqual(['k5', 'k3', 'k1', 'k2', 'k4']);
        expect(await ids({ s: 'b' }, { sort: { _id: -1 }, limit: 1 })).toEqual(['k2']);
        await store.commitBatch('p@g1', null, '1', async (w) => {
          await w.put(C, 'k6', { name: 'u', n: 2 });
          const inBatch = await w.find<Doc>(C, { n: 2 }, { sort: { _id: -1 } });
          expect(inBatch.map((d) => d.name)).toEqual(['u', 'v', 'z', 'x']);
        });
      });

      it('refuses _id as a document field and in filters: the id lives beside the document', async () => {
        await expect(store.write((w) => w.put(C, 'x', { _id: 'other', name: 'x' }))).rejects.toThrow(/_id/);
        await expect(store.find(C, { _id: 'k1' })).rejects.toThrow(/_id/);
        expect(await store.get(C, 'x')).toBeNull();
      });

      it('sorts by dotted paths', async () => {
        await seed({ k1: { name: 'x', nested: { level: 5 } }, k2: { name: 'y', nested: { level: 3 } } });
        expect(await ids({ 'nested.level': { $gt: 0 } }, { sort: { 'nested.level': 1 } })).toEqual([
          'k2',
          'k1',
        ]);
      });
    });

    describe('commitBatch', () => {
      it('commits the documents and the checkpoint together', async () => {
        expect(await store.getCheckpoint('p@g1')).toBeNull();
        const result = await store.commitBatch('p@g1', null, '5', async (w) => {
          await w.put(C, 'a', { name: 'a' });
          await w.put(C, 'b', { name: 'b' });
          return 'done';
        });
        expect(result).toBe('done');
        expect(await store.getCheckpoint('p@g1')).toBe('5');
        expect(await store.count(C, {})).toBe(2);
        await store.commitBatch('p@g1', '5', '9', (w) => w.delete(C, 'a'));
        expect(await store.getCheckpoint('p@g1')).toBe('9');
        expect(await ids({})).toEqual(['b']);
        expect(await store.listCheckpoints()).toEqual({ 'p@g1': '9' });
      });

      it('commits a big batch over several collections, puts and deletes mixed, text of every kind intact', async () => {
        // Well-formed text of every kind (a lone surrogate is refused: see the test below).
        const text = (i: number) => `${i} ünï ✓ 😀 "q" \\ \u2028 \t ${'x'.repeat(i % 300)}`;
        await store.commitBatch('p@g1', null, '1', async (w) => {
          for (let i = 0; i < 600; i++) await w.put(i % 2 ? 'odd' : C, `k${i}`, { name: text(i), n: i });
        });
        await store.commitBatch('p@g1', '1', '2', async (w) => {
          for (let i = 0; i < 600; i += 3) await w.delete(i % 2 ? 'odd' : C, `k${i}`);
          for (let i = 600; i < 900; i++)
            await w.put('third', `k${i}`, { name: text(i), nested: { level: i } });
          await w.put(C, 'k4', { name: 'replaced' });
        });
        expect(await store.count(C, {})).toBe(300 - 100); // every third deleted, k4 replaced
        expect(await store.count('odd', {})).toBe(300 - 100);
        expect(await store.count('third', {})).toBe(300);
        expect(await store.get(C, 'k0')).toBeNull();
        expect(await store.get(C, 'k4')).toEqual({ name: 'replaced' });
        expect(await store.get('odd', 'k299')).toEqual({ name: text(299), n: 299 });
        expect(await store.get('third', 'k899')).toEqual({ name: text(899), nested: { level: 899 } });
        expect(await store.find('third', { 'nested.level': 777 })).toEqual([
          { name: text(777), nested: { level: 777 } },
        ]);
      });

      it('refuses text that is not well-formed Unicode (a lone surrogate), writing nothing', async () => {
        const bad: [string, object][] = [
          ['a value', { name: 'half \ud800 a pair' }],
          ['a trailing high surrogate', { name: 'end \ud83d' }],
          ['a low surrogate alone', { name: '\udc00' }],
          ['a nested value', { name: 'ok', nested: { tag: 'x\udfff' } }],
          ['an array element', { name: 'ok', list: ['fine', '\ud800'] }],
          ['a field name', { name: 'ok', ['k\ud800']: 1 }],
        ];
        for (const [what, doc] of bad) {
          const error = await store
            .commitBatch('p@g1', null, '1', (w) => w.put(C, 'x', doc))
            .then(
              () => new Error(`${what}: accepted`),
              (e: unknown) => e,
            );
          expect(error).toBeInstanceOf(NotWellFormedTextError);
          await expect(store.write((w) => w.put(C, 'x', doc))).rejects.toBeInstanceOf(NotWellFormedTextError);
        }
        await expect(store.write((w) => w.put(C, 'id\ud800', { name: 'ok' }))).rejects.toBeInstanceOf(
          NotWellFormedTextError,
        );
        expect(await store.getCheckpoint('p@g1')).toBeNull();
        expect(await store.count(C, {})).toBe(0);
        // Surrogate pairs (astral characters) are well-formed and kept exactly.
        await store.write((w) => w.put(C, 'ok', { name: '😀 \ud83d\ude00 𝄞' }));
        expect(await store.get(C, 'ok')).toEqual({ name: '😀 😀 𝄞' });
      });

      it('a throwing batch writes nothing and leaves the checkpoint where it was', async () => {
        await seed({ keep: { name: 'keep', n: 1 } });
        await store.commitBatch('p@g1', null, '3', (w) => w.put(C, 'x', { name: 'x' }));
        await expect(
          store.commitBatch('p@g1', '3', '7', async (w) => {
            await w.put(C, 'y', { name: 'y' });
            await w.put(C, 'keep', { name: 'changed' });
            await w.delete(C, 'x');
            throw new Error('halfway');
          }),
        ).rejects.toThrow('halfway');
        expect(await store.getCheckpoint('p@g1')).toBe('3');
        expect(await store.get(C, 'y')).toBeNull();
        expect(await store.get(C, 'keep')).toEqual({ name: 'keep', n: 1 });
        expect(await store.get(C, 'x')).toEqual({ name: 'x' });
      });

      it('reads inside a batch see the batch; readers outside see nothing until it commits', async () => {
        await seed({ a: { name: 'a', n: 1 }, b: { name: 'b', n: 2 }, c: { name: 'c', n: 3 } });
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let inside: unknown[] = [];
        const batch = store.commitBatch('p@g1', null, '1', async (w: DocumentWriter) => {
          await w.put(C, 'd', { name: 'd', n: 0 });
          await w.put(C, 'b', { name: 'b', n: 10 });
          await w.delete(C, 'a');
          inside = [
            await w.get(C, 'd'),
            await w.get(C, 'a'),
            (await w.find<Doc>(C, { n: { $gte: 0 } }, { sort: { n: 1 } })).map((d) => d.name),
            (await w.find<Doc>(C, {}, { sort: { n: -1 }, limit: 2 })).map((d) => d.name),
            await w.count(C, {}),
            await w.count(C, { n: { $gt: 2 } }),
          ];
          await gate;
        });
        await new Promise((r) => setImmediate(r));
        expect(await store.get(C, 'd')).toBeNull();
        expect(await store.get(C, 'a')).toEqual({ name: 'a', n: 1 });
        expect(await store.getCheckpoint('p@g1')).toBeNull();
        release();
        await batch;
        expect(inside).toEqual([{ name: 'd', n: 0 }, null, ['d', 'c', 'b'], ['b', 'c'], 3, 2]);
        expect(await ids({}, { sort: { n: 1 } })).toEqual(['d', 'c', 'b']);
      });

      it('refuses a batch whose expected checkpoint is not the stored one, writing nothing', async () => {
        await store.commitBatch('p@g1', null, '4', (w) => w.put(C, 'a', { name: 'a' }));
        await expect(
          store.commitBatch('p@g1', null, '8', (w) => w.put(C, 'b', { name: 'b' })),
        ).rejects.toBeInstanceOf(CheckpointConflictError);
        await expect(
          store.commitBatch('p@g1', '2', '8', (w) => w.put(C, 'b', { name: 'b' })),
        ).rejects.toBeInstanceOf(CheckpointConflictError);
        expect(await store.get(C, 'b')).toBeNull();
        expect(await store.getCheckpoint('p@g1')).toBe('4');
      });

      it('of two workers racing from the same checkpoint, exactly one commits', async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const first = store.commitBatch('p@g1', null, '10', async (w) => {
          await w.put(C, 'one', { name: 'one' });
          await gate;
        });
        const second = store.commitBatch('p@g1', null, '10', async (w) => {
          await w.put(C, 'two', { name: 'two' });
          await gate;
        });
        release();
        const results = await Promise.allSettled([first, second]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(failed.reason).toBeInstanceOf(CheckpointConflictError);
        expect(await store.count(C, {})).toBe(1);
        expect(await store.getCheckpoint('p@g1')).toBe('10');
      });

      it('batches of several keys committed at once: each on its own, a moved checkpoint refuses only its batch', async () => {
        await store.commitBatch('q@g1', null, '5', async () => undefined);
        const results = await Promise.allSettled([
          store.commitBatch('p@g1', null, '9', (w) => w.put(C, 'p', { name: 'p' })),
          store.commitBatch('q@g1', null, '9', (w) => w.put(C, 'q', { name: 'q' })), // stored: 5
          store.commitBatch('r@g1', null, '9', async () => undefined),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(CheckpointConflictError);
        expect(await store.listCheckpoints()).toEqual({ 'p@g1': '9', 'q@g1': '5', 'r@g1': '9' });
        expect(await store.get(C, 'p')).toEqual({ name: 'p' });
        expect(await store.get(C, 'q')).toBeNull();
      });

      it('keeps checkpoints apart per key, and deletes them', async () => {
        await store.commitBatch('p@g1', null, '3', async () => undefined);
        await store.commitBatch('q@g1', null, '12', async () => undefined);
        expect(await store.getCheckpoint('p@g1')).toBe('3');
        expect(await store.getCheckpoint('q@g1')).toBe('12');
        await store.deleteCheckpoint('p@g1');
        expect(await store.getCheckpoint('p@g1')).toBeNull();
        expect(await store.listCheckpoints()).toEqual({ 'q@g1': '12' });
      });

      it('refuses to move a checkpoint backwards', async () => {
        await store.commitBatch('p@g1', null, '30', async () => undefined);
        await expect(store.commitBatch('p@g1', '30', '9', async () => undefined)).rejects.toThrow();
        expect(await store.getCheckpoint('p@g1')).toBe('30');
      });

      it('write(fn) is atomic too', async () => {
        await expect(
          store.write(async (w) => {
            await w.put(C, 'a', { name: 'a' });
            throw new Error('no');
          }),
        ).rejects.toThrow('no');
        expect(await store.get(C, 'a')).toBeNull();
      });
    });

    describe('dead letters', () => {
      it('parks dead letters with the batch, lists them by key and deletes them', async () => {
        await store.commitBatch('p@g1', null, '2', async () => undefined, {
          deadLetters: [deadLetter('p@g1', '2')],
        });
        await store.commitBatch('q@g1', null, '3', async () => undefined, {
          deadLetters: [deadLetter('q@g1', '3')],
        });
        await store.commitBatch('p@g1', '2', '4', async () => undefined, {
          deadLetters: [deadLetter('p@g1', '4')],
        });
        const all = await store.listDeadLetters();
        expect(all.map((d) => d.id)).toEqual(['p@g1:2', 'q@g1:3', 'p@g1:4']);
        expect(all[0]).toEqual(deadLetter('p@g1', '2'));
        expect((await store.listDeadLetters('p@g1')).map((d) => d.position)).toEqual(['2', '4']);
        expect(await store.deleteDeadLetters('p@g1')).toBe(2);
        expect((await store.listDeadLetters()).map((d) => d.id)).toEqual(['q@g1:3']);
        expect(await store.deleteDeadLetters()).toBe(1);
        expect(await store.listDeadLetters()).toEqual([]);
      });

      it('parks nothing when the batch fails', async () => {
        await expect(
          store.commitBatch(
            'p@g1',
            null,
            '2',
            async () => {
              throw new Error('fail');
            },
            { deadLetters: [deadLetter('p@g1', '2')] },
          ),
        ).rejects.toThrow('fail');
        await expect(
          store.commitBatch('p@g1', '1', '2', async () => undefined, {
            deadLetters: [deadLetter('p@g1', '2')],
          }),
        ).rejects.toBeInstanceOf(CheckpointConflictError);
        expect(await store.listDeadLetters()).toEqual([]);
      });
    });

    describe('durability', () => {
      const title = 'keeps documents, checkpoints and dead letters across a reopen';
      const skip = options.durable === false;
      itUnless(skip ? `the ${name} store keeps nothing across a reopen` : null, title, async () => {
        if (!sut.reopen) throw new Error(`the ${name} factory gives no reopen: pass { durable: false }`);
        await store.commitBatch(
          'p@g1',
          null,
          '42',
          async (w) => {
            await w.put(C, 'a', { name: 'a', n: 1, nested: { level: 7 } });
          },
          { deadLetters: [deadLetter('p@g1', '41')] },
        );
        store = await sut.reopen();
        expect(await store.get(C, 'a')).toEqual({ name: 'a', n: 1, nested: { level: 7 } });
        expect(await store.find(C, { 'nested.level': 7 })).toHaveLength(1);
        expect(await store.getCheckpoint('p@g1')).toBe('42');
        expect((await store.listDeadLetters()).map((d) => d.id)).toEqual(['p@g1:41']);
        expect(await store.listCollections()).toContain(C);
      });
    });
  });
}
