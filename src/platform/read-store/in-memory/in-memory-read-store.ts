// The read store in a process's memory, for tests: the port's semantics (filter.ts) over Maps. Documents are
// kept serialized, as a real store keeps them, so callers always get fresh copies.
import { BufferedWriter } from '../buffered-writer';
import { query } from '../filter';
import {
  assertCollectionName,
  CheckpointConflictError,
  CommitOptions,
  DeadLetter,
  DocumentWriter,
  Entry,
  Filter,
  FindOptions,
  ReadStore,
} from '../read-store.port';
import { comparePositions } from '../../event-store/event-store.port';

interface StoredDoc {
  json: string;
  /** Parsed once, for matching; never handed out. */
  value: object;
}

export class InMemoryReadStore implements ReadStore {
  private readonly collections = new Map<string, Map<string, StoredDoc>>();
  private readonly checkpoints = new Map<string, string>();
  private readonly deadLetters = new Map<string, string>();
  private closed = false;

  async get<T extends object>(collection: string, id: string): Promise<T | null> {
    this.assertOpen();
    const stored = this.collections.get(collection)?.get(id);
    return stored ? (JSON.parse(stored.json) as T) : null;
  }

  async find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return (await this.findEntries<T>(collection, filter, options)).map((e) => e.doc);
  }

  async findEntries<T extends object>(
    collection: string,
    filter: Filter,
    options?: FindOptions,
  ): Promise<Entry<T>[]> {
    this.assertOpen();
    const docs = this.collections.get(collection);
    const entries: Entry<object>[] = [];
    if (docs) for (const [id, stored] of docs) entries.push({ id, doc: stored.value });
    return query(entries, filter, options).map((e) => ({
      id: e.id,
      doc: JSON.parse((docs as Map<string, StoredDoc>).get(e.id)!.json) as T,
    }));
  }

  async count(collection: string, filter: Filter): Promise<number> {
    this.assertOpen();
    const docs = this.collections.get(collection);
    if (!docs) {
      query([], filter); // still refuse a malformed filter
      return 0;
    }
    return query(
      [...docs].map(([id, s]) => ({ id, doc: s.value })),
      filter,
    ).length;
  }

  async ensureCollection(collection: string, indexes: string[][]): Promise<void> {
    this.assertOpen();
    assertCollectionName(collection);
    void indexes; // a scan is fast enough for tests
    if (!this.collections.has(collection)) this.collections.set(collection, new Map());
  }

  async dropCollection(collection: string): Promise<void> {
    this.assertOpen();
    this.collections.delete(collection);
  }

  async listCollections(): Promise<string[]> {
    this.assertOpen();
    return [...this.collections.keys()].sort();
  }

  async getCheckpoint(checkpointKey: string): Promise<string | null> {
    this.assertOpen();
    return this.checkpoints.get(checkpointKey) ?? null;
  }

  async listCheckpoints(): Promise<Record<string, string>> {
    this.assertOpen();
    return Object.fromEntries(this.checkpoints);
  }

  async deleteCheckpoint(checkpointKey: string): Promise<void> {
    this.assertOpen();
    this.checkpoints.delete(checkpointKey);
  }

  async commitBatch<T>(
    checkpointKey: string,
    expected: string | null,
    next: string,
    fn: (writer: DocumentWriter) => Promise<T>,
    options: CommitOptions = {},
  ): Promise<T> {
    this.assertOpen();
    if (comparePositions(next, expected) < 0) throw new Error(`Checkpoint ${checkpointKey} cannot move back`);
    this.checkCheckpoint(checkpointKey, expected);
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    // Checked again after fn's awaits: the check and the apply below run without yielding, so they are atomic.
    this.checkCheckpoint(checkpointKey, expected);
    this.apply(writer);
    for (const letter of options.deadLetters ?? []) this.deadLetters.set(letter.id, JSON.stringify(letter));
    this.checkpoints.set(checkpointKey, next);
    return result;
  }

  async write<T>(fn: (writer: DocumentWriter) => Promise<T>): Promise<T> {
    this.assertOpen();
    const writer = new BufferedWriter(this);
    const result = await fn(writer);
    this.apply(writer);
    return result;
  }

  async listDeadLetters(checkpointKey?: string): Promise<DeadLetter[]> {
    this.assertOpen();
    return [...this.deadLetters.values()]
      .map((json) => JSON.parse(json) as DeadLetter)
      .filter((d) => checkpointKey === undefined || d.checkpointKey === checkpointKey)
      .sort((a, b) => a.parkedAt.localeCompare(b.parkedAt) || comparePositions(a.position, b.position));
  }

  async deleteDeadLetters(checkpointKey?: string): Promise<number> {
    this.assertOpen();
    let removed = 0;
    for (const [id, json] of this.deadLetters) {
      if (checkpointKey === undefined || (JSON.parse(json) as DeadLetter).checkpointKey === checkpointKey) {
        this.deadLetters.delete(id);
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkCheckpoint(checkpointKey: string, expected: string | null): void {
    const actual = this.checkpoints.get(checkpointKey) ?? null;
    if (actual !== expected) throw new CheckpointConflictError(checkpointKey, expected, actual);
  }

  private apply(writer: BufferedWriter): void {
    for (const { collection, ids, docs: jsons } of writer.changes()) {
      let docs = this.collections.get(collection);
      if (!docs) {
        docs = new Map();
        this.collections.set(collection, docs);
      }
      for (let i = 0; i < ids.length; i++) {
        const json = jsons[i];
        if (json === null) docs.delete(ids[i]);
        else docs.set(ids[i], { json, value: JSON.parse(json) as object });
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The read store is closed');
  }
}
