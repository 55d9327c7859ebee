// The event store in a process's memory, for unit tests: the SQLite adapter's semantics, events kept as JSON like
// a real store keeps them, so callers get fresh copies and data JSON cannot hold fails here too.
import { AppendResult, EventStore, EventToAppend, ExpectedRevision } from '../event-store.port';
import { EmbeddedEventStore, EmbeddedStoreOptions, EventRow } from '../embedded-event-store';
import { assertAppendable, DuplicateEventIdError } from '../store-support';

export class InMemoryEventStore extends EmbeddedEventStore implements EventStore {
  /** The feed: a row's position is its index + 1. */
  private readonly rows: EventRow[] = [];
  private readonly streams = new Map<string, EventRow[]>();
  private readonly ids = new Set<string>();

  constructor(options: EmbeddedStoreOptions = {}) {
    super(options, null); // nothing outside this object appends: no polling
  }

  async append(
    streamName: string,
    events: EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    this.assertOpen();
    assertAppendable(streamName, events);
    // Synchronous from here on: an append is atomic with respect to every other call.
    const stream = this.streams.get(streamName) ?? [];
    this.checkRevision(streamName, expected, stream.length > 0 ? stream.length - 1 : undefined);
    events.forEach(({ id }, i) => {
      if (this.ids.has(id) || events.findIndex((event) => event.id === id) < i)
        throw new DuplicateEventIdError(id);
    });
    const recordedAt = this.now().toISOString();
    // Built before anything is stored: data JSON cannot hold fails this append alone, writing nothing.
    const rows = events.map((event, i): EventRow => [
      this.rows.length + 1 + i,
      streamName,
      stream.length + i,
      event.id,
      event.type,
      JSON.stringify(event.data),
      JSON.stringify(event.metadata),
      recordedAt,
    ]);
    for (const row of rows) {
      this.rows.push(row);
      stream.push(row);
      this.ids.add(row[3]);
    }
    this.streams.set(streamName, stream);
    this.appended();
    return { nextRevision: stream.length - 1, position: String(this.rows.length) };
  }

  protected streamRows(streamName: string): EventRow[] {
    return this.streams.get(streamName) ?? [];
  }

  protected feedRows(after: number, maxCount: number, streamPrefix: string | undefined): EventRow[] {
    const page: EventRow[] = [];
    for (let index = after; index < this.rows.length && page.length < maxCount; index++) {
      const row = this.rows[index];
      if (!streamPrefix || row[1].startsWith(streamPrefix)) page.push(row);
    }
    return page;
  }

  protected lastPosition(): number | null {
    return this.rows.length > 0 ? this.rows.length : null;
  }
}
