import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../../auth/current-caller.decorator';
import { COMMON_PROBLEMS } from '../../../http/openapi';
import { READ_MODEL_POSITION_HEADER_DOC, ReadYourWrites } from '../../../http/read-your-writes';
import type { Caller } from '../../domain/order.types';
import { ApiProblems } from '../../order-problems';
import { DisputeAnalyticsDto, DisputeAnalyticsQueryDto } from './dispute-analytics.dto';
import { DISPUTE_ANALYTICS_PROJECTION } from './dispute-analytics.projection';
import { GetDisputeAnalyticsQuery, type DisputeAnalyticsView } from './dispute-analytics.query';

@ApiTags('queries')
@ApiBearerAuth()
@Controller()
export class DisputeAnalyticsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('analytics/disputes')
  @ReadYourWrites(DISPUTE_ANALYTICS_PROJECTION)
  @ApiOperation({
    operationId: 'DisputeAnalyticsController_disputes',
    summary: 'Support cases by day of opening: counts, outcomes, categories, medians (analyst, support)',
  })
  @ApiOkResponse({ type: DisputeAnalyticsDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN')
  disputes(
    @Query() query: DisputeAnalyticsQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<DisputeAnalyticsView> {
    return this.queryBus.execute(new GetDisputeAnalyticsQuery(query.from, query.to, caller));
  }
}
