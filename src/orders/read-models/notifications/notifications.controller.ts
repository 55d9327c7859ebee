import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../../auth/current-caller.decorator';
import { COMMON_PROBLEMS } from '../../../http/openapi';
import { ApiProblems } from '../../order-problems';
import { READ_MODEL_POSITION_HEADER_DOC, ReadYourWrites } from '../../../http/read-your-writes';
import type { Caller } from '../../domain/order.types';
import { NotificationListDto, NotificationsQueryDto } from './notifications.dto';
import { NOTIFICATIONS_PROJECTION } from './notifications.projection';
import { ListNotificationsQuery, type NotificationList } from './notifications.query';

@ApiTags('queries')
@ApiBearerAuth()
@Controller()
export class NotificationsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('notifications')
  @ReadYourWrites(NOTIFICATIONS_PROJECTION)
  @ApiOperation({
    // The operation id from before the read models were split into slices: generated clients are named after it.
    operationId: 'ReadQueriesController_notifications',
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
}
