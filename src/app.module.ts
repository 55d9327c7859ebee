import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AuthModule } from './auth/auth.module';
import { CLOCK, ManualClock } from './platform/clock/clock.port';
import { createClock } from './platform/clock/persistent-manual-clock';
import { TestingClockModule } from './http/test-time.controller';
import { APP_CONFIG, type AppConfig } from './platform/config/config';
import { ClusterModule } from './platform/cluster/cluster.module';
import { EventStoreModule } from './platform/event-store/event-store.module';
import { HttpModule } from './http/http.module';
import { MetricsModule } from './observability/metrics.module';
import { OrderWriteModule } from './orders/write/order-write.module';
import { OrdersCommandsModule } from './orders/write/orders-commands.module';
import { ReadSideModule } from './orders/read-models/read-side.module';
import { TimeoutsModule } from './orders/timeouts/timeouts.module';
import { ORDER_UPCASTERS } from './orders/domain/order.upcasters';
import { STAFF_ROLES } from './orders/domain/order.types';
import { ORDER_PROBLEMS } from './orders/order-problems';

@Module({})
export class AppModule {
  /** The whole service for one configuration; every module may inject it as APP_CONFIG, and its CLOCK. */
  static forRoot(config: AppConfig): DynamicModule {
    // One clock instance for the whole app: the event store's recordedAt and every injected CLOCK agree.
    const clock = createClock(config);
    return {
      module: AppModule,
      global: true,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [APP_CONFIG, CLOCK],
      imports: [
        EventStoreModule.forRoot({
          kind: config.eventStore,
          dataDir: config.dataDir,
          esdbConnectionString: config.esdbConnectionString,
          now: () => clock.now(),
          upcasters: ORDER_UPCASTERS,
          cacheMb: config.sqliteCacheMb?.events,
        }),
        CqrsModule.forRoot(),
        AuthModule.forRoot({ roles: STAFF_ROLES }),
        HttpModule.forRoot(ORDER_PROBLEMS),
        // The worker lease: projections and deadlines run in one worker|all process at a time (never APP_ROLE=api).
        ClusterModule,
        OrderWriteModule,
        ReadSideModule.forRoot(config),
        TimeoutsModule,
        MetricsModule.forRoot({ adminPort: config.adminPort }),
        ...(clock instanceof ManualClock ? [TestingClockModule] : []),
        ...(config.role !== 'worker' ? [OrdersCommandsModule] : []),
      ],
    };
  }
}
