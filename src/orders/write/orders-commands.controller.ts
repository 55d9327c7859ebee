import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { COMMON_PROBLEMS } from '../../http/openapi';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config';
import { validationFailed } from '../../http/problem';
import { ApiProblems } from '../order-problems';
import { EmptyBody, UuidParam } from '../../http/validation';
import { CommandContext, CommandRoutes, type CommandRequestContext } from './command-context.decorator';
import {
  AnswerRequestDto,
  CancelOrderDto,
  EmptyBodyDto,
  MessageDto,
  OfferExtrasDto,
  OpenRequestDto,
  PlaceOrderDto,
  SubmitRequirementsDto,
} from './dto/command-bodies.dto';
import {
  CommandResponseDto,
  OfferExtrasResponseDto,
  OpenRequestResponseDto,
} from './dto/command-responses.dto';
import { baseResponse, OrderCommandRunner, respondOpened } from './order-command.runner';
import {
  OPEN_REQUEST_BODY_SCHEMA,
  OPEN_REQUEST_EXAMPLES,
  OPEN_REQUEST_VARIANTS,
} from './dto/open-request.variants';
import {
  CommandOutcome,
  OrderCommandInput,
  orderIdForIdempotencyKey,
  orderIdKeyOf,
} from './order-command.service';

const ORDER_PROBLEMS = [...COMMON_PROBLEMS, 'FORBIDDEN', 'ORDER_NOT_FOUND', 'CONCURRENCY_CONFLICT'] as const;

const base = baseResponse;

@ApiTags('commands')
@CommandRoutes()
@Controller('orders')
export class OrdersCommandsController {
  /** Keys the order id derived from an Idempotency-Key. */
  private readonly orderIdKey: Buffer | undefined;

  constructor(
    private readonly runner: OrderCommandRunner,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.orderIdKey = orderIdKeyOf(config);
  }

  private run<T>(
    orderId: string,
    input: OrderCommandInput,
    ctx: CommandRequestContext,
    respond: (outcome: CommandOutcome) => T,
  ): Promise<T> {
    return this.runner.run(orderId, input, ctx, respond);
  }

