// The timeout saga: a due deadline becomes the order's own system command, sent on the CommandBus and decided
// by the one command handler as actor `system`. The mapping is pure and the command idempotent (it decides
// nothing when the stream shows the deadline handled), so firing a deadline again is always safe. Nothing
// answers back: the deadline leaves the store when the deadlines projection sees the event that handled it.
import { Injectable, Logger } from '@nestjs/common';
import { type ICommand, type IEvent, ofType, Saga } from '@nestjs/cqrs';
import { EMPTY, type Observable, of } from 'rxjs';
import { mergeMap } from 'rxjs/operators';
import { ExecuteOrderCommand } from '../write/execute-order.command';
import type { OrderCommandInput } from '../write/order-command.service';
import { SYSTEM_ACTOR } from '../domain/order.types';
import type { Deadline } from './deadline.types';

const refOf = (d: Deadline): string => {
  if (!d.ref) throw new Error(`deadline ${d.id}: no ref`);
  return d.ref;
};

/** Deadline kind -> the command it sends. A new kind of deadline is one line here and one in the schedule. */
export const TIMEOUT_COMMANDS = {
  request_response: (d: Deadline) => ({ type: 'ExpireRequest', data: { requestId: refOf(d) } }),
  extras_expiry: (d: Deadline) => ({ type: 'LapseExtrasOffer', data: { offerId: refOf(d) } }),
  late: () => ({ type: 'RecordLateness', data: {} }),
  very_late: () => ({ type: 'RecordLateness', data: {} }),
  auto_complete: () => ({ type: 'CompleteAutomatically', data: {} }),
  case_first_response: (d: Deadline) => ({ type: 'MarkSupportCaseOverdue', data: { caseId: refOf(d) } }),
  information_request_lapse: (d: Deadline) => {
    const [caseId, informationRequestId] = refOf(d).split('/');
    if (!caseId || !informationRequestId)
      throw new Error(`deadline ${d.id}: ref is not caseId/informationRequestId`);
    return { type: 'LapseInformationRequest', data: { caseId, informationRequestId } };
  },
} satisfies Record<string, (d: Deadline) => OrderCommandInput>;

export type TimeoutKind = keyof typeof TIMEOUT_COMMANDS;

/** Published by the poller for each due deadline it fires (a class: ofType matches instances only). */
export class DeadlineReached implements IEvent {
  constructor(readonly deadline: Deadline) {}
}

/** Pure; throws for a deadline it cannot map. The command takes effect at the deadline's dueAt (not later). */
export function timeoutCommandOf(deadline: Deadline): ExecuteOrderCommand {
  const map = (TIMEOUT_COMMANDS as Record<string, ((d: Deadline) => OrderCommandInput) | undefined>)[
    deadline.kind
  ];
  if (!map) throw new Error(`deadline ${deadline.id}: unknown kind ${String(deadline.kind)}`);
  return new ExecuteOrderCommand(map(deadline), {
    orderId: deadline.orderId,
    actor: SYSTEM_ACTOR,
    // One business flow per deadline; caused by the event that scheduled it.
    correlationId: `deadline:${deadline.id}`,
    causationId: deadline.sourceEventId,
    dueAt: deadline.dueAt,
  });
}

@Injectable()
export class TimeoutSaga {
  private readonly logger = new Logger('TimeoutSaga');
  private markReady!: () => void;
  /** Resolves once the EventBus has subscribed the saga: a DeadlineReached published before would be lost. */
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  @Saga()
  deadlineReached = (events$: Observable<IEvent>): Observable<ICommand> => {
    this.markReady();
    return events$.pipe(
      ofType(DeadlineReached),
      mergeMap((event) => {
        // Caught per event: an error escaping the pipe would end the saga for every later deadline. The
        // deadline stays in the store and the poller retries it (and reports it stuck after a while).
        try {
          return of(timeoutCommandOf(event.deadline));
        } catch (error) {
          this.logger.error(`deadline ${event.deadline.id} not mapped: ${String(error)}`);
          return EMPTY;
        }
      }),
    );
  };
}
