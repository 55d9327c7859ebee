import { DomainError } from '../../domain/errors';
import type { Caller } from '../../domain/order.types';
import { ScriptedFeed, SUPPORT_AGENT, SYSTEM } from '../testing/order-script';
import { SUPPORT_CASES, SupportQueueProjection, type SupportCaseDoc } from './support-queue.projection';
import {
  ListSupportCasesHandler,
  ListSupportCasesQuery,
  type SupportQueueOptions,
} from './support-queue.query';

const SUPPORT: Caller = { userId: 'agent-7', roles: ['support'] };
const OTHER_AGENT = { id: 'agent-9', role: 'support' as const };

describe('support queue', () => {
  let feed: ScriptedFeed;
  const list = (options: SupportQueueOptions = {}, caller: Caller = SUPPORT) =>
    new ListSupportCasesHandler(feed.store).execute(new ListSupportCasesQuery(caller, options));
  const doc = (caseId: string) => feed.store.get<SupportCaseDoc>(SUPPORT_CASES, caseId);

  beforeEach(() => {
    feed = new ScriptedFeed([new SupportQueueProjection()]);
  });

  it('a case from opening to resolution: assignee, waitingOn, lastActivityAt, status', async () => {
    const order = await feed.order('o1').placeAndStart();
    const caseId = await order.openCase(1, 'buyer', 'non_delivery');
    expect(await doc(caseId)).toMatchObject({
      caseId,
      orderId: 'o1',
      category: 'non_delivery',
      openedBy: 'buyer',
      openedAt: '2025-03-03T10:00:00.000Z',
      status: 'open',
      assignee: null,
      overdue: false,
      firstResponseDueAt: '2025-03-04T10:00:00.000Z',
      waitingOn: 'support',
      lastActivityAt: '2025-03-03T10:00:00.000Z',
    });
    await order.run(2, SUPPORT_AGENT, 'ClaimSupportCase', { caseId });
    const informationRequestId = order.newId('info');
    await order.run(3, SUPPORT_AGENT, 'RequestInformation', {
      caseId,
      informationRequestId,
      party: 'seller',
      question: 'Where is it?',
    });
    expect(await doc(caseId)).toMatchObject({
      assignee: 'agent-7',
      waitingOn: 'seller',
      lastActivityAt: '2025-03-03T12:00:00.000Z',
    });
    // A statement that answers nothing leaves the request outstanding.
    await order.run(4, order.buyer, 'AddStatement', { caseId, text: 'Still nothing.' });
    expect(await doc(caseId)).toMatchObject({
      waitingOn: 'seller',
      lastActivityAt: '2025-03-03T13:00:00.000Z',
    });
    await order.run(5, order.seller, 'AddStatement', { caseId, text: 'Tomorrow.', informationRequestId });
    expect(await doc(caseId)).toMatchObject({ waitingOn: 'support', informationRequest: null });
    await order.run(6, SUPPORT_AGENT, 'ResolveSupportCase', {
      caseId,
      outcome: 'no_action',
      rationale: 'It is on its way.',
    });
    expect(await doc(caseId)).toMatchObject({
      status: 'resolved',
      outcome: 'no_action',
      waitingOn: null,
      closedAt: '2025-03-03T15:00:00.000Z',
      lastActivityAt: '2025-03-03T15:00:00.000Z',
    });
  });

  it('overdue and lapsed information requests are recorded but are not activity', async () => {
    const order = await feed.order('o1').placeAndStart();
    const caseId = await order.openCase(1, 'seller');
    await order.run(26, SYSTEM, 'MarkSupportCaseOverdue', { caseId });
    expect(await doc(caseId)).toMatchObject({
      overdue: true,
      lastActivityAt: '2025-03-03T10:00:00.000Z',
    });
    const informationRequestId = order.newId('info');
    await order.run(27, SUPPORT_AGENT, 'RequestInformation', {
      caseId,
      informationRequestId,
      party: 'buyer',
      question: 'Your side?',
    });
    expect((await doc(caseId))?.waitingOn).toBe('buyer');
    await order.run(27 + 49, SYSTEM, 'LapseInformationRequest', { caseId, informationRequestId });
    expect(await doc(caseId)).toMatchObject({
      waitingOn: 'support',
      overdue: true,
      lastActivityAt: '2025-03-04T12:00:00.000Z',
    });
  });

  it('an event applied again changes nothing', async () => {
    const order = await feed.order('o1').placeAndStart();
    const caseId = await order.openCase(1, 'buyer');
    const [claimed] = await order.run(2, SUPPORT_AGENT, 'ClaimSupportCase', { caseId });
    await order.run(3, order.buyer, 'WithdrawSupportCase', { caseId });
    const before = await doc(caseId);
    await feed.apply(claimed);
    await feed.apply(feed.events[1]); // the opening
    expect(await doc(caseId)).toEqual(before);
    expect(before).toMatchObject({ status: 'withdrawn', waitingOn: null, assignee: 'agent-7' });
  });

  it('lists overdue first, then oldest; filters by status, assignee and overdue; pages with a stable cursor', async () => {
    const ids: Record<string, string> = {};
    for (const [i, name] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      const order = await feed.order(`o-${name}`).placeAndStart(i);
      ids[name] = await order.openCase(i + 1, i % 2 ? 'seller' : 'buyer');
      if (name === 'c' || name === 'e')
        await order.run(30 + i, SYSTEM, 'MarkSupportCaseOverdue', { caseId: ids[name] });
      if (name === 'b') await order.run(31, SUPPORT_AGENT, 'ClaimSupportCase', { caseId: ids.b });
      if (name === 'd') await order.run(31, OTHER_AGENT, 'ClaimSupportCase', { caseId: ids.d });
      if (name === 'a') {
        await order.run(32, SUPPORT_AGENT, 'ResolveSupportCase', {
          caseId: ids.a,
          outcome: 'no_action',
          rationale: 'ok',
        });
      }
    }
    const order = (items: { caseId: string }[]) =>
      items.map((i) => Object.keys(ids).find((k) => ids[k] === i.caseId));
    expect(order((await list()).items)).toEqual(['c', 'e', 'b', 'd']);
    expect(order((await list({ assignee: 'me' })).items)).toEqual(['b']);
    expect(order((await list({ assignee: 'unassigned' })).items)).toEqual(['c', 'e']);
    expect(order((await list({ overdue: true })).items)).toEqual(['c', 'e']);
    expect(order((await list({ overdue: false })).items)).toEqual(['b', 'd']);
    expect(order((await list({ status: 'resolved' })).items)).toEqual(['a']);
    expect((await list({ status: 'withdrawn' })).items).toEqual([]);

    const first = await list({ limit: 3 });
    expect(order(first.items)).toEqual(['c', 'e', 'b']);
    expect(first.nextCursor).not.toBeNull();
    const second = await list({ limit: 3, cursor: first.nextCursor! });
    expect(order(second.items)).toEqual(['d']);
    expect(second.nextCursor).toBeNull();
    expect(Object.keys(first.items[0]).sort()).toEqual(
      [
        'assignee',
        'caseId',
        'category',
        'firstResponseDueAt',
        'lastActivityAt',
        'openedAt',
        'openedBy',
        'orderId',
        'overdue',
        'waitingOn',
      ].sort(),
    );
  });

  it('is for support and auditors only; a foreign cursor is a 400', async () => {
    await expect(list({}, { userId: 'aud', roles: ['auditor'] })).resolves.toMatchObject({ items: [] });
    for (const caller of [
      { userId: 'buyer-1', roles: [] },
      { userId: 'ana', roles: ['analyst'] },
    ] as Caller[]) {
      await expect(list({}, caller)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(list({}, caller)).rejects.toBeInstanceOf(DomainError);
    }
    await expect(list({ cursor: 'nope' })).rejects.toMatchObject({ status: 400 });
  });
});
