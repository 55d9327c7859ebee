// Time: the `deadlines` projection, the poller that fires due deadlines through the EventBus, the saga that turns
// them into the order's system commands (decided by the one command handler), and what POST /testing/clock
// waits for.
import {
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { CLOCK, CLOCK_SETTLER, type Clock } from '../../platform/clock/clock.port';
import { WorkerSupervisor } from '../../platform/cluster/worker-supervisor';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config';
import { HealthRegistry } from '../../platform/health/health.registry';
import { ProjectionEngine } from '../../platform/projections/projection-engine';
import { READ_STORE, type ReadModels } from '../../platform/read-store/read-store.port';
import { DeadlineMetrics } from './deadline-metrics';
import { DeadlinePoller } from './deadline-poller';
import { DeadlineSettler } from './deadline-settler';
import { DeadlinesProjection } from './deadlines.projection';
import { TimeoutSaga } from './timeout.saga';

@Module({
  providers: [
    DeadlinesProjection,
    DeadlineMetrics,
    TimeoutSaga,
    {
      provide: DeadlinePoller,
      inject: [READ_STORE, EventBus, CLOCK, TimeoutSaga, ProjectionEngine],
      useFactory: (
        store: ReadModels,
        eventBus: EventBus,
        clock: Clock,
        saga: TimeoutSaga,
        engine: ProjectionEngine,
      ) =>
        new DeadlinePoller({
          store,
          eventBus,
          clock,
          // The deadlines read model is routed once the engine is initialized.
          ready: async () => {
            await saga.ready;
            await engine.initialize();
          },
        }),
    },
    {
      provide: DeadlineSettler,
      inject: [DeadlinePoller, ProjectionEngine],
      useFactory: (poller: DeadlinePoller, engine: ProjectionEngine) => new DeadlineSettler(poller, engine),
    },
    { provide: CLOCK_SETTLER, useExisting: DeadlineSettler },
  ],
  exports: [DeadlinePoller, CLOCK_SETTLER],
})
export class TimeoutsModule implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly engine: ProjectionEngine,
    private readonly projection: DeadlinesProjection,
    private readonly poller: DeadlinePoller,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly health?: HealthRegistry,
    @Optional() private readonly supervisor?: WorkerSupervisor,
  ) {}

  async onModuleInit(): Promise<void> {
    this.engine.register(this.projection);
    await this.poller.init();
    // Not critical: failing deadlines degrade the service, they do not take the API down.
    this.health?.register('deadlines', () => this.poller.health(), { critical: false });
    // The timer runs in the holder of the worker lease only (one process of the deployment at a time). Safety
    // does not depend on it: any process may fire a deadline (POST /testing/clock does) with one effect.
    this.supervisor?.register('deadlines', this.poller);
  }

  onApplicationBootstrap(): void {
    // Without a supervisor: workers (and the all-in-one process) fire deadlines, an API-only process does not.
    if (!this.supervisor && this.config.role !== 'api') this.poller.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.poller.dispose();
  }
}
