import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callerOf, CurrentCaller, type RequestWithCaller } from '../../auth/current-caller.decorator';
import { ApiProblems, COMMON_PROBLEMS } from '../../http/openapi';
import { UuidPipe } from '../../http/validation';
import { ProjectionEngine } from '../../platform/projections/projection-engine';
import {
  ApiMinPositionQuery,
  awaitReadModel,
  MinPositionOnlyQueryPipe,
  READ_MODEL_POSITION_HEADER,
  READ_MODEL_POSITION_HEADER_DOC,
  ReadYourWrites,
} from '../../http/read-your-writes';
import type { Caller } from '../domain/order.types';
import { ORDERS_PROJECTION } from '../projections/orders/orders.projection';
import { ListOrdersQueryDto, OrderListDto } from './my-orders/my-orders.dto';
import { ListMyOrdersQuery, type OrderList } from './my-orders/my-orders.query';
import { OrderPageDto } from './order-page/order-page.dto';
import { GetOrderPageQuery } from './order-page/order-page.query';
import type { OrderPageView } from './order-page/order-page.view';

const PROJECTIONS = [ORDERS_PROJECTION];
const ORDER_ID = new UuidPipe('orderId');
const PAGE_QUERY = new MinPositionOnlyQueryPipe();

@ApiTags('queries')
@ApiBearerAuth()
@Controller('orders')
export class OrdersQueriesController {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly engine: ProjectionEngine,
  ) {}

  @Get()
  @ReadYourWrites(ORDERS_PROJECTION)
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

  /**
   * The hottest read, so without Nest's per-request interceptor and pipe machinery: it does what
   * @ReadYourWrites(ORDERS_PROJECTION), @UuidParam('orderId'), MinPositionOnlyQueryPipe and @CurrentCaller would,
   * in the same order (wait and set the header first, so a 400 carries it too).
   */
  @Get(':orderId')
  @ApiOperation({
    summary:
      'The order page (parties, support, auditor): status, lateness, open request, extras, allowed actions',
  })
  @ApiOkResponse({ type: OrderPageDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN', 'ORDER_NOT_FOUND')
  @ApiMinPositionQuery()
  @ApiParam({ name: 'orderId', type: String })
  async page(
    @Req() request: FastifyRequest & RequestWithCaller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderPageView> {
    const query = request.query as Record<string, unknown> | undefined;
    const position = await awaitReadModel(this.engine, PROJECTIONS, query?.minPosition);
    reply.header(READ_MODEL_POSITION_HEADER, position ?? '0');
    const orderId = ORDER_ID.transform((request.params as { orderId?: unknown }).orderId);
    PAGE_QUERY.transform(query);
    return this.queryBus.execute(new GetOrderPageQuery(orderId, callerOf(request)));
  }
}
