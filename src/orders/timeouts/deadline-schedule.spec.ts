import fc from 'fast-check';
import type { StoredEvent } from '../../platform/event-store/event-store.port';
import type { DocumentWriter, Filter } from '../../platform/read-store/read-store.port';
import type { OrderEvent } from '../domain/order.events';
import { DAY_MS, HOUR_MS } from '../domain/order.types';
import { deadlinesOf, isoOf, trackEvent, type DeadlineTrack } from './deadline-schedule';
import type { Deadline, DeadlineSpec } from './deadline.types';
import { DeadlinesProjection } from './deadlines.projection';

const ORDER = 'o-1';
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

const placed = (requirementsNeeded = false, dueInMs = 7 * DAY_MS): OrderEvent => ({
  type: 'OrderPlaced',
  data: {
    orderId: ORDER,
    buyerId: 'b',
    sellerId: 's',
    title: 't',
    price: { amount: 100, currency: 'USD' },
    deliveryDays: 7,
    requirementsNeeded,
    placedAt: at(0),
    dueAt: requirementsNeeded ? null : at(dueInMs),
  },
});
const opened = (
  requestId: string,
  atMs: number,
  requestType: 'cancellation' | 'delivery_extension' | 'order_update' = 'cancellation',
): OrderEvent => ({
  type: 'ResolutionRequestOpened',
  data: {
    orderId: ORDER,
    requestId,
    requestType,
    openedBy: 'buyer',
    reason: 'other',
    comment: 'c',
    proposedDueAt: null,
    openedAt: at(atMs),
    respondBy: at(atMs + 48 * HOUR_MS),
  },
});
const delivered = (atMs: number, n = 1): OrderEvent => ({
  type: 'OrderDelivered',
  data: { orderId: ORDER, message: 'm', deliveredAt: at(atMs), deliveryNumber: n },
});
const declined = (requestId: string, atMs: number): OrderEvent => ({
  type: 'ResolutionRequestDeclined',
  data: {
    orderId: ORDER,
    requestId,
    requestType: 'cancellation',
    declinedBy: 'seller',
    comment: null,
    declinedAt: at(atMs),
  },
});
const withdrawn = (requestId: string, atMs: number): OrderEvent => ({
  type: 'ResolutionRequestWithdrawn',
  data: {
    orderId: ORDER,
    requestId,
    requestType: 'cancellation',
    withdrawnBy: 'buyer',
    withdrawnAt: at(atMs),
  },
});
const extended = (prevMs: number, newMs: number): OrderEvent => ({
  type: 'DueDateExtended',
  data: {
    orderId: ORDER,
    previousDueAt: at(prevMs),
    newDueAt: at(newMs),
    source: 'delivery_extension',
    sourceId: 'r',
    extendedAt: at(0),
  },
});
const offered = (offerId: string, atMs: number): OrderEvent => ({
  type: 'ExtrasOffered',
  data: {
    orderId: ORDER,
    offerId,
    description: 'd',
    amount: 10,
    extraDays: 1,
    offeredAt: at(atMs),
    expiresAt: at(atMs + 48 * HOUR_MS),
  },
});

const fold = (events: OrderEvent[]): DeadlineTrack | null =>
  events.reduce<DeadlineTrack | null>((t, e) => trackEvent(t, e), null);
const summary = (ds: DeadlineSpec[]) => ds.map((d) => `${d.kind}@${d.dueAt}${d.ref ? `#${d.ref}` : ''}`);

describe('isoOf', () => {
  it('formats every time as toISOString does (4-digit years by hand, the others through it)', () => {
    const times = [
      0,
      -1,
      1,
      Date.UTC(999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      8.64e15,
      -8.64e15,
    ];
    // Leap days, month ends, millisecond carries, across centuries.
    for (let t = Date.UTC(1899, 0, 1); t < Date.UTC(2101, 0, 1); t += 7 * DAY_MS + 3_601_001) times.push(t);
    for (const t of times) expect(isoOf(t)).toBe(new Date(t).toISOString());
    expect(() => isoOf(Number.NaN)).toThrow(RangeError);
  });

  it('agrees with toISOString on any valid time', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (t) => isoOf(t) === new Date(t).toISOString()),
      { numRuns: 2000 },
    );
  });
});

