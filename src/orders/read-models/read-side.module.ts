// The read side in one import: the read store and projection engine (every role), the read models' projections,
// and, where the process serves HTTP, each slice's query handler and route.
import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/config';
import { ReadStoreModule } from '../../platform/read-store/read-store.module';
import { ORDER_STREAM_PREFIX } from '../domain/order.types';
import { CancellationAnalyticsController } from './cancellation-analytics/cancellation-analytics.controller';
import { GetCancellationAnalyticsHandler } from './cancellation-analytics/cancellation-analytics.query';
import { CompletionRateController } from './completion-rate/completion-rate.controller';
import { GetCompletionRateHandler } from './completion-rate/completion-rate.query';
import { HistoryController } from './history/history.controller';
import { MyOrdersController } from './my-orders/my-orders.controller';
import { ListMyOrdersHandler } from './my-orders/my-orders.query';
import { NotificationsController } from './notifications/notifications.controller';
import { ListNotificationsHandler } from './notifications/notifications.query';
import { OrderPageController } from './order-page/order-page.controller';
import { GetOrderPageHandler } from './order-page/order-page.query';
import { ReadProjectionsModule } from './read-projections.module';
import { DisputeAnalyticsController } from './dispute-analytics/dispute-analytics.controller';
import { GetDisputeAnalyticsHandler } from './dispute-analytics/dispute-analytics.query';
import { SupportQueueController } from './support-queue/support-queue.controller';
import { ListSupportCasesHandler } from './support-queue/support-queue.query';

@Module({
  controllers: [
    MyOrdersController,
    HistoryController,
    OrderPageController,
    NotificationsController,
    CompletionRateController,
    CancellationAnalyticsController,
    SupportQueueController,
    DisputeAnalyticsController,
  ],
  providers: [
    GetOrderPageHandler,
    ListMyOrdersHandler,
    ListNotificationsHandler,
    GetCompletionRateHandler,
    GetCancellationAnalyticsHandler,
    ListSupportCasesHandler,
    GetDisputeAnalyticsHandler,
  ],
})
export class ReadQueriesModule {}

@Module({})
export class ReadSideModule {
  static forRoot(config: Pick<AppConfig, 'role'>): DynamicModule {
    return {
      module: ReadSideModule,
      imports: [
        ReadStoreModule.forRoot({ streamPrefix: ORDER_STREAM_PREFIX }),
        ReadProjectionsModule,
        ...(config.role !== 'worker' ? [ReadQueriesModule] : []),
      ],
    };
  }
}
