// The read side in one import: the read store and projection engine (every role), the read models' projections,
// and, where the process serves HTTP, the query routes.
import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/config';
import { ReadStoreModule } from '../../platform/read-store/read-store.module';
import { ReadProjectionsModule } from '../projections/read-projections.module';
import { GetCancellationAnalyticsHandler } from './cancellation-analytics/cancellation-analytics.query';
import { GetCompletionRateHandler } from './completion-rate/completion-rate.query';
import { ListMyOrdersHandler } from './my-orders/my-orders.query';
import { ListNotificationsHandler } from './notifications/notifications.query';
import { GetOrderPageHandler } from './order-page/order-page.query';
import { OrdersQueriesController } from './orders-queries.controller';
import { ReadQueriesController } from './read-queries.controller';

@Module({
  controllers: [OrdersQueriesController, ReadQueriesController],
  providers: [
    GetOrderPageHandler,
    ListMyOrdersHandler,
    ListNotificationsHandler,
    GetCompletionRateHandler,
    GetCancellationAnalyticsHandler,
  ],
})
export class ReadQueriesModule {}

@Module({})
export class ReadSideModule {
  static forRoot(config: Pick<AppConfig, 'role'>): DynamicModule {
    return {
      module: ReadSideModule,
      imports: [
        ReadStoreModule,
        ReadProjectionsModule,
        ...(config.role !== 'worker' ? [ReadQueriesModule] : []),
      ],
    };
  }
}
