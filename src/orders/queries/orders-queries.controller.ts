import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { ApiProblems, COMMON_PROBLEMS } from '../../http/openapi';
import { UuidParam } from '../../http/validation';
import {
  ApiMinPositionQuery,
  MinPositionOnlyQueryPipe,
  READ_MODEL_POSITION_HEADER_DOC,
  ReadYourWrites,
} from '../../read-store/read-your-writes';
import type { Caller } from '../domain/order.types';
import { ORDERS_PROJECTION } from '../projections/orders/orders.projection';
import { ListOrdersQueryDto, OrderListDto } from './my-orders/my-orders.dto';
import { ListMyOrdersQuery, type OrderList } from './my-orders/my-orders.query';
import { OrderPageDto } from './order-page/order-page.dto';
import { GetOrderPageQuery } from './order-page/order-page.query';
import type { OrderPageView } from './order-page/order-page.view';

@ApiTags('queries')
@ApiBearerAuth()
@ReadYourWrites(ORDERS_PROJECTION)
@Controller('orders')
export class OrdersQueriesController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOperation({ summary: "The caller's orders (as buyer, seller or both), newest first" })
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

  @Get(':orderId')
  @ApiOperation({
    summary:
      'The order page (parties, support, auditor): status, lateness, open request, extras, allowed actions',
  })
  @ApiOkResponse({ type: OrderPageDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN', 'ORDER_NOT_FOUND')
  @ApiMinPositionQuery()
  page(
    @UuidParam('orderId') orderId: string,
    // No DTO (so no class-validator) on the hottest read: the pipe checks the one parameter there is.
    @Query(MinPositionOnlyQueryPipe) _query: Record<string, string>,
    @CurrentCaller() caller: Caller,
  ): Promise<OrderPageView> {
    return this.queryBus.execute(new GetOrderPageQuery(orderId, caller));
  }
}
