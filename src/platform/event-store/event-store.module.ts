// Provides EVENT_STORE (global: every feature module injects it) and closes it on shutdown.
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, EventStore } from './event-store.port';
import { InMemoryEventStore } from './in-memory/in-memory-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { registerUpcaster, type UpcasterDefinition } from './upcasting';

export interface EventStoreModuleOptions {
  kind: 'sqlite' | 'memory' | 'esdb';
  /** SQLite: directory of events.db. */
  dataDir: string;
  /** Required for 'esdb', e.g. esdb://localhost:2113?tls=false */
  esdbConnectionString?: string;
  /** recordedAt source (unset: wall-clock time; EventStoreDB: its own `created` time). */
  now?: () => Date;
  /** The product's upcasters, registered before the store reads anything. */
  upcasters?: readonly UpcasterDefinition[];
  /** SQLite: page cache, MB (default 32). */
  cacheMb?: number;
}

/** Builds the configured store outside Nest too (bench, scripts); registers the given upcasters first. */
export function createEventStore(options: EventStoreModuleOptions): EventStore {
  const { upcasters = [], ...store } = options;
  for (const { type, fromVersion, upcast } of upcasters) registerUpcaster(type, fromVersion, upcast);
  switch (options.kind) {
    case 'sqlite':
      return new SqliteEventStore(store);
    case 'memory':
      return new InMemoryEventStore(store);
    case 'esdb': {
      if (!options.esdbConnectionString)
        throw new Error("Event store kind 'esdb' needs esdbConnectionString");
      // Lazy: the EventStoreDB client is only loaded by deployments that use it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { EventStoreDbEventStore } = require('./eventstoredb/eventstoredb-event-store') as {
        EventStoreDbEventStore: new (connectionString: string, options?: { now?: () => Date }) => EventStore;
      };
      return new EventStoreDbEventStore(options.esdbConnectionString, { now: options.now });
    }
    default: {
      const kind: never = options.kind;
      throw new Error(`Unknown event store kind: ${String(kind)}`);
    }
  }
}

@Module({})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  static forRoot(options: EventStoreModuleOptions): DynamicModule {
    return {
      module: EventStoreModule,
      global: true,
      providers: [{ provide: EVENT_STORE, useFactory: () => createEventStore(options) }],
      exports: [EVENT_STORE],
    };
  }

  // The last shutdown phase: projections and pollers stopped their subscriptions before; close() stops any left.
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
