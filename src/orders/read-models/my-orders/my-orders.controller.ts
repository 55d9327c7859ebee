import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../../auth/current-caller.decorator';
import { COMMON_PROBLEMS } from '../../../http/openapi';
import { ApiProblems } from '../../order-problems';
import { READ_MODEL_POSITION_HEADER_DOC, ReadYourWrites } from '../../../http/read-your-writes';
import type { Caller } from '../../domain/order.types';
import { ORDERS_PROJECTION } from '../order-page/order-page.projection';
import { ListOrdersQueryDto, OrderListDto } from './my-orders.dto';
import { ListMyOrdersQuery, type OrderList } from './my-orders.query';

@ApiTags('queries')
@ApiBearerAuth()
@Controller('orders')
export class MyOrdersController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ReadYourWrites(ORDERS_PROJECTION)
  @ApiOperation({
    // The operation id from before the read models were split into slices: generated clients are named after it.
    operationId: 'OrdersQueriesController_list',
    summary: "The caller's orders (as buyer, seller or both), newest first",
  })
  @ApiOkResponse({ type: OrderListDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS)
  list(@Query() query: ListOrdersQueryDto, @CurrentCaller() caller: Caller): Promise<OrderList> {
    return this.queryBus.execute(
      new ListMyOrdersQuery(caller, {
        as: query.as,
        status: query.status,
        limit: query.limit,
        cursor: query.cursor,
      }),
    );
  }
}
