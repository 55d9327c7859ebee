import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  CommandOutcome,
  ExecuteOptions,
  OrderCommandInput,
  OrderCommandService,
} from './order-command.service';

/** The one Nest command of the write side: any order command, from HTTP or from the timeout saga. */
export class ExecuteOrderCommand extends Command<CommandOutcome> {
  constructor(
    readonly input: OrderCommandInput,
    readonly options: ExecuteOptions,
  ) {
    super();
  }
}

@CommandHandler(ExecuteOrderCommand)
export class ExecuteOrderCommandHandler implements ICommandHandler<ExecuteOrderCommand, CommandOutcome> {
  constructor(private readonly service: OrderCommandService) {}

  execute(command: ExecuteOrderCommand): Promise<CommandOutcome> {
    return this.service.execute(command.input, command.options);
  }
}
