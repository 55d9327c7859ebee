// The one way a command route sends its command: through the CommandBus, and with an Idempotency-Key through
// IdempotencyService so that a retry gets the recorded response. Shared by the order and support-case routes.
import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { IdempotencyContext } from '../../http/idempotency/idempotency.context';
import { IdempotencyService } from '../../http/idempotency/idempotency.service';
import type { OrderEvent } from '../domain/order.events';
import type { CommandRequestContext } from './command-context.decorator';
import type { CommandResponseDto } from './dto/command-responses.dto';
import { ExecuteOrderCommand } from './execute-order.command';
import type { CommandOutcome, OrderCommandInput } from './order-command.service';

export const baseResponse = (o: CommandOutcome): CommandResponseDto => ({
  orderId: o.orderId,
  revision: o.revision,
  position: o.position,
});

type EventData<T extends OrderEvent['type']> = Extract<OrderEvent, { type: T }>['data'];

/**
 * The response of a route that opens something under an id it picked: the base response and what `pick` reads of
 * the first `type` event the command wrote (undefined when none). From the event, because on an idempotent replay
 * the id and the deadline are the earlier command's.
 */
export const respondOpened =
  <T extends OrderEvent['type'], R>(type: T, pick: (data: EventData<T> | undefined) => R) =>
  (o: CommandOutcome): CommandResponseDto & R => ({
    ...baseResponse(o),
    ...pick(o.events.find((e) => e.type === type)?.data as EventData<T> | undefined),
  });

@Injectable()
export class OrderCommandRunner {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly idempotency: IdempotencyService,
  ) {}

  run<T>(
    orderId: string,
    input: OrderCommandInput,
    ctx: CommandRequestContext,
    respond: (outcome: CommandOutcome) => T,
  ): Promise<T> {
    const send = (idempotency?: IdempotencyContext): Promise<T> =>
      this.commandBus
        .execute(
          new ExecuteOrderCommand(input, {
            orderId,
            caller: ctx.caller,
            correlationId: ctx.correlationId,
            idempotency,
          }),
        )
        .then(respond);
    if (!ctx.idempotency) return send();
    return this.idempotency.execute(ctx.caller.userId, ctx.idempotency, ctx.successStatus, send, () =>
      ctx.reply.header('idempotent-replayed', 'true'),
    );
  }
}
