// Every timeout through the HTTP API with CLOCK=manual: it happens at its moment and not a minute before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_STORE, type EventStore } from '../../src/platform/event-store/event-store.port';
import { manualClockFile, writeManualClockFile } from '../../src/platform/clock/persistent-manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { DAY, Driver, eventually, HOUR, MIN } from './timeouts.support';

const SYSTEM = { id: 'system', role: 'system' };

describe('timeouts (CLOCK=manual, through the HTTP API)', () => {
  let t: TestApp;
  let d: Driver;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
  });
  afterAll(() => t?.close());
  beforeEach(() => {
    d = new Driver(t);
  });

  it('an unanswered cancellation request: cancelled auto_accepted at respondBy, initiator the requester', async () => {
    const { orderId } = await d.placeInProgress();
    const { requestId, respondBy } = await d.openRequest(orderId, 'buyer', {
      type: 'cancellation',
      reason: 'no_longer_needed',
      comment: 'Plans changed.',
    });
    await d.setNow(respondBy - MIN);
    expect(await d.types(orderId)).toEqual(['OrderPlaced', 'ResolutionRequestOpened']);

    await d.setNow(respondBy);
    const history = await d.history(orderId);
    expect(history.map((e) => e.type)).toEqual([
      'OrderPlaced',
      'ResolutionRequestOpened',
      'ResolutionRequestExpired',
      'OrderCancelled',
    ]);
    expect(history[2]).toMatchObject({ actor: SYSTEM, data: { requestId, outcome: 'auto_accepted' } });
    expect(history[3]).toMatchObject({
      actor: SYSTEM,
      data: { mode: 'auto_accepted', initiator: 'buyer', reason: 'no_longer_needed', requestId },
    });
    // The scheduler's events belong to the deadline's flow and name the event that set the deadline as cause.
    const stream = await t.app.get<EventStore>(EVENT_STORE).readStream(`order-${orderId}`);
    for (const e of stream.slice(2)) {
      expect(e.metadata.correlationId).toBe(
        `deadline:request_response:${orderId}:${requestId}:${new Date(respondBy).toISOString()}`,
      );
      expect(e.metadata.causationId).toBe(stream[1].id);
    }
    // The counterpart answers too late: the timeout won.
    const late = await t.http
      .post(`/orders/${orderId}/requests/${requestId}/decline`)
      .set(d.as('seller'))
      .send({})
      .expect(409);
    expect(late.body.code).toBe('REQUEST_NOT_OPEN');
  });

  it('an answer after respondBy is refused with REQUEST_NOT_OPEN even before the timeout is recorded', async () => {
    const { orderId } = await d.placeInProgress();
    const { requestId, respondBy } = await d.openRequest(orderId, 'seller', {
      type: 'cancellation',
      reason: 'cannot_deliver',
      comment: 'Sorry.',
    });
    await d.setNow(respondBy - MIN);
    // Moved behind the scheduler's back: nothing has run for respondBy yet.
    t.clock!.set(new Date(respondBy));
    const r = await t.http
      .post(`/orders/${orderId}/requests/${requestId}/accept`)
      .set(d.as('buyer'))
      .send({})
      .expect(409);
    expect(r.body.code).toBe('REQUEST_NOT_OPEN');
    await d.advance(0);
    expect((await d.last(orderId, 'OrderCancelled'))?.data).toMatchObject({
      mode: 'auto_accepted',
      initiator: 'seller',
    });
  });

  it('an unanswered delivery extension is accepted at respondBy: dueAt moves, and lateness with it', async () => {
    const { orderId, dueAt } = await d.placeInProgress(7);
    const proposed = dueAt + 3 * DAY;
    const { requestId, respondBy } = await d.openRequest(orderId, 'seller', {
      type: 'delivery_extension',
      comment: 'Need three more days.',
      proposedDueAt: new Date(proposed).toISOString(),
    });
    await d.setNow(respondBy - MIN);
    expect(await d.types(orderId)).toEqual(['OrderPlaced', 'ResolutionRequestOpened']);

    await d.setNow(respondBy);
    const history = await d.history(orderId);
    expect(history.slice(2).map((e) => [e.type, e.actor.role])).toEqual([
      ['ResolutionRequestExpired', 'system'],
      ['DueDateExtended', 'system'],
    ]);
    expect(history[2].data).toMatchObject({ requestId, outcome: 'auto_accepted' });
    expect(history[3].data).toMatchObject({
      newDueAt: new Date(proposed).toISOString(),
      source: 'delivery_extension',
      sourceId: requestId,
    });

    // Not late at the old dueAt any more...
    await d.setNow(dueAt + HOUR);
    expect(await d.last(orderId, 'OrderBecameLate')).toBeUndefined();
    // ...but right after the new one.
    await d.setNow(proposed);
    expect(await d.last(orderId, 'OrderBecameLate')).toBeUndefined();
    await d.setNow(proposed + 1);
    expect(await d.last(orderId, 'OrderBecameLate')).toMatchObject({
      actor: SYSTEM,
      data: { dueAt: new Date(proposed).toISOString() },
    });
  });

  it('an unanswered order update request closes at respondBy and leaves the order as it was', async () => {
    const { orderId } = await d.placeInProgress(30);
    const { requestId, respondBy } = await d.openRequest(orderId, 'buyer', {
      type: 'order_update',
      comment: 'How is it going?',
    });
    await d.setNow(respondBy - MIN);
    expect(await d.types(orderId)).toEqual(['OrderPlaced', 'ResolutionRequestOpened']);
    await d.setNow(respondBy);
    const history = await d.history(orderId);
    expect(history.map((e) => e.type)).toEqual([
      'OrderPlaced',
      'ResolutionRequestOpened',
      'ResolutionRequestExpired',
    ]);
    expect(history[2]).toMatchObject({ actor: SYSTEM, data: { requestId, outcome: 'closed' } });
    // Still in progress: the seller can deliver.
    await t.http
      .post(`/orders/${orderId}/deliveries`)
      .set(d.as('seller'))
      .send({ message: 'Here.' })
      .expect(200);
  });

  it('an unanswered extras offer lapses at expiresAt', async () => {
    const { orderId } = await d.placeInProgress(30);
    const r = await t.http
      .post(`/orders/${orderId}/extras`)
      .set(d.as('seller'))
      .send({ description: 'Source files', amount: 1500, extraDays: 1 })
      .expect(201);
    const offerId = (r.body as { offerId: string }).offerId;
    const offered = await d.last(orderId, 'ExtrasOffered');
    const expiresAt = Date.parse(offered!.data.expiresAt as string);
    await d.setNow(expiresAt - MIN);
    expect(await d.last(orderId, 'ExtrasOfferLapsed')).toBeUndefined();
    await d.setNow(expiresAt);
    expect(await d.last(orderId, 'ExtrasOfferLapsed')).toMatchObject({ actor: SYSTEM, data: { offerId } });
    const accept = await t.http
      .post(`/orders/${orderId}/extras/${offerId}/accept`)
      .set(d.as('buyer'))
      .send({})
      .expect(409);
    expect(accept.body.code).toBe('INVALID_STATE');
  });

  it('late once now > dueAt, very late at dueAt + 24 h: forced cancellation becomes possible exactly then', async () => {
    const { orderId, dueAt } = await d.placeInProgress(2);
    await d.setNow(dueAt - MIN);
    expect(await d.last(orderId, 'OrderBecameLate')).toBeUndefined();
    await d.setNow(dueAt);
    expect(await d.last(orderId, 'OrderBecameLate')).toBeUndefined(); // late means now > dueAt
    await d.setNow(dueAt + 1);
    expect(await d.last(orderId, 'OrderBecameLate')).toMatchObject({
      actor: SYSTEM,
      data: { dueAt: new Date(dueAt).toISOString() },
    });

    const cancel = () =>
      t.http.post(`/orders/${orderId}/cancellation`).set(d.as('buyer')).send({ reason: 'late_delivery' });
    await d.setNow(dueAt + DAY - MIN);
    expect(await d.last(orderId, 'OrderBecameVeryLate')).toBeUndefined();
    const early = await cancel().expect(409);
    expect(early.body.code).toBe('CANCELLATION_NOT_ALLOWED');

    await d.setNow(dueAt + DAY);
    expect(await d.last(orderId, 'OrderBecameVeryLate')).toMatchObject({ actor: SYSTEM });
    await cancel().expect(200);
    expect((await d.last(orderId, 'OrderCancelled'))?.data).toMatchObject({
      mode: 'forced',
      initiator: 'buyer',
    });
  });

  it('a delivery ends lateness: no late event after it', async () => {
    const { orderId, dueAt } = await d.placeInProgress(1);
    await t.http
      .post(`/orders/${orderId}/deliveries`)
      .set(d.as('seller'))
      .send({ message: 'Done.' })
      .expect(200);
    await d.setNow(dueAt + DAY + HOUR);
    const types = await d.types(orderId);
    expect(types).not.toContain('OrderBecameLate');
    expect(types).not.toContain('OrderBecameVeryLate');
  });

  it('a delivered order completes automatically 3 days after delivery, not a minute before', async () => {
    const { orderId } = await d.placeInProgress(5);
    const deliveredAt = await d.deliver(orderId);
    await d.setNow(deliveredAt + 3 * DAY - MIN);
    expect(await d.last(orderId, 'OrderCompleted')).toBeUndefined();
    await d.setNow(deliveredAt + 3 * DAY);
    expect(await d.last(orderId, 'OrderCompleted')).toMatchObject({
      actor: SYSTEM,
      data: { completion: 'auto_completed' },
    });
  });

  it('auto-completion waits for an open request, then falls due when it closes late', async () => {
    const { orderId } = await d.placeInProgress(5);
    const deliveredAt = await d.deliver(orderId);
    await d.setNow(deliveredAt + 2 * DAY);
    const { requestId } = await d.openRequest(orderId, 'buyer', {
      type: 'cancellation',
      reason: 'not_as_described',
      comment: 'Not what I asked for.',
    });
    await d.setNow(deliveredAt + 3 * DAY + HOUR);
    expect(await d.last(orderId, 'OrderCompleted')).toBeUndefined();
    await t.http
      .post(`/orders/${orderId}/requests/${requestId}/decline`)
      .set(d.as('seller'))
      .send({ comment: 'It is as described.' })
      .expect(200);
    await d.advance(0);
    expect(await d.last(orderId, 'OrderCompleted')).toMatchObject({
      actor: SYSTEM,
      data: { completion: 'auto_completed' },
    });
  });

  it('given an unanswered cancellation request, when the clock jumps a day past respondBy, then the order is cancelled as of respondBy', async () => {
    const { orderId } = await d.placeInProgress();
    const { respondBy } = await d.openRequest(orderId, 'seller', {
      type: 'cancellation',
      reason: 'cannot_deliver',
      comment: 'Too busy.',
    });

    await d.setNow(respondBy + DAY);

    const at = new Date(respondBy).toISOString();
    expect((await d.last(orderId, 'ResolutionRequestExpired'))?.data).toMatchObject({ expiredAt: at });
    expect((await d.last(orderId, 'OrderCancelled'))?.data).toMatchObject({
      mode: 'auto_accepted',
      cancelledAt: at,
    });
  });

  it('given a delivered order, when the clock jumps days past deliveredAt + 3 d, then it completed at deliveredAt + 3 d', async () => {
    const { orderId } = await d.placeInProgress(5);
    const deliveredAt = await d.deliver(orderId);

    await d.setNow(deliveredAt + 10 * DAY);

    expect((await d.last(orderId, 'OrderCompleted'))?.data).toMatchObject({
      completion: 'auto_completed',
      completedAt: new Date(deliveredAt + 3 * DAY).toISOString(),
    });
  });

  it('every timeout takes effect once: moving the clock again changes nothing', async () => {
    const { orderId, dueAt } = await d.placeInProgress(1);
    await d.setNow(dueAt + 2 * DAY);
    const before = await d.types(orderId);
    expect(before.filter((x) => x === 'OrderBecameLate')).toHaveLength(1);
    expect(before.filter((x) => x === 'OrderBecameVeryLate')).toHaveLength(1);
    await d.advance(DAY);
    await d.advance(0);
    expect(await d.types(orderId)).toEqual(before);
  });
});

