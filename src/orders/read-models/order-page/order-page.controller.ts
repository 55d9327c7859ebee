import { Controller, Get, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callerOf, type RequestWithCaller } from '../../../auth/current-caller.decorator';
import { COMMON_PROBLEMS } from '../../../http/openapi';
import { ApiProblems } from '../../order-problems';
import { ApiUuidParam, UuidPipe } from '../../../http/validation';
import { ProjectionEngine } from '../../../platform/projections/projection-engine';
import {
  ApiMinPositionQuery,
  awaitReadModel,
  MinPositionOnlyQueryPipe,
  READ_MODEL_POSITION_HEADER,
  READ_MODEL_POSITION_HEADER_DOC,
} from '../../../http/read-your-writes';
import { OrderPageDto } from './order-page.dto';
import { ORDERS_PROJECTION } from './order-page.projection';
import { GetOrderPageQuery } from './order-page.query';
import type { Caller } from '../../domain/order.types';
import type { OrderPageView } from './order-page.view';

const PROJECTIONS = [ORDERS_PROJECTION];
const ORDER_ID = new UuidPipe('orderId');
const PAGE_QUERY = new MinPositionOnlyQueryPipe();

@ApiTags('queries')
@ApiBearerAuth()
@Controller('orders')
export class OrderPageController {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly engine: ProjectionEngine,
  ) {}

  /**
   * The hottest read, so without Nest's per-request interceptor and pipe machinery: it does what
   * @ReadYourWrites(ORDERS_PROJECTION), @UuidParam('orderId'), MinPositionOnlyQueryPipe and @CurrentCaller would,
   * in the same order (wait and set the header first, so a 400 carries it too).
   */
  @Get(':orderId')
  @ApiOperation({
    // The operation ids from before the read models were split into slices: generated clients are named after them.
    operationId: 'OrdersQueriesController_page',
    summary:
      'The order page (parties, support, auditor): status, lateness, open request, extras, allowed actions',
  })
  @ApiOkResponse({ type: OrderPageDto, headers: READ_MODEL_POSITION_HEADER_DOC })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN', 'ORDER_NOT_FOUND')
  @ApiMinPositionQuery()
  @ApiUuidParam('orderId')
  async page(
    @Req() request: FastifyRequest & RequestWithCaller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderPageView> {
    const query = request.query as Record<string, unknown> | undefined;
    const position = await awaitReadModel(this.engine, PROJECTIONS, query?.minPosition);
    reply.header(READ_MODEL_POSITION_HEADER, position ?? '0');
    const orderId = ORDER_ID.transform((request.params as { orderId?: unknown }).orderId);
    PAGE_QUERY.transform(query);
    return this.queryBus.execute(new GetOrderPageQuery(orderId, callerOf<Caller>(request)));
  }
}
