import type { ICommand, IEvent } from '@nestjs/cqrs';
import { Subject } from 'rxjs';
import { ExecuteOrderCommand } from '../write/execute-order.command';
import type { Deadline, DeadlineKind } from './deadline.types';
import { DeadlineReached, TimeoutSaga } from './timeout.saga';
import { unknownDeadline } from './timeouts.test-kit';

const deadline = (kind: DeadlineKind, ref: string | null = null): Deadline => ({
  id: `${kind}:o-1:${ref ?? ''}:2030-01-01T00:00:00.000Z`,
  orderId: 'o-1',
  kind,
  dueAt: '2030-01-01T00:00:00.000Z',
  ref,
  sourcePosition: '7',
  sourceEventId: 'ev-7',
});

function run(saga: TimeoutSaga) {
  const events$ = new Subject<IEvent>();
  const out: ICommand[] = [];
  const ended: unknown[] = [];
  saga.deadlineReached(events$).subscribe({
    next: (c) => out.push(c),
    error: (e) => ended.push(e),
    complete: () => ended.push('complete'),
  });
  return { events$, out, ended };
}

describe('TimeoutSaga', () => {
  it("maps each deadline kind to the order's own system command, in the deadline's flow", () => {
    const { events$, out } = run(new TimeoutSaga());
    const cases: [Deadline, object][] = [
      [deadline('request_response', 'r1'), { type: 'ExpireRequest', data: { requestId: 'r1' } }],
      [deadline('extras_expiry', 'x1'), { type: 'LapseExtrasOffer', data: { offerId: 'x1' } }],
      [deadline('late'), { type: 'RecordLateness', data: {} }],
      [deadline('very_late'), { type: 'RecordLateness', data: {} }],
      [deadline('auto_complete'), { type: 'CompleteAutomatically', data: {} }],
      [deadline('case_first_response', 'c1'), { type: 'MarkSupportCaseOverdue', data: { caseId: 'c1' } }],
      [
        deadline('information_request_lapse', 'c1/i1'),
        { type: 'LapseInformationRequest', data: { caseId: 'c1', informationRequestId: 'i1' } },
      ],
    ];
    for (const [d] of cases) events$.next(new DeadlineReached(d));
    expect(out).toHaveLength(cases.length);
    out.forEach((c, i) => {
      expect(c).toBeInstanceOf(ExecuteOrderCommand);
      expect(c).toMatchObject({
        input: cases[i][1],
        options: {
          orderId: 'o-1',
          actor: { id: 'system', role: 'system' },
          correlationId: `deadline:${cases[i][0].id}`,
          causationId: 'ev-7',
          dueAt: '2030-01-01T00:00:00.000Z',
        },
      });
    });
  });

  it('ignores other events and plain objects shaped like DeadlineReached (ofType needs instances)', () => {
    const { events$, out } = run(new TimeoutSaga());
    events$.next({ deadline: deadline('late') });
    expect(out).toEqual([]);
  });

  it('drops a deadline it cannot map and keeps the stream alive for the next ones', () => {
    const saga = new TimeoutSaga();
    (saga as unknown as { logger: { error(): void } }).logger = { error: () => undefined };
    const { events$, out, ended } = run(saga);
    events$.next(new DeadlineReached(unknownDeadline('o-bad')));
    events$.next(new DeadlineReached({ ...deadline('request_response'), ref: null }));
    events$.next(new DeadlineReached(deadline('information_request_lapse', 'c1')));
    events$.next(new DeadlineReached(deadline('late')));
    expect(out).toHaveLength(1);
    expect(ended).toEqual([]);
  });
});
