// The real TimeoutExecutor: the command path every HTTP command takes (load, decide with the clock's now,
// append at the revision read, retry on conflict), with the scheduler as actor.
import { Injectable } from '@nestjs/common';
import { SYSTEM_ACTOR } from '../domain/order.types';
import { OrderCommandService, type OrderCommandInput } from '../write/order-command.service';
import type { TimeoutContext, TimeoutExecutor } from './timeout-executor';
import type { TimeoutCommand, TimeoutResult } from './timeout.messages';

@Injectable()
export class OrderTimeoutExecutor implements TimeoutExecutor {
  constructor(private readonly commands: OrderCommandService) {}

  async run(command: TimeoutCommand, context: TimeoutContext): Promise<TimeoutResult> {
    // `now` is the service's own (the clock's): the command on the message only says what to do.
    const outcome = await this.commands.execute(
      { type: command.type, data: command.data } as OrderCommandInput,
      {
        orderId: context.orderId,
        actor: SYSTEM_ACTOR,
        correlationId: context.correlationId,
        ...(context.causationId ? { causationId: context.causationId } : {}),
      },
    );
    return { events: outcome.events.length, position: outcome.events.length > 0 ? outcome.position : null };
  }
}
