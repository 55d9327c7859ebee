import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { createEventStore, EventStoreModule } from './event-store.module';
import { EVENT_STORE, EventStore } from './event-store.port';
import { InMemoryEventStore } from './in-memory/in-memory-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { defaultUpcasters } from './upcasting';

const event = () => ({
  id: '00000000-0000-4000-8000-000000000001',
  type: 'Tested',
  data: {},
  metadata: {
    actor: { id: 'u', role: 'buyer' as const },
    correlationId: 'c',
    causationId: null,
    schemaVersion: 1,
  },
});

describe('EventStoreModule', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'event-store-module-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('provides EVENT_STORE, records time from the injected clock and closes the store on shutdown', async () => {
    const now = new Date('2031-02-03T04:05:06.789Z');
    const moduleRef = await Test.createTestingModule({
      imports: [EventStoreModule.forRoot({ kind: 'memory', dataDir: dir, now: () => now })],
    }).compile();
    const app = await moduleRef.init();
    const store = app.get<EventStore>(EVENT_STORE);
    expect(store).toBeInstanceOf(InMemoryEventStore);
    await store.append('s-1', [event()], 'no_stream');
    expect((await store.readStream('s-1'))[0].recordedAt).toBe(now.toISOString());

    await app.close();
    await expect(store.readStream('s-1')).rejects.toThrow(/closed/);
  });

  it("builds the SQLite store in dataDir for kind 'sqlite'", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [EventStoreModule.forRoot({ kind: 'sqlite', dataDir: join(dir, 'data') })],
    }).compile();
    const app = await moduleRef.init();
    expect(app.get(EVENT_STORE)).toBeInstanceOf(SqliteEventStore);
    expect(existsSync(join(dir, 'data', 'events.db'))).toBe(true);
    await app.close();
  });

  it('registers the upcasters it is given before the store reads anything', async () => {
    const upcast = (data: Record<string, unknown>) => ({ ...data, upcasted: true });
    const store = createEventStore({
      kind: 'memory',
      dataDir: dir,
      upcasters: [{ type: 'Tested', fromVersion: 0, upcast }],
    });
    expect(defaultUpcasters.has('Tested', 0)).toBe(true);
    await store.close();
  });

  it("requires a connection string for kind 'esdb'", () => {
    expect(() => createEventStore({ kind: 'esdb', dataDir: dir })).toThrow(/esdbConnectionString/);
  });
});
