import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../../auth/current-caller.decorator';
import { COMMON_PROBLEMS } from '../../../http/openapi';
import { ApiProblems } from '../../order-problems';
import { READ_MODEL_POSITION_HEADER_DOC, ReadYourWrites } from '../../../http/read-your-writes';
import type { Caller } from '../../domain/order.types';
import { CancellationAnalyticsDto, CancellationAnalyticsQueryDto } from './cancellation-analytics.dto';
import { CANCELLATION_ANALYTICS_PROJECTION } from './cancellation-analytics.projection';
import {
  GetCancellationAnalyticsQuery,
  type CancellationAnalyticsView,
} from './cancellation-analytics.query';

@ApiTags('queries')
@ApiBearerAuth()
@Controller()
export class CancellationAnalyticsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('analytics/cancellations')
  @ReadYourWrites(CANCELLATION_ANALYTICS_PROJECTION)
  @ApiOperation({
    // The operation id from before the read models were split into slices: generated clients are named after it.
    operationId: 'ReadQueriesController_cancellations',
    summary: 'Cancellations by mode, initiator, reason and day (analyst, support)',
  })
  @ApiOkResponse({ type: CancellationAnalyticsDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN')
  cancellations(
    @Query() query: CancellationAnalyticsQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<CancellationAnalyticsView> {
    return this.queryBus.execute(new GetCancellationAnalyticsQuery(query.from, query.to, caller));
  }
}
