import { Global, Module } from '@nestjs/common';
import { ExecuteOrderCommandHandler } from './execute-order.command';
import { OrderCommandService } from './order-command.service';

/**
 * The write path without HTTP, in every APP_ROLE: the timeout saga injects OrderCommandService (or sends
 * ExecuteOrderCommand through the CommandBus) with actor SYSTEM_ACTOR.
 */
@Global()
@Module({
  providers: [OrderCommandService, ExecuteOrderCommandHandler],
  exports: [OrderCommandService],
})
export class OrderWriteModule {}
