import type { Caller } from '../../domain/order.types';
import { ScriptedFeed, SUPPORT_AGENT, SYSTEM } from '../testing/order-script';
import {
  DISPUTE_CASES,
  DisputeAnalyticsProjection,
  type DisputeCaseDoc,
} from './dispute-analytics.projection';
import { GetDisputeAnalyticsHandler, GetDisputeAnalyticsQuery, median } from './dispute-analytics.query';

const ANALYST: Caller = { userId: 'ana', roles: ['analyst'] };

describe('dispute analytics', () => {
  let feed: ScriptedFeed;
  const figures = (from: string, to: string, caller: Caller = ANALYST) =>
    new GetDisputeAnalyticsHandler(feed.store).execute(new GetDisputeAnalyticsQuery(from, to, caller));

  beforeEach(() => {
    feed = new ScriptedFeed([new DisputeAnalyticsProjection()]);
  });

  it('median: middle value, mean of the middle two, null for none', () => {
    expect(median([])).toBeNull();
    expect(median([7, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
  });

  it('counts the cases by their day of opening, with outcomes, categories and medians', async () => {
    // Day 1 (2025-03-03): three cases. Day 2: one. Day 5: one (outside the range asked).
    const a = await feed.order('oa').placeAndStart();
    const caseA = await a.openCase(1, 'buyer', 'quality'); // 10:00
    await a.run(1.5, SUPPORT_AGENT, 'ClaimSupportCase', { caseId: caseA }); // 30 min
    await a.run(3, SUPPORT_AGENT, 'ResolveSupportCase', {
      caseId: caseA,
      outcome: 'partial_refund',
      rationale: 'Half the logo.',
      amount: 2000,
    }); // 120 min

    const b = await feed.order('ob').placeAndStart();
    const caseB = await b.openCase(2, 'seller', 'communication'); // 11:00
    await b.run(27, SYSTEM, 'MarkSupportCaseOverdue', { caseId: caseB });
    await b.run(28, SUPPORT_AGENT, 'PostSupportMessage', { caseId: caseB, text: 'Sorry, looking now.' }); // 26 h
    await b.run(30, SUPPORT_AGENT, 'ResolveSupportCase', {
      caseId: caseB,
      outcome: 'cancel_order',
      rationale: 'Cannot go on.',
      countsTowardCompletionRate: false,
    }); // 28 h = 1680 min

    const c = await feed.order('oc').placeAndStart();
    const caseC = await c.openCase(3, 'buyer', 'quality');
    await c.run(4, c.buyer, 'WithdrawSupportCase', { caseId: caseC });

    const d = await feed.order('od').placeAndStart(20);
    const caseD = await d.openCase(24, 'buyer', 'scope_dispute'); // 2025-03-04
    await d.run(25, d.seller, 'DeliverOrder', { message: 'Here it is.' });
    await d.run(26, d.buyer, 'AcceptDelivery', {}); // settled_by_parties
    expect((await feed.store.get<DisputeCaseDoc>(DISPUTE_CASES, caseD))?.outcome).toBe('settled_by_parties');

    const e = await feed.order('oe').placeAndStart(90);
    await e.openCase(96, 'seller', 'other'); // 2025-03-07

    expect(await figures('2025-03-03', '2025-03-04')).toEqual({
      from: '2025-03-03',
      to: '2025-03-04',
      opened: 4,
      resolved: 3,
      withdrawn: 1,
      overdue: 1,
      byOutcome: {
        cancel_order: 1,
        partial_refund: 1,
        extend_due_date: 0,
        complete_order: 0,
        no_action: 0,
        settled_by_parties: 1,
      },
      byCategory: { quality: 2, non_delivery: 0, communication: 1, scope_dispute: 1, other: 0 },
      medianMinutesToFirstResponse: (30 + 26 * 60) / 2,
      medianMinutesToResolution: (120 + 28 * 60) / 2,
    });
    expect(await figures('2025-03-05', '2025-03-06')).toMatchObject({
      opened: 0,
      medianMinutesToFirstResponse: null,
      medianMinutesToResolution: null,
    });
    expect(await figures('2025-03-07', '2025-03-07')).toMatchObject({ opened: 1, resolved: 0 });
  });

  it('an event applied again changes nothing', async () => {
    const a = await feed.order('oa').placeAndStart();
    const caseId = await a.openCase(1, 'buyer');
    await a.run(2, SUPPORT_AGENT, 'ClaimSupportCase', { caseId });
    const before = await figures('2025-03-03', '2025-03-03');
    for (const e of [...feed.events]) await feed.apply(e);
    expect(await figures('2025-03-03', '2025-03-03')).toEqual(before);
    expect(before).toMatchObject({ opened: 1, medianMinutesToFirstResponse: 60 });
  });

  it('analysts and support only; dates validated like the cancellation analytics', async () => {
    await expect(
      figures('2025-03-01', '2025-03-02', { userId: 's', roles: ['support'] }),
    ).resolves.toMatchObject({ opened: 0 });
    for (const roles of [[], ['auditor']] as Caller['roles'][]) {
      await expect(figures('2025-03-01', '2025-03-02', { userId: 'x', roles })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    }
    await expect(figures('2025-02-30', '2025-03-02')).rejects.toMatchObject({ status: 400 });
    await expect(figures('2025-03-02', '2025-03-01')).rejects.toMatchObject({ status: 400 });
    await expect(figures('2024-01-01', '2025-03-01')).rejects.toMatchObject({ status: 400 });
  });
});
