import { Controller, Get, Param, Query } from '@nestjs/common';
import { isUserId } from '../../../auth/user-id';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../../auth/current-caller.decorator';
import { COMMON_PROBLEMS } from '../../../http/openapi';
import { ApiProblems } from '../../order-problems';
import { validationFailed } from '../../../http/problem';
import { READ_MODEL_POSITION_HEADER_DOC, ReadYourWrites } from '../../../http/read-your-writes';
import type { Caller } from '../../domain/order.types';
import { CompletionRateDto, CompletionRateQueryDto } from './completion-rate.dto';
import { GetCompletionRateQuery, type CompletionRateView } from './completion-rate.query';
import { SELLER_STATS_PROJECTION } from './seller-stats.projection';

@ApiTags('queries')
@ApiBearerAuth()
@Controller()
export class CompletionRateController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('sellers/:sellerId/completion-rate')
  @ReadYourWrites(SELLER_STATS_PROJECTION)
  @ApiOperation({
    // The operation id from before the read models were split into slices: generated clients are named after it.
    operationId: 'ReadQueriesController_completionRate',
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
    if (!isUserId(sellerId))
      throw validationFailed([{ field: 'sellerId', message: 'sellerId is not a user id' }]);
    return this.queryBus.execute(new GetCompletionRateQuery(sellerId, caller));
  }
}