describe('deadline derivation', () => {
  it('schedules late at dueAt + 1 ms and very_late at dueAt + 24 h for an order in progress', () => {
    expect(summary(deadlinesOf(fold([placed()])))).toEqual([
      `late@${at(7 * DAY_MS + 1)}`,
      `very_late@${at(8 * DAY_MS)}`,
    ]);
  });

  it('derives the same deadlines from times written in another ISO form (offsets, no milliseconds)', () => {
    const canonical = fold([placed(), delivered(DAY_MS)])!;
    const dueAt = new Date(canonical.dueAt!);
    const other: DeadlineTrack = {
      ...canonical,
      everDelivered: false,
      status: 'in_progress',
      // 2 hours east of UTC, and whole seconds only.
      dueAt: new Date(dueAt.getTime() + 2 * HOUR_MS).toISOString().replace('.000Z', '+02:00'),
      deliveredAt: canonical.deliveredAt!.replace(/\.\d{3}Z$/, 'Z'),
    };
    const same: DeadlineTrack = { ...other, dueAt: canonical.dueAt, deliveredAt: canonical.deliveredAt };
    expect(Date.parse(other.dueAt!)).toBe(Date.parse(same.dueAt!));
    expect(summary(deadlinesOf(other))).toEqual(summary(deadlinesOf(same)));
    expect(summary(deadlinesOf({ ...other, status: 'delivered', everDelivered: true }))).toEqual(
      summary(deadlinesOf({ ...same, status: 'delivered', everDelivered: true })),
    );
  });

  it('reads a year before 1000 as that year (not as 19xx)', () => {
    const track: DeadlineTrack = { ...fold([placed()])!, dueAt: '0050-03-01T10:00:00.000Z' };
    expect(summary(deadlinesOf(track))).toEqual([
      'late@0050-03-01T10:00:00.001Z',
      'very_late@0050-03-02T10:00:00.000Z',
    ]);
  });

  it('schedules nothing while requirements are awaited (no dueAt yet)', () => {
    expect(deadlinesOf(fold([placed(true)]))).toEqual([]);
  });

  it('gives deterministic ids from kind, order, ref and dueAt', () => {
    const [late] = deadlinesOf(fold([placed()]));
    expect(late.id).toBe(`late:${ORDER}::${at(7 * DAY_MS + 1)}`);
    const req = deadlinesOf(fold([placed(), opened('r1', HOUR_MS)])).find(
      (d) => d.kind === 'request_response',
    );
    expect(req?.id).toBe(`request_response:${ORDER}:r1:${at(49 * HOUR_MS)}`);
  });

  it("schedules an open request's respondBy and removes it when it is answered or withdrawn", () => {
    const open = fold([placed(), opened('r1', HOUR_MS)]);
    expect(deadlinesOf(open).find((d) => d.kind === 'request_response')).toMatchObject({
      ref: 'r1',
      dueAt: at(49 * HOUR_MS),
    });
    for (const close of [declined('r1', 2 * HOUR_MS), withdrawn('r1', 2 * HOUR_MS)]) {
      expect(deadlinesOf(trackEvent(open, close)).some((d) => d.kind === 'request_response')).toBe(false);
    }
  });

  it('moves late and very_late when an extension is accepted', () => {
    const t = fold([placed(), extended(7 * DAY_MS, 10 * DAY_MS)]);
    expect(summary(deadlinesOf(t))).toEqual([`late@${at(10 * DAY_MS + 1)}`, `very_late@${at(11 * DAY_MS)}`]);
  });

  it('drops a lateness deadline once recorded for the current dueAt, and re-arms it after an extension', () => {
    const late: OrderEvent = {
      type: 'OrderBecameLate',
      data: { orderId: ORDER, dueAt: at(7 * DAY_MS), recordedAt: at(7 * DAY_MS + 1) },
    };
    const t = fold([placed(), late]);
    expect(summary(deadlinesOf(t))).toEqual([`very_late@${at(8 * DAY_MS)}`]);
    expect(summary(deadlinesOf(trackEvent(t, extended(7 * DAY_MS, 9 * DAY_MS))))).toEqual([
      `late@${at(9 * DAY_MS + 1)}`,
      `very_late@${at(10 * DAY_MS)}`,
    ]);
  });

  it('replaces lateness by auto-completion on delivery, and never brings lateness back in revision', () => {
    const t = fold([placed(), delivered(DAY_MS)]);
    expect(summary(deadlinesOf(t))).toEqual([`auto_complete@${at(4 * DAY_MS)}`]);
    const revision: OrderEvent = {
      type: 'RevisionRequested',
      data: { orderId: ORDER, message: 'm', requestedAt: at(2 * DAY_MS) },
    };
    const inRevision = trackEvent(t, revision);
    expect(deadlinesOf(inRevision)).toEqual([]);
    expect(summary(deadlinesOf(trackEvent(inRevision, delivered(3 * DAY_MS, 2))))).toEqual([
      `auto_complete@${at(6 * DAY_MS)}`,
    ]);
  });

  it('holds auto-completion while a request is open, then schedules it at max(deliveredAt + 3 d, closedAt)', () => {
    const open = fold([placed(), delivered(DAY_MS), opened('r1', 3 * DAY_MS)]);
    expect(deadlinesOf(open).map((d) => d.kind)).toEqual(['request_response']);
    // closed before deliveredAt + 3 d: the 3 days still count from the delivery
    expect(summary(deadlinesOf(trackEvent(open, declined('r1', 3 * DAY_MS + HOUR_MS))))).toEqual([
      `auto_complete@${at(4 * DAY_MS)}`,
    ]);
    // closed after it: due at once, at the close
    expect(summary(deadlinesOf(trackEvent(open, declined('r1', 4 * DAY_MS + HOUR_MS))))).toEqual([
      `auto_complete@${at(4 * DAY_MS + HOUR_MS)}`,
    ]);
  });

  it("schedules each pending extras offer's expiry and removes it when answered or lapsed", () => {
    const t = fold([placed(), offered('x1', 0), offered('x2', HOUR_MS)]);
    expect(
      deadlinesOf(t)
        .filter((d) => d.kind === 'extras_expiry')
        .map((d) => d.ref),
    ).toEqual(['x1', 'x2']);
    const lapsed: OrderEvent = {
      type: 'ExtrasOfferLapsed',
      data: { orderId: ORDER, offerId: 'x1', lapsedAt: at(0) },
    };
    expect(
      deadlinesOf(trackEvent(t, lapsed))
        .filter((d) => d.kind === 'extras_expiry')
        .map((d) => d.ref),
    ).toEqual(['x2']);
  });

  it('removes everything on a terminal state', () => {
    const cancelled: OrderEvent = {
      type: 'OrderCancelled',
      data: {
        orderId: ORDER,
        mode: 'support',
        initiator: 'support',
        reason: 'fraud',
        comment: null,
        requestId: null,
        previousStatus: 'in_progress',
        countsTowardCompletionRate: false,
        cancelledAt: at(HOUR_MS),
      },
    };
    expect(deadlinesOf(fold([placed(), opened('r1', 0), offered('x', 0), cancelled]))).toEqual([]);
    const completed: OrderEvent = {
      type: 'OrderCompleted',
      data: { orderId: ORDER, completedAt: at(2 * DAY_MS), completion: 'accepted_by_buyer' },
    };
    expect(deadlinesOf(fold([placed(), delivered(DAY_MS), completed]))).toEqual([]);
  });

  it('ignores events of an order it never saw placed', () => {
    expect(trackEvent(null, delivered(0))).toBeNull();
  });
});

