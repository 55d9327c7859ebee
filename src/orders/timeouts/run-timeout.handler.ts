// Executes what the saga asked for and reports the outcome to the poller waiting on the attempt. It does not
// rethrow: retries and backoff belong to the poller, and an error thrown here would only be logged by the bus.
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DeadlineCompletions } from './deadline-completions';
import { TIMEOUT_EXECUTOR, type TimeoutExecutor } from './timeout-executor';
import { RunTimeoutCommand, type TimeoutResult } from './timeout.messages';

@CommandHandler(RunTimeoutCommand)
export class RunTimeoutHandler implements ICommandHandler<RunTimeoutCommand, TimeoutResult | null> {
  constructor(
    @Inject(TIMEOUT_EXECUTOR) private readonly executor: TimeoutExecutor,
    private readonly completions: DeadlineCompletions,
  ) {}

  async execute(message: RunTimeoutCommand): Promise<TimeoutResult | null> {
    const { deadline, command, attemptId } = message;
    try {
      const result = await this.executor.run(command, {
        orderId: deadline.orderId,
        correlationId: `deadline:${deadline.id}`,
        causationId: deadline.sourceEventId ?? null,
      });
      this.completions.succeed(attemptId, result);
      return result;
    } catch (error) {
      this.completions.fail(attemptId, error);
      return null;
    }
  }
}
