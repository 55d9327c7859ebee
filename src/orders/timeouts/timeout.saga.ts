// DeadlineReached -> RunTimeoutCommand. The mapping is guarded per event: an error for one deadline is reported
// to its waiting poller and the stream goes on (an error escaping a saga would end it for every later deadline).
import { Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, ofType, Saga } from '@nestjs/cqrs';
import { EMPTY, type Observable, of } from 'rxjs';
import { mergeMap } from 'rxjs/operators';
import { DeadlineCompletions } from './deadline-completions';
import { timeoutCommandOf } from './timeout-command.mapping';
import { DeadlineReached, RunTimeoutCommand } from './timeout.messages';

@Injectable()
export class TimeoutSaga {
  private markReady!: () => void;
  /** Resolves once the EventBus has subscribed the saga: events published before that would be lost. */
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(private readonly completions: DeadlineCompletions) {}

  @Saga()
  deadlineReached = (events$: Observable<IEvent>): Observable<ICommand> => {
    this.markReady();
    return events$.pipe(
      ofType(DeadlineReached),
      mergeMap((event) => {
        try {
          const command = timeoutCommandOf(event.deadline, event.now);
          return of(new RunTimeoutCommand(event.deadline, command, event.attemptId));
        } catch (error) {
          this.completions.fail(event.attemptId, error);
          return EMPTY;
        }
      }),
    );
  };
}