/** A map-backed DocumentWriter: enough for the projection's get/put/delete. */
class MapWriter implements DocumentWriter {
  readonly data = new Map<string, Map<string, object>>();
  private col(c: string) {
    let m = this.data.get(c);
    if (!m) this.data.set(c, (m = new Map()));
    return m;
  }
  async get<T extends object>(c: string, id: string): Promise<T | null> {
    const v = this.col(c).get(id);
    return v ? (structuredClone(v) as T) : null;
  }
  async find<T extends object>(c: string, _f: Filter): Promise<T[]> {
    return [...this.col(c).values()] as T[];
  }
  async count(c: string): Promise<number> {
    return this.col(c).size;
  }
  async put<T extends object>(c: string, id: string, doc: T): Promise<void> {
    this.col(c).set(id, structuredClone(doc));
  }
  async delete(c: string, id: string): Promise<void> {
    this.col(c).delete(id);
  }
}

const stored = (e: OrderEvent, i: number): StoredEvent => ({
  id: `e${i}`,
  streamName: `order-${ORDER}`,
  revision: i,
  position: String(i + 1),
  type: e.type,
  data: e.data as unknown as Record<string, unknown>,
  metadata: { actor: { id: 'x', role: 'buyer' }, correlationId: 'c', causationId: null, schemaVersion: 1 },
  recordedAt: at(0),
});