  private derivedOrderId(callerId: string, key: string): string {
    const secret = this.orderIdKey;
    if (!secret) {
      throw validationFailed(
        [
          {
            field: 'orderId',
            message: 'orderId is required with an Idempotency-Key (the service has no secret)',
          },
        ],
        'Send orderId with an Idempotency-Key.',
      );
    }
    return orderIdForIdempotencyKey(secret, callerId, key);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Place an order (role checkout, naming the buyer and the seller)' })
  @ApiCreatedResponse({ type: CommandResponseDto })
  @ApiProblems(...COMMON_PROBLEMS, 'FORBIDDEN', 'ORDER_ALREADY_EXISTS', 'CONCURRENCY_CONFLICT')
  placeOrder(@Body() dto: PlaceOrderDto, @CommandContext() ctx: CommandRequestContext) {
    const orderId =
      dto.orderId?.toLowerCase() ??
      (ctx.idempotency ? this.derivedOrderId(ctx.caller.userId, ctx.idempotency.key) : randomUUID());
    return this.run(
      orderId,
      {
        type: 'PlaceOrder',
        data: {
          orderId,
          buyerId: dto.buyerId,
          sellerId: dto.sellerId,
          title: dto.title,
          price: { amount: dto.price.amount, currency: dto.price.currency },
          deliveryDays: dto.deliveryDays,
          requirementsNeeded: dto.requirementsNeeded ?? true,
        },
      },
      ctx,
      base,
    );
  }

  @Post(':orderId/requirements')
  @HttpCode(200)
  @ApiOperation({ summary: 'Buyer submits the requirements: in_progress' })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'INVALID_STATE')
  submitRequirements(
    @UuidParam('orderId') orderId: string,
    @Body() dto: SubmitRequirementsDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'SubmitRequirements', data: { text: dto.text } }, ctx, base);
  }

  @Post(':orderId/start')
  @HttpCode(200)
  @ApiOperation({ summary: 'Seller starts without requirements: in_progress' })
  @ApiBody({ type: EmptyBodyDto, required: false })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'INVALID_STATE')
  start(
    @UuidParam('orderId') orderId: string,
    @EmptyBody() _body: unknown,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'StartWithoutRequirements', data: {} }, ctx, base);
  }

  @Post(':orderId/deliveries')
  @HttpCode(200)
  @ApiOperation({ summary: 'Seller delivers: delivered' })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'INVALID_STATE')
  deliver(
    @UuidParam('orderId') orderId: string,
    @Body() dto: MessageDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'DeliverOrder', data: { message: dto.message } }, ctx, base);
  }

  @Post(':orderId/acceptance')
  @HttpCode(200)
  @ApiOperation({ summary: 'Buyer accepts the delivery: completed' })
  @ApiBody({ type: EmptyBodyDto, required: false })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'INVALID_STATE', 'REQUEST_ALREADY_OPEN')
  accept(
    @UuidParam('orderId') orderId: string,
    @EmptyBody() _body: unknown,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'AcceptDelivery', data: {} }, ctx, base);
  }

  @Post(':orderId/revisions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Buyer asks for a revision: in_progress' })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'INVALID_STATE')
  requestRevision(
    @UuidParam('orderId') orderId: string,
    @Body() dto: MessageDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'RequestRevision', data: { message: dto.message } }, ctx, base);
  }

  @Post(':orderId/requests')
  @HttpCode(201)
  @ApiOperation({ summary: 'Open a Resolution Center request (buyer or seller)' })
  @ApiExtraModels(...OPEN_REQUEST_VARIANTS)
  @ApiBody({ schema: OPEN_REQUEST_BODY_SCHEMA, examples: OPEN_REQUEST_EXAMPLES })
  @ApiCreatedResponse({ type: OpenRequestResponseDto })
  @ApiProblems(
    ...ORDER_PROBLEMS,
    'RESOLUTION_CENTER_UNAVAILABLE',
    'REQUEST_ALREADY_OPEN',
    'REFUND_NOT_ALLOWED',
    'INVALID_STATE',
  )
  openRequest(
    @UuidParam('orderId') orderId: string,
    @Body() dto: OpenRequestDto,
    @CommandContext() ctx: CommandRequestContext,
  ): Promise<OpenRequestResponseDto> {
    return this.run(
      orderId,
      {
        // The id is minted by the command service.
        type: 'OpenRequest',
        data: {
          requestType: dto.type,
          reason: dto.reason,
          comment: dto.comment,
          proposedDueAt: dto.proposedDueAt,
          amount: dto.amount,
        },
      },
      ctx,
      respondOpened('ResolutionRequestOpened', (opened) => ({
        requestId: opened?.requestId ?? '',
        respondBy: opened?.respondBy ?? '',
      })),
    );
  }

  @Post(':orderId/requests/:requestId/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Counterpart accepts the open request' })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(
    ...ORDER_PROBLEMS,
    'REQUEST_NOT_FOUND',
    'REQUEST_NOT_OPEN',
    'RESOLUTION_CENTER_UNAVAILABLE',
    'REFUND_NOT_ALLOWED',
  )
  acceptRequest(
    @UuidParam('orderId') orderId: string,
    @UuidParam('requestId') requestId: string,
    @Body() dto: AnswerRequestDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'AcceptRequest', data: { requestId, comment: dto.comment } }, ctx, base);
  }

  @Post(':orderId/requests/:requestId/decline')
  @HttpCode(200)
  @ApiOperation({ summary: 'Counterpart declines the open request (not order_update)' })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(
    ...ORDER_PROBLEMS,
    'REQUEST_NOT_FOUND',
    'REQUEST_NOT_OPEN',
    'RESOLUTION_CENTER_UNAVAILABLE',
    'INVALID_STATE',
  )
  declineRequest(
    @UuidParam('orderId') orderId: string,
    @UuidParam('requestId') requestId: string,
    @Body() dto: AnswerRequestDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(
      orderId,
      { type: 'DeclineRequest', data: { requestId, comment: dto.comment } },
      ctx,
      base,
    );
  }

  @Post(':orderId/requests/:requestId/withdraw')
  @HttpCode(200)
  @ApiOperation({ summary: 'Requester withdraws the open request' })
  @ApiBody({ type: EmptyBodyDto, required: false })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'REQUEST_NOT_FOUND', 'REQUEST_NOT_OPEN', 'RESOLUTION_CENTER_UNAVAILABLE')
  withdrawRequest(
    @UuidParam('orderId') orderId: string,
    @UuidParam('requestId') requestId: string,
    @EmptyBody() _body: unknown,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'WithdrawRequest', data: { requestId } }, ctx, base);
  }

  @Post(':orderId/cancellation')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel without consent: buyer (awaiting requirements or very late) or support: cancelled',
  })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(
    ...ORDER_PROBLEMS,
    'RESOLUTION_CENTER_UNAVAILABLE',
    'REQUEST_ALREADY_OPEN',
    'CANCELLATION_NOT_ALLOWED',
    'INVALID_STATE',
  )
  cancel(
    @UuidParam('orderId') orderId: string,
    @Body() dto: CancelOrderDto,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(
      orderId,
      {
        type: 'CancelOrder',
        data: {
          reason: dto.reason,
          comment: dto.comment,
          countsTowardCompletionRate: dto.countsTowardCompletionRate,
        },
      },
      ctx,
      base,
    );
  }

  @Post(':orderId/extras')
  @HttpCode(201)
  @ApiOperation({ summary: 'Seller offers extras' })
  @ApiCreatedResponse({ type: OfferExtrasResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'INVALID_STATE')
  offerExtras(
    @UuidParam('orderId') orderId: string,
    @Body() dto: OfferExtrasDto,
    @CommandContext() ctx: CommandRequestContext,
  ): Promise<OfferExtrasResponseDto> {
    const offerId = randomUUID();
    return this.run(
      orderId,
      {
        type: 'OfferExtras',
        data: { offerId, description: dto.description, amount: dto.amount, extraDays: dto.extraDays },
      },
      ctx,
      respondOpened('ExtrasOffered', (offered) => ({ offerId: offered?.offerId ?? offerId })),
    );
  }

  @Post(':orderId/extras/:offerId/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Buyer accepts an extras offer' })
  @ApiBody({ type: EmptyBodyDto, required: false })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'OFFER_NOT_FOUND', 'INVALID_STATE')
  acceptExtras(
    @UuidParam('orderId') orderId: string,
    @UuidParam('offerId') offerId: string,
    @EmptyBody() _body: unknown,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'AcceptExtras', data: { offerId } }, ctx, base);
  }

  @Post(':orderId/extras/:offerId/decline')
  @HttpCode(200)
  @ApiOperation({ summary: 'Buyer declines an extras offer' })
  @ApiBody({ type: EmptyBodyDto, required: false })
  @ApiOkResponse({ type: CommandResponseDto })
  @ApiProblems(...ORDER_PROBLEMS, 'OFFER_NOT_FOUND', 'INVALID_STATE')
  declineExtras(
    @UuidParam('orderId') orderId: string,
    @UuidParam('offerId') offerId: string,
    @EmptyBody() _body: unknown,
    @CommandContext() ctx: CommandRequestContext,
  ) {
    return this.run(orderId, { type: 'DeclineExtras', data: { offerId } }, ctx, base);
  }
}
