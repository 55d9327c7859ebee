import { EventBus, type ICommand, type IEvent } from '@nestjs/cqrs';
import { Subject } from 'rxjs';
import type { Deadline } from './deadline.types';
import { DeadlineCompletions } from './deadline-completions';
import { DeadlineReached, RunTimeoutCommand } from './timeout.messages';
import { TimeoutSaga } from './timeout.saga';
import { createKit, deadline, T0, type Kit } from './timeouts.test-kit';

const bogus = (): Deadline => ({ ...deadline('o-bad', 'late', 0), kind: 'nonsense' as Deadline['kind'] });

describe('TimeoutSaga (the stream alone)', () => {
  it('maps each deadline kind to its timeout command, actor system', () => {
    const saga = new TimeoutSaga(new DeadlineCompletions());
    const events$ = new Subject<IEvent>();
    const out: ICommand[] = [];
    saga.deadlineReached(events$).subscribe((c) => out.push(c));
    const cases: [Deadline, string, object][] = [
      [deadline('o', 'request_response', 0, 'r1'), 'ExpireRequest', { requestId: 'r1' }],
      [deadline('o', 'extras_expiry', 0, 'x1'), 'LapseExtrasOffer', { offerId: 'x1' }],
      [deadline('o', 'late', 0), 'RecordLateness', {}],
      [deadline('o', 'very_late', 0), 'RecordLateness', {}],
      [deadline('o', 'auto_complete', 0), 'CompleteAutomatically', {}],
    ];
    for (const [d] of cases) events$.next(new DeadlineReached(d, T0, `a-${d.id}`));
    expect(out).toHaveLength(cases.length);
    out.forEach((c, i) => {
      expect(c).toBeInstanceOf(RunTimeoutCommand);
      const run = c as RunTimeoutCommand;
      expect(run.command).toEqual({
        type: cases[i][1],
        data: cases[i][2],
        actor: { id: 'system', role: 'system' },
        now: T0,
      });
      expect(run.attemptId).toBe(`a-${cases[i][0].id}`);
    });
  });

  it('ignores other events and plain objects shaped like DeadlineReached (ofType needs instances)', () => {
    const saga = new TimeoutSaga(new DeadlineCompletions());
    const events$ = new Subject<IEvent>();
    const out: ICommand[] = [];
    saga.deadlineReached(events$).subscribe((c) => out.push(c));
    events$.next({ deadline: deadline('o', 'late', 0), now: T0, attemptId: 'x' });
    expect(out).toEqual([]);
  });

  it('reports a deadline it cannot map to its waiter and keeps the stream alive for the next ones', async () => {
    const completions = new DeadlineCompletions();
    const saga = new TimeoutSaga(completions);
    const events$ = new Subject<IEvent>();
    const out: ICommand[] = [];
    let completed = false;
    let errored: unknown = null;
    saga.deadlineReached(events$).subscribe({
      next: (c) => out.push(c),
      error: (e) => (errored = e),
      complete: () => (completed = true),
    });
    const failed = completions.expect('bad', 1000);
    events$.next(new DeadlineReached(bogus(), T0, 'bad'));
    await expect(failed).rejects.toThrow(/unknown kind nonsense/);
    events$.next(new DeadlineReached(deadline('o', 'late', 0), T0, 'good'));
    expect(out).toHaveLength(1);
    expect(errored).toBeNull();
    expect(completed).toBe(false);
  });
});

describe('TimeoutSaga on the real EventBus', () => {
  let kit: Kit;
  beforeEach(async () => (kit = await createKit()));
  afterEach(() => kit.close());

  const fire = (d: Deadline, attemptId: string) => {
    const done = kit.completions.expect(attemptId, 2000);
    kit.module.get(EventBus).publish(new DeadlineReached(d, T0, attemptId));
    return done;
  };

  it('runs the command and reports its result back to the waiting attempt', async () => {
    const d = deadline('o-1', 'request_response', 0, 'r1');
    await expect(fire(d, 'a1')).resolves.toEqual({ events: 1, position: '1' });
    expect(kit.executor.calls[0].command.type).toBe('ExpireRequest');
    expect(kit.executor.calls[0].context).toEqual({
      orderId: 'o-1',
      correlationId: `deadline:${d.id}`,
      causationId: 'ev-o-1',
    });
  });

  it('isolates failures: an unmappable deadline and a failing command do not end the saga', async () => {
    kit.executor.behaviours.set('o-fail', async () => {
      throw new Error('store unavailable');
    });
    await expect(fire(bogus(), 'bad-map')).rejects.toThrow(/unknown kind/);
    await expect(fire(deadline('o-fail', 'late', 0), 'bad-cmd')).rejects.toThrow('store unavailable');
    // Both errors behind us, the stream still maps and runs every later deadline.
    const later = await Promise.all(
      ['o-1', 'o-2', 'o-3'].map((o, i) => fire(deadline(o, 'auto_complete', 0), `ok-${i}`)),
    );
    expect(later.every((r) => r.events === 1)).toBe(true);
    expect(kit.executor.calls.map((c) => c.context.orderId)).toEqual(['o-fail', 'o-1', 'o-2', 'o-3']);
  });
});
