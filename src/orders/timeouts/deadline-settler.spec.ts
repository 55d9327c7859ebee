import { DeadlineSettler } from './deadline-settler';
import { createKit, DUE, type Kit, unknownDeadline } from './timeouts.test-kit';

const LATE_AT = new Date(DUE.getTime() + 1);

describe('DeadlineSettler', () => {
  let kit: Kit;
  afterEach(() => kit.close());

  const settler = (options: ConstructorParameters<typeof DeadlineSettler>[2] = {}) =>
    new DeadlineSettler(kit.poller, { catchUp: () => kit.project() }, { pollMs: 0, ...options });

  it('answers once nothing due is left in the store, and counts what it fired', async () => {
    kit = await createKit();
    for (const o of ['o-1', 'o-2']) await kit.place(o);
    expect(await settler().settle(DUE)).toBe(0);
    kit.clock.set(LATE_AT); // as POST /testing/clock does before settling
    expect(await settler().settle(LATE_AT)).toBe(2);
    expect(await kit.count('o-1', 'OrderBecameLate')).toBe(1);
    expect(await kit.count('o-2', 'OrderBecameLate')).toBe(1);
    expect(await kit.poller.dueCount(LATE_AT)).toBe(0);
  });

  it('fires again, backoff or not, what stays due without progress (the clock stands still)', async () => {
    kit = await createKit({ backoffBaseMs: 60_000 });
    await kit.place('o-1');
    kit.handler.failures.set('o-1', 1);
    kit.clock.set(LATE_AT);
    expect(await settler({ refireAfterMs: 0 }).settle(LATE_AT)).toBe(1);
    expect(kit.handler.callsFor('o-1')).toBeGreaterThanOrEqual(2);
    expect(await kit.count('o-1', 'OrderBecameLate')).toBe(1);
  });

  it('fails, naming the count, rather than hang on a deadline that never leaves', async () => {
    kit = await createKit();
    await kit.put(unknownDeadline('o-bad'));
    kit.clock.set(LATE_AT);
    await expect(settler({ giveUpAfterMs: 0, refireAfterMs: 0 }).settle(LATE_AT)).rejects.toThrow(
      /1 deadline\(s\) due .* still pending/,
    );
  });
});
