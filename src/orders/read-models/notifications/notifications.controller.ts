import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { ApiProblems, COMMON_PROBLEMS } from '../../http/openapi';
import { validationFailed } from '../../http/problem';
import { READ_MODEL_POSITION_HEADER_DOC, ReadYourWrites } from '../../http/read-your-writes';
import type { Caller } from '../domain/order.types';
import { CANCELLATION_ANALYTICS_PROJECTION } from '../projections/cancellation-analytics/cancellation-analytics.projection';
import { NOTIFICATIONS_PROJECTION } from '../projections/notifications/notifications.projection';
import { SELLER_STATS_PROJECTION } from '../projections/seller-stats/seller-stats.projection';
import {
  CancellationAnalyticsDto,
  CancellationAnalyticsQueryDto,
} from './cancellation-analytics/cancellation-analytics.dto';
import {
  GetCancellationAnalyticsQuery,
  type CancellationAnalyticsView,
} from './cancellation-analytics/cancellation-analytics.query';
import { CompletionRateDto, CompletionRateQueryDto } from './completion-rate/completion-rate.dto';
import { GetCompletionRateQuery, type CompletionRateView } from './completion-rate/completion-rate.query';
import { NotificationListDto, NotificationsQueryDto } from './notifications/notifications.dto';
import { ListNotificationsQuery, type NotificationList } from './notifications/notifications.query';

const USER_ID = /^[^\s/]{1,200}$/;

@ApiTags('queries')
@ApiBearerAuth()
@Controller()
export class ReadQueriesController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('notifications')
  @ReadYourWrites(NOTIFICATIONS_PROJECTION)
  @ApiOperation({
    summary: "What the other party (or the system, or support) did to the caller's orders, newest first",
  })
  @ApiOkResponse({ type: NotificationListDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS)
  notifications(
    @Query() query: NotificationsQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<NotificationList> {
    return this.queryBus.execute(
      new ListNotificationsQuery(caller, { limit: query.limit, cursor: query.cursor }),
    );
  }

  @Get('sellers/:sellerId/completion-rate')
  @ReadYourWrites(SELLER_STATS_PROJECTION)
  @ApiOperation({
    summary: "A seller's order completion rate over the last 60 days (that seller, support, analyst)",
  })
  @ApiParam({ name: 'sellerId', description: "The seller's user id (the JWT `sub`)" })
  @ApiOkResponse({ type: CompletionRateDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN')
  completionRate(
    @Param('sellerId') sellerId: string,
    @Query() _query: CompletionRateQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<CompletionRateView> {
    if (!USER_ID.test(sellerId))
      throw validationFailed([{ field: 'sellerId', message: 'sellerId is not a user id' }]);
    return this.queryBus.execute(new GetCompletionRateQuery(sellerId, caller));
  }

  @Get('analytics/cancellations')
  @ReadYourWrites(CANCELLATION_ANALYTICS_PROJECTION)
  @ApiOperation({ summary: 'Cancellations by mode, initiator, reason and day (analyst, support)' })
  @ApiOkResponse({ type: CancellationAnalyticsDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN')
  cancellations(
    @Query() query: CancellationAnalyticsQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<CancellationAnalyticsView> {
    return this.queryBus.execute(new GetCancellationAnalyticsQuery(query.from, query.to, caller));
  }
}
