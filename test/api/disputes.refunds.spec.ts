// Partial refund requests and support-case resolutions through the HTTP API: the refund limits (minimum, 60 %
// per offer and together, price minus earlier refunds for support) and each outcome's effect on the order.
import { expectProblem } from '../support/orders';
import { startTestApp, type TestApp } from '../support/test-app';
import { Dispute } from './disputes.support';
import { Api, DAY } from './queries.support';

const PRICE = { amount: 10_000, currency: 'USD' };
const offer = (amount: number, reason = 'delay_compensation') => ({
  type: 'partial_refund',
  amount,
  reason,
  comment: 'Sorry for the delay.',
});

describe('partial refunds and support resolutions (HTTP)', () => {
  let t: TestApp;
  let api: Api;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
    api = new Api(t);
  });
  afterAll(() => t?.close());

  it('the seller offers a partial refund; the buyer accepts: RefundRecorded, the order goes on', async () => {
    const d = await Dispute.placed(api, { price: PRICE });
    const opened = await d.ok<{ requestId: string; respondBy: string }>('seller', '/requests', offer(1500));
    expect(opened.requestId).toEqual(expect.any(String));
    await d.ok('buyer', `/requests/${opened.requestId}/accept`);
    const refund = (await d.history('seller')).find((e) => e.type === 'RefundRecorded');
    expect(refund?.data).toMatchObject({
      amount: 1500,
      by: 'request',
      sourceId: opened.requestId,
      netPrice: { amount: 8500, currency: 'USD' },
    });
    expect((await d.page<{ status: string }>('buyer')).status).toBe('in_progress');
    // The reason is confidential: in the seller's, support's and auditor's history, not in the buyer's.
    const openedBy = async (who: 'buyer' | 'seller' | 'support' | 'auditor') =>
      (await d.history(who)).find((e) => e.type === 'ResolutionRequestOpened')?.data;
    for (const who of ['seller', 'support', 'auditor'] as const) {
      expect(await openedBy(who)).toMatchObject({ amount: 1500, confidentialReason: 'delay_compensation' });
    }
    const buyerSees = await openedBy('buyer');
    expect(buyerSees).toMatchObject({ amount: 1500, reason: null, comment: 'Sorry for the delay.' });
    expect(buyerSees).not.toHaveProperty('confidentialReason');
    expect(JSON.stringify(await d.history('buyer'))).not.toContain('delay_compensation');
  });

  it('REFUND_NOT_ALLOWED outside the limits: price ≤ 50.00, under 5.00, over 60 %, over 60 % together', async () => {
    const cheap = await Dispute.placed(api);
    expectProblem(await cheap.send('seller', '/requests', offer(500)), 409, 'REFUND_NOT_ALLOWED');
    const d = await Dispute.placed(api, { price: PRICE });
    expectProblem(await d.send('seller', '/requests', offer(499)), 409, 'REFUND_NOT_ALLOWED');
    expectProblem(await d.send('seller', '/requests', offer(6001)), 409, 'REFUND_NOT_ALLOWED');
    const first = await d.ok<{ requestId: string }>('seller', '/requests', offer(4000));
    await d.ok('buyer', `/requests/${first.requestId}/accept`);
    expectProblem(await d.send('seller', '/requests', offer(2001)), 409, 'REFUND_NOT_ALLOWED');
    const second = await d.ok<{ requestId: string }>('seller', '/requests', offer(2000, 'other'));
    await d.ok('buyer', `/requests/${second.requestId}/accept`);
    expectProblem(await d.send('seller', '/requests', offer(500)), 409, 'REFUND_NOT_ALLOWED');
  });

  it('only the seller offers, with an amount and a partial refund reason (400 otherwise)', async () => {
    const d = await Dispute.placed(api, { price: PRICE });
    expectProblem(await d.send('buyer', '/requests', offer(1000)), 403, 'FORBIDDEN');
    expectProblem(
      await d.send('seller', '/requests', { ...offer(1000), amount: 10.5 }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await d.send('seller', '/requests', { ...offer(1000), amount: '1000' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await d.send('seller', '/requests', { ...offer(1000), reason: 'bogus' }),
      400,
      'VALIDATION_FAILED',
    );
    const { amount: _a, ...noAmount } = offer(1000);
    expectProblem(await d.send('seller', '/requests', noAmount), 400, 'VALIDATION_FAILED');
    const { reason: _r, ...noReason } = offer(1000);
    expectProblem(await d.send('seller', '/requests', noReason), 400, 'VALIDATION_FAILED');
    expectProblem(
      await d.send('seller', '/requests', {
        type: 'cancellation',
        reason: 'cannot_deliver',
        comment: 'c',
        amount: 5,
      }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('support refunds up to the price minus earlier refunds (no 60 % cap)', async () => {
    const d = await Dispute.placed(api, { price: PRICE });
    const first = await d.ok<{ requestId: string }>('seller', '/requests', offer(3000));
    await d.ok('buyer', `/requests/${first.requestId}/accept`);
    const { caseId } = await d.openCase('buyer');
    const c = `/support-cases/${caseId}/resolution`;
    const refund = (amount: number) => ({ outcome: 'partial_refund', rationale: 'Half missing.', amount });
    expectProblem(await d.send('support', c, refund(7001)), 409, 'REFUND_NOT_ALLOWED');
    expectProblem(
      await d.send('support', c, { outcome: 'partial_refund', rationale: 'r' }),
      400,
      'VALIDATION_FAILED',
    );
    await d.ok('support', c, refund(7000));
    const refunds = (await d.history('auditor'))
      .filter((e) => e.type === 'RefundRecorded')
      .map((e) => e.data);
    expect(refunds[1]).toMatchObject({
      amount: 7000,
      by: 'support',
      sourceId: caseId,
      netPrice: { amount: 0 },
    });
  });

  it('complete_order only when delivered (INVALID_STATE before); it completes and closes the open request', async () => {
    const d = await Dispute.placed(api);
    const { caseId } = await d.openCase('seller', { category: 'communication' });
    const c = `/support-cases/${caseId}/resolution`;
    const complete = { outcome: 'complete_order', rationale: 'Delivered as agreed.' };
    expectProblem(await d.send('support', c, complete), 409, 'INVALID_STATE');
    await d.deliver();
    const { requestId } = await d.ok<{ requestId: string }>('buyer', '/requests', {
      type: 'cancellation',
      reason: 'not_as_described',
      comment: 'Not what I asked for.',
    });
    await d.ok('support', c, complete);
    const types = (await d.history('buyer')).map((e) => e.type).slice(-3);
    expect(types).toEqual(['SupportCaseResolved', 'ResolutionRequestClosed', 'OrderCompleted']);
    expect((await d.history('buyer')).find((e) => e.type === 'ResolutionRequestClosed')?.data).toMatchObject({
      requestId,
      caseId,
    });
    expect((await d.page<{ status: string }>('buyer')).status).toBe('completed');
  });

  it("given a resolution body missing its outcome's field, when the case is closed or the outcome not allowed yet, then 400 first (order of checks)", async () => {
    const d = await Dispute.placed(api);
    const { caseId } = await d.openCase('buyer');
    const c = `/support-cases/${caseId}/resolution`;
    // In progress: complete_order would be 409, but an amount it does not take is malformed first.
    const completeWithAmount = { outcome: 'complete_order', rationale: 'Done.', amount: 100 };
    expectProblem(await d.send('support', c, completeWithAmount), 400, 'VALIDATION_FAILED');
    await d.ok('buyer', `/support-cases/${caseId}/withdraw`);
    const cancelWithoutFlag = { outcome: 'cancel_order', rationale: 'Fraud.' };
    const closed = await d.send('support', c, cancelWithoutFlag);
    expectProblem(closed, 400, 'VALIDATION_FAILED');
    expect(closed.body.errors).toEqual([
      { field: 'countsTowardCompletionRate', message: expect.any(String) },
    ]);
    expectProblem(
      await d.send('support', c, { outcome: 'no_action', rationale: 'Ok.' }),
      409,
      'CASE_NOT_OPEN',
    );
  });

  it('cancel_order cancels with mode and initiator support, with the completion-rate flag', async () => {
    for (const counts of [true, false]) {
      const d = await Dispute.placed(api);
      const { caseId } = await d.openCase('buyer', { category: 'non_delivery' });
      const c = `/support-cases/${caseId}/resolution`;
      expectProblem(
        await d.send('support', c, { outcome: 'cancel_order', rationale: 'r' }),
        400,
        'VALIDATION_FAILED',
      );
      await d.ok('support', c, {
        outcome: 'cancel_order',
        rationale: 'No delivery.',
        countsTowardCompletionRate: counts,
      });
      const cancelled = (await d.history('buyer')).find((e) => e.type === 'OrderCancelled');
      expect(cancelled?.data).toMatchObject({
        mode: 'support',
        initiator: 'support',
        countsTowardCompletionRate: counts,
      });
      expect((await d.page<{ status: string }>('seller')).status).toBe('cancelled');
    }
  });

  it('extend_due_date moves dueAt and closes an open extension request', async () => {
    const d = await Dispute.placed(api);
    const { dueAt } = await d.page<{ dueAt: string }>('buyer');
    const { requestId } = await d.ok<{ requestId: string }>('seller', '/requests', {
      type: 'delivery_extension',
      comment: 'Need more time',
      proposedDueAt: new Date(Date.parse(dueAt) + 5 * DAY).toISOString(),
    });
    const { caseId } = await d.openCase('seller', { category: 'communication' });
    const newDueAt = new Date(Date.parse(dueAt) + 3 * DAY).toISOString();
    const c = `/support-cases/${caseId}/resolution`;
    expectProblem(
      await d.send('support', c, { outcome: 'extend_due_date', rationale: 'r', newDueAt: dueAt }),
      400,
      'VALIDATION_FAILED',
    );
    await d.ok('support', c, { outcome: 'extend_due_date', rationale: 'Three more days.', newDueAt });
    const h = await d.history('buyer');
    expect(h.find((e) => e.type === 'ResolutionRequestClosed')?.data).toMatchObject({ requestId, caseId });
    expect(h.find((e) => e.type === 'DueDateExtended')?.data).toMatchObject({
      newDueAt,
      source: 'support_case',
      sourceId: caseId,
    });
    const page = await d.page<{ dueAt: string; openRequest: unknown }>('buyer');
    expect(page).toMatchObject({ dueAt: newDueAt, openRequest: null });
  });

  it('settled_by_parties when the order completes otherwise while a case is open', async () => {
    const d = await Dispute.placed(api);
    await d.deliver();
    const { caseId } = await d.openCase('buyer');
    await d.ok('buyer', '/acceptance');
    const resolved = (await d.history('seller')).find((e) => e.type === 'SupportCaseResolved');
    expect(resolved?.data).toMatchObject({ caseId, outcome: 'settled_by_parties', rationale: null });
    expectProblem(await d.send('support', `/support-cases/${caseId}/claim`), 409, 'CASE_NOT_OPEN');
  });
});
