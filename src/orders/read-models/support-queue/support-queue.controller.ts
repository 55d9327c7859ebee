import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../../auth/current-caller.decorator';
import { COMMON_PROBLEMS } from '../../../http/openapi';
import { READ_MODEL_POSITION_HEADER_DOC, ReadYourWrites } from '../../../http/read-your-writes';
import type { Caller } from '../../domain/order.types';
import { ApiProblems } from '../../order-problems';
import { SupportQueueDto, SupportQueueQueryDto } from './support-queue.dto';
import { SUPPORT_QUEUE_PROJECTION } from './support-queue.projection';
import { ListSupportCasesQuery, type SupportQueue } from './support-queue.query';

@ApiTags('queries')
@ApiBearerAuth()
@Controller()
export class SupportQueueController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('support/cases')
  @ReadYourWrites(SUPPORT_QUEUE_PROJECTION)
  @ApiOperation({
    operationId: 'SupportQueueController_cases',
    summary: 'The support queue: cases, overdue first, then oldest (support, auditor)',
  })
  @ApiOkResponse({ type: SupportQueueDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN')
  cases(@Query() query: SupportQueueQueryDto, @CurrentCaller() caller: Caller): Promise<SupportQueue> {
    return this.queryBus.execute(
      new ListSupportCasesQuery(caller, {
        status: query.status,
        assignee: query.assignee,
        overdue: query.overdue === undefined ? undefined : query.overdue === 'true',
        limit: query.limit,
        cursor: query.cursor,
      }),
    );
  }
}