describe('a deadline that fell due while the service was stopped', () => {
  it('fires after start-up', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rc-timeouts-restart-'));
    try {
      const first = await startTestApp({ clock: 'manual', dataDir });
      const d1 = new Driver(first);
      const { orderId } = await d1.placeInProgress(10);
      const { respondBy } = await d1.openRequest(orderId, 'buyer', {
        type: 'cancellation',
        reason: 'ordered_by_mistake',
        comment: 'Oops.',
      });
      await d1.setNow(respondBy - MIN);
      await first.close();

      // While it is down, time passes the deadline.
      writeManualClockFile(manualClockFile(dataDir), new Date(respondBy + HOUR));

      const second = await startTestApp({ clock: 'manual', dataDir });
      try {
        expect(second.clock!.now().toISOString()).toBe(new Date(respondBy + HOUR).toISOString());
        // No clock route involved: the poller's start-up run fires it on its own (whenever the worker lease or
        // the bootstrap starts it); nothing answers back, so the test watches the stream.
        const d2 = Object.assign(new Driver(second), { buyer: d1.buyer, seller: d1.seller });
        await eventually(async () => (await d2.types(orderId)).includes('OrderCancelled'));
        const history = await d2.history(orderId);
        expect(history.map((e) => e.type)).toEqual([
          'OrderPlaced',
          'ResolutionRequestOpened',
          'ResolutionRequestExpired',
          'OrderCancelled',
        ]);
        expect(history[3]).toMatchObject({
          actor: SYSTEM,
          data: { mode: 'auto_accepted', initiator: 'buyer' },
        });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
