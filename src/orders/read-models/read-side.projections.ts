// The read side's projections (the deadlines projection is registered by the timeouts module).
import type { Projection } from '../../platform/read-store/read-store.port';
import { CancellationAnalyticsProjection } from './cancellation-analytics/cancellation-analytics.projection';
import { NotificationsProjection } from './notifications/notifications.projection';
import { OrdersProjection } from './order-page/order-page.projection';
import { SellerStatsProjection } from './completion-rate/seller-stats.projection';
import { DisputeAnalyticsProjection } from './dispute-analytics/dispute-analytics.projection';
import { SupportQueueProjection } from './support-queue/support-queue.projection';

export function createReadSideProjections(): Projection[] {
  return [
    new OrdersProjection(),
    new NotificationsProjection(),
    new SellerStatsProjection(),
    new CancellationAnalyticsProjection(),
    new SupportQueueProjection(),
    new DisputeAnalyticsProjection(),
  ];
}
