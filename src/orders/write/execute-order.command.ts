import { Optional } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Counter } from 'prom-client';
import { MetricsService } from '../../observability/metrics.service';
import { DomainError } from '../domain/errors';
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
  private readonly commands?: Counter<'type' | 'outcome'>;

  constructor(
    private readonly service: OrderCommandService,
    @Optional() metrics?: MetricsService,
  ) {
    this.commands = metrics
      ? new Counter({
          name: 'rc_commands_total',
          help: 'Order commands by type and outcome: ok, the domain refusal code, or error.',
          labelNames: ['type', 'outcome'],
          registers: [metrics.registry],
        })
      : undefined;
  }

  async execute(command: ExecuteOrderCommand): Promise<CommandOutcome> {
    const type = command.input.type;
    try {
      const outcome = await this.service.execute(command.input, command.options);
      this.commands?.inc({ type, outcome: 'ok' });
      return outcome;
    } catch (e) {
      this.commands?.inc({ type, outcome: e instanceof DomainError ? e.code : 'error' });
      throw e;
    }
  }
}
