// READ_STORE and the ProjectionEngine, globally; the engine runs where the worker lease is held (or, without a
// supervisor, from bootstrap unless APP_ROLE=api).
import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { CLOCK, type Clock } from '../clock/clock.port';
import { WorkerSupervisor } from '../cluster/worker-supervisor';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port';
import { HealthRegistry } from '../health/health.registry';
import { ProjectionEngine, type ProjectionEngineOptions } from '../projections/projection-engine';
import { InMemoryReadStore } from './in-memory/in-memory-read-store';
import { READ_STORE, type ReadStore } from './read-store.port';
import { RoutedReadStore } from './routed-read-store';
import { SqliteReadStore } from './sqlite/sqlite-read-store';

/** The adapter itself, without generation routing: the engine's. */
export const RAW_READ_STORE = Symbol('RAW_READ_STORE');

/** Builds the configured read store outside Nest too (CLI, bench). */
export function createReadStore(
  config: Pick<AppConfig, 'readStore' | 'dataDir' | 'mongodbUri' | 'sqliteCacheMb'>,
): ReadStore {
  switch (config.readStore) {
    case 'sqlite':
      return new SqliteReadStore({ dataDir: config.dataDir, cacheMb: config.sqliteCacheMb?.read });
    case 'memory':
      return new InMemoryReadStore();
    case 'mongo': {
      // Lazy: mongoose is only loaded by deployments that use MongoDB. Connects (and fails fast) in onModuleInit.
      type MongoModule = typeof import('./mongo/mongo-read-store');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { MongoReadStore } = require('./mongo/mongo-read-store') as MongoModule;
      return new MongoReadStore(config.mongodbUri ?? '');
    }
  }
}

@Module({})
export class ReadStoreModule
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('ReadStore');

  constructor(
    private readonly engine: ProjectionEngine,
    @Inject(RAW_READ_STORE) private readonly store: ReadStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly health?: HealthRegistry,
    @Optional() private readonly supervisor?: WorkerSupervisor,
  ) {}

  static forRoot(options: Partial<ProjectionEngineOptions> = {}): DynamicModule {
    return {
      module: ReadStoreModule,
      global: true,
      providers: [
        { provide: RAW_READ_STORE, inject: [APP_CONFIG], useFactory: createReadStore },
        {
          provide: ProjectionEngine,
          inject: [EVENT_STORE, RAW_READ_STORE, CLOCK],
          useFactory: (events: EventStore, store: ReadStore, clock: Clock) =>
            new ProjectionEngine(events, store, options, () => clock.now()),
        },
        {
          provide: READ_STORE,
          inject: [RAW_READ_STORE, ProjectionEngine],
          useFactory: (store: ReadStore, engine: ProjectionEngine) =>
            new RoutedReadStore(store, engine.router, (collection, id) =>
              engine.invalidateDocument(collection, id),
            ),
        },
      ],
      exports: [READ_STORE, RAW_READ_STORE, ProjectionEngine],
    };
  }

  onModuleInit(): void {
    this.health?.register('readStore', async () => {
      await this.store.getCheckpoint('__health__');
      return { status: 'ok', details: { kind: this.config.readStore } };
    });
    // Non-critical: a lagging or degraded read side still serves (and the write side is unaffected).
    this.health?.register('projections', () => this.engine.health(), { critical: false });
    this.supervisor?.register('projections', this.engine);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Every role reads: route readers to the active generations now.
    await this.engine.initialize();
    if (!this.supervisor && this.config.role !== 'api') {
      this.logger.log('no worker supervisor: starting the projections here');
      await this.engine.start();
    }
  }

  /** Projections stop before the other modules shut down; the store closes after them. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.engine.dispose();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