describe('DeadlinesProjection', () => {
  it('keeps the documents equal to the derivation from the whole history, after every event', async () => {
    // Random histories (not necessarily valid ones): the incremental diff must agree with a full re-derivation.
    const step = fc.oneof(
      fc.integer({ min: 0, max: 9 * DAY_MS }).map((ms) => delivered(ms)),
      fc
        .tuple(fc.constantFrom('r1', 'r2'), fc.integer({ min: 0, max: 5 * DAY_MS }))
        .map(([r, ms]) => opened(r, ms)),
      fc
        .tuple(fc.constantFrom('r1', 'r2'), fc.integer({ min: 0, max: 9 * DAY_MS }))
        .map(([r, ms]) => declined(r, ms)),
      fc
        .tuple(fc.constantFrom('x1', 'x2'), fc.integer({ min: 0, max: 5 * DAY_MS }))
        .map(([x, ms]) => offered(x, ms)),
      fc.integer({ min: 8 * DAY_MS, max: 20 * DAY_MS }).map((ms) => extended(7 * DAY_MS, ms)),
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(step, { maxLength: 12 }), async (req, steps) => {
        const events = [placed(req), ...steps];
        const projection = new DeadlinesProjection();
        const writer = new MapWriter();
        for (let i = 0; i < events.length; i++) {
          await projection.apply(stored(events[i], i), writer);
          const docs = (await writer.find<Deadline>('deadlines', {})).map((d) => d.id).sort();
          const expected = deadlinesOf(fold(events.slice(0, i + 1)))
            .map((d) => d.id)
            .sort();
          expect(docs).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('records the scheduling event as sourcePosition / sourceEventId and keeps them for unchanged deadlines', async () => {
    const projection = new DeadlinesProjection();
    const writer = new MapWriter();
    const events = [placed(), opened('r1', HOUR_MS)];
    for (let i = 0; i < events.length; i++) await projection.apply(stored(events[i], i), writer);
    const docs = await writer.find<Deadline>('deadlines', {});
    expect(docs.find((d) => d.kind === 'late')).toMatchObject({ sourcePosition: '1', sourceEventId: 'e0' });
    expect(docs.find((d) => d.kind === 'request_response')).toMatchObject({
      sourcePosition: '2',
      sourceEventId: 'e1',
    });
  });

  it('ignores non-order streams and drops its per-order fold on a terminal state', async () => {
    const projection = new DeadlinesProjection();
    const writer = new MapWriter();
    await projection.apply({ ...stored(placed(), 0), streamName: 'other-1' }, writer);
    expect(await writer.count('deadline_tracks')).toBe(0);
    await projection.apply(stored(placed(), 0), writer);
    const completed: OrderEvent = {
      type: 'OrderCompleted',
      data: { orderId: ORDER, completedAt: at(DAY_MS), completion: 'accepted_by_buyer' },
    };
    await projection.apply(stored(completed, 1), writer);
    expect(await writer.count('deadline_tracks')).toBe(0);
    expect(await writer.count('deadlines')).toBe(0);
  });
});
