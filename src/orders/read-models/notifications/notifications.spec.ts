import fc from 'fast-check';
import { InMemoryReadStore } from '../../../platform/read-store/in-memory/in-memory-read-store';
import { runArb } from '../../domain/testing/order-arbitraries';
import { ScriptedFeed, SUPPORT_AGENT, SYSTEM } from '../testing/order-script';
import { keysOf, storedRun } from '../testing/stored-runs';
import {
  NOTIFICATIONS,
  NotificationsProjection,
  notificationData,
  type NotificationDoc,
} from './notifications.projection';

describe('notifications of refunds and support cases', () => {
  let feed: ScriptedFeed;
  const inbox = async (userId: string) =>
    (
      await feed.store.find<NotificationDoc>(NOTIFICATIONS, { recipientId: userId }, { sort: { sortKey: 1 } })
    ).map((d) => `${d.type}${d.actor.role === 'system' ? '' : ` by ${d.actor.role}`}`);

  beforeEach(() => {
    feed = new ScriptedFeed([new NotificationsProjection()]);
  });

  it('a partial refund offer: the buyer is told the amount, never the confidential reason', async () => {
    const order = await feed.order('o1').placeAndStart();
    await order.run(1, order.seller, 'OpenRequest', {
      requestId: 'r1',
      requestType: 'partial_refund',
      amount: 1500,
      reason: 'partial_dissatisfaction',
      comment: 'For the colours.',
    });
    await order.run(2, order.buyer, 'AcceptRequest', { requestId: 'r1' });
    const docs = await feed.store.find<NotificationDoc>(NOTIFICATIONS, {});
    const offered = docs.find((d) => d.type === 'ResolutionRequestOpened')!;
    expect(offered).toMatchObject({
      recipientId: 'buyer-1',
      data: { amount: 1500, comment: 'For the colours.' },
    });
    expect(keysOf(offered)).not.toContain('confidentialReason');
    expect(JSON.stringify(offered)).not.toContain('partial_dissatisfaction');
    expect(await inbox('seller-1')).toEqual([
      'ResolutionRequestAccepted by buyer',
      'RefundRecorded by buyer',
    ]);
    expect(docs.find((d) => d.type === 'RefundRecorded')?.data).toMatchObject({
      amount: 1500,
      by: 'request',
      netPrice: { amount: 8500, currency: 'USD' },
    });
  });

  it('the seller would see the confidential reason; the buyer not', () => {
    const data = { requestId: 'r1', amount: 900, confidentialReason: 'scope_changed' };
    expect(notificationData('ResolutionRequestOpened', data, 'seller')).toEqual(data);
    expect(notificationData('ResolutionRequestOpened', data, 'buyer')).toEqual({
      requestId: 'r1',
      amount: 900,
    });
    expect(data).toHaveProperty('confidentialReason'); // not changed in place
  });

  it("every support step reaches the parties it did not come from, never the actor's own", async () => {
    const order = await feed.order('o1').placeAndStart();
    const caseId = await order.openCase(1, 'buyer');
    await order.run(2, SUPPORT_AGENT, 'ClaimSupportCase', { caseId });
    await order.run(3, SUPPORT_AGENT, 'PostSupportMessage', { caseId, text: 'Hello both.' });
    await order.run(4, SUPPORT_AGENT, 'RequestInformation', {
      caseId,
      informationRequestId: 'i1',
      party: 'seller',
      question: 'When?',
    });
    await order.run(5, order.seller, 'AddStatement', { caseId, text: 'Friday.', informationRequestId: 'i1' });
    await order.run(6, SUPPORT_AGENT, 'RequestInformation', {
      caseId,
      informationRequestId: 'i2',
      party: 'buyer',
      question: 'OK?',
    });
    await order.run(6 + 49, SYSTEM, 'LapseInformationRequest', { caseId, informationRequestId: 'i2' });
    await order.run(56, SUPPORT_AGENT, 'ResolveSupportCase', {
      caseId,
      outcome: 'partial_refund',
      rationale: 'A late start.',
      amount: 3000,
    });
    const support = (t: string) => `${t} by support`;
    const common = [
      support('SupportCaseClaimed'),
      support('SupportMessagePosted'),
      support('SupportInformationRequested'),
    ];
    const end = [
      support('SupportInformationRequested'),
      'SupportInformationRequestLapsed',
      support('SupportCaseResolved'),
      support('RefundRecorded'),
    ];
    expect(await inbox('buyer-1')).toEqual([...common, 'SupportStatementAdded by seller', ...end]);
    expect(await inbox('seller-1')).toEqual(['SupportCaseOpened by buyer', ...common, ...end]);
  });

  it('withdrawal, overdue (not notified), settled_by_parties and a request closed by the resolution', async () => {
    const a = await feed.order('oa').placeAndStart();
    const first = await a.openCase(1, 'seller');
    await a.run(26, SYSTEM, 'MarkSupportCaseOverdue', { caseId: first });
    await a.run(27, a.seller, 'WithdrawSupportCase', { caseId: first });
    expect(await inbox('buyer-1')).toEqual(['SupportCaseOpened by seller', 'SupportCaseWithdrawn by seller']);

    const second = await a.openCase(28, 'buyer');
    await a.run(29, a.seller, 'OpenRequest', {
      requestId: 'r1',
      requestType: 'cancellation',
      reason: 'cannot_deliver',
      comment: 'Sorry.',
    });
    await a.run(30, SUPPORT_AGENT, 'ResolveSupportCase', {
      caseId: second,
      outcome: 'cancel_order',
      rationale: 'Both want out.',
      countsTowardCompletionRate: false,
    });
    expect((await inbox('seller-1')).slice(-4)).toEqual([
      'SupportCaseOpened by buyer',
      'SupportCaseResolved by support',
      'ResolutionRequestClosed by support',
      'OrderCancelled by support',
    ]);

    const b = await feed.order('ob', 'buyer-2', 'seller-2').placeAndStart();
    const third = await b.openCase(1, 'seller');
    await b.run(2, b.seller, 'DeliverOrder', { message: 'Done.' });
    await b.run(3, b.buyer, 'AcceptDelivery', {});
    expect(await inbox('seller-2')).toEqual(['OrderCompleted by buyer', 'SupportCaseResolved by buyer']);
    expect(
      (
        await feed.store.find<NotificationDoc>(NOTIFICATIONS, {
          recipientId: 'seller-2',
          type: 'SupportCaseResolved',
        })
      )[0].data,
    ).toMatchObject({ caseId: third, outcome: 'settled_by_parties' });
  });

  it('property: whatever the run, no notification of the buyer carries a confidential reason', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const { events, secrets } = storedRun(run);
        const store = new InMemoryReadStore();
        const projection = new NotificationsProjection();
        for (const e of events) await store.write((w) => projection.apply(e, w));
        for (const doc of await store.find<NotificationDoc>(NOTIFICATIONS, { recipientRole: 'buyer' })) {
          expect(keysOf(doc)).not.toContain('confidentialReason');
          const secret = secrets.get(doc.data.requestId as string);
          if (secret && doc.data.requestType === 'partial_refund') {
            expect(Object.values(doc.data)).not.toContain(secret);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
