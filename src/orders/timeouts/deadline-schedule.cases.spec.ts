// The deadlines of support cases and partial refunds: first response (overdue), information-request lapse,
// auto-completion waiting for an open case, partial refund expiry, a request closed by a case.
import fc from 'fast-check';
import type { OrderEvent } from '../domain/order.events';
import { autoCompletionDueAt } from '../domain/order.rules';
import { play, runArb } from '../domain/testing/order-arbitraries';
import { DAY_MS, HOUR_MS } from '../domain/order.types';
import { deadlinesOf, trackEvent, type DeadlineTrack } from './deadline-schedule';
import type { DeadlineSpec } from './deadline.types';

const ORDER = 'o-1';
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const H = HOUR_MS;

const ev = {
  placed: (): OrderEvent => ({
    type: 'OrderPlaced',
    data: {
      orderId: ORDER,
      buyerId: 'b',
      sellerId: 's',
      title: 't',
      price: { amount: 10_000, currency: 'USD' },
      deliveryDays: 7,
      requirementsNeeded: false,
      placedAt: at(0),
      dueAt: at(7 * DAY_MS),
    },
  }),
  delivered: (ms: number): OrderEvent => ({
    type: 'OrderDelivered',
    data: { orderId: ORDER, message: 'm', deliveredAt: at(ms), deliveryNumber: 1 },
  }),
  refundOffered: (requestId: string, ms: number): OrderEvent => ({
    type: 'ResolutionRequestOpened',
    data: {
      orderId: ORDER,
      requestId,
      requestType: 'partial_refund',
      openedBy: 'seller',
      reason: null,
      comment: 'c',
      proposedDueAt: null,
      openedAt: at(ms),
      respondBy: at(ms + 48 * H),
      amount: 1000,
      confidentialReason: 'other',
    },
  }),
  requestClosed: (requestId: string, ms: number): OrderEvent => ({
    type: 'ResolutionRequestClosed',
    data: { orderId: ORDER, requestId, requestType: 'delivery_extension', caseId: 'c1', closedAt: at(ms) },
  }),
  caseOpened: (ms: number, caseId = 'c1'): OrderEvent => ({
    type: 'SupportCaseOpened',
    data: {
      orderId: ORDER,
      caseId,
      openedBy: { id: 'b', role: 'buyer' },
      category: 'quality',
      description: 'd',
      evidence: [],
      openedAt: at(ms),
      firstResponseDueAt: at(ms + 24 * H),
    },
  }),
  claimed: (ms: number): OrderEvent => ({
    type: 'SupportCaseClaimed',
    data: { orderId: ORDER, caseId: 'c1', assignee: 'agent', claimedAt: at(ms) },
  }),
  message: (ms: number): OrderEvent => ({
    type: 'SupportMessagePosted',
    data: { orderId: ORDER, caseId: 'c1', by: { id: 'agent', role: 'support' }, text: 't', postedAt: at(ms) },
  }),
  overdue: (ms: number): OrderEvent => ({
    type: 'SupportCaseMarkedOverdue',
    data: { orderId: ORDER, caseId: 'c1', firstResponseDueAt: at(ms), markedAt: at(ms) },
  }),
  infoRequested: (id: string, ms: number): OrderEvent => ({
    type: 'SupportInformationRequested',
    data: {
      orderId: ORDER,
      caseId: 'c1',
      informationRequestId: id,
      by: { id: 'agent', role: 'support' },
      party: 'seller',
      question: 'q',
      requestedAt: at(ms),
      respondBy: at(ms + 48 * H),
    },
  }),
  statement: (ms: number, informationRequestId: string | null): OrderEvent => ({
    type: 'SupportStatementAdded',
    data: {
      orderId: ORDER,
      caseId: 'c1',
      by: { id: 's', role: 'seller' },
      text: 't',
      evidence: [],
      informationRequestId,
      addedAt: at(ms),
    },
  }),
  infoLapsed: (id: string, ms: number): OrderEvent => ({
    type: 'SupportInformationRequestLapsed',
    data: { orderId: ORDER, caseId: 'c1', informationRequestId: id, party: 'seller', lapsedAt: at(ms) },
  }),
  withdrawn: (ms: number): OrderEvent => ({
    type: 'SupportCaseWithdrawn',
    data: { orderId: ORDER, caseId: 'c1', withdrawnBy: 'buyer', withdrawnAt: at(ms) },
  }),
  resolved: (ms: number, outcome: 'no_action' | 'settled_by_parties' = 'no_action'): OrderEvent => ({
    type: 'SupportCaseResolved',
    data: {
      orderId: ORDER,
      caseId: 'c1',
      outcome,
      rationale: outcome === 'no_action' ? 'r' : null,
      resolvedBy: outcome === 'no_action' ? 'agent' : null,
      amount: null,
      newDueAt: null,
      countsTowardCompletionRate: null,
      resolvedAt: at(ms),
    },
  }),
  completed: (ms: number): OrderEvent => ({
    type: 'OrderCompleted',
    data: { orderId: ORDER, completedAt: at(ms), completion: 'accepted_by_buyer' },
  }),
};

const fold = (events: OrderEvent[]): DeadlineTrack | null =>
  events.reduce<DeadlineTrack | null>((t, e) => trackEvent(t, e), null);
/** The deadlines of the given kinds (lateness left out: the order below is delivered or on time). */
const of = (events: OrderEvent[]) =>
  deadlinesOf(fold(events))
    .filter((d) => d.kind !== 'late' && d.kind !== 'very_late')
    .map((d: DeadlineSpec) => `${d.kind}@${d.dueAt}${d.ref ? `#${d.ref}` : ''}`);

describe('support-case and partial-refund deadlines', () => {
  const base = [ev.placed()];

  it('first response: due at firstResponseDueAt while support has neither claimed nor messaged', () => {
    expect(of([...base, ev.caseOpened(H)])).toEqual([`case_first_response@${at(25 * H)}#c1`]);
    expect(of([...base, ev.caseOpened(H), ev.claimed(2 * H)])).toEqual([]);
    expect(of([...base, ev.caseOpened(H), ev.message(2 * H)])).toEqual([]);
    // Marked once: the deadline leaves.
    expect(of([...base, ev.caseOpened(H), ev.overdue(25 * H)])).toEqual([]);
    expect(of([...base, ev.caseOpened(H), ev.withdrawn(2 * H)])).toEqual([]);
  });

  it('an information request lapses at its respondBy unless answered; a plain statement does not answer it', () => {
    const asked = [...base, ev.caseOpened(0), ev.claimed(H), ev.infoRequested('i1', 2 * H)];
    expect(of(asked)).toEqual([`information_request_lapse@${at(50 * H)}#c1/i1`]);
    expect(of([...asked, ev.statement(3 * H, null)])).toEqual([
      `information_request_lapse@${at(50 * H)}#c1/i1`,
    ]);
    expect(of([...asked, ev.statement(3 * H, 'i1')])).toEqual([]);
    expect(of([...asked, ev.infoLapsed('i1', 50 * H)])).toEqual([]);
    expect(of([...asked, ev.resolved(4 * H)])).toEqual([]);
  });

  it('auto-completion waits while a case is open, then is due at max(deliveredAt + 3 d, closedAt)', () => {
    const delivered = [...base, ev.delivered(DAY_MS)];
    expect(of(delivered)).toEqual([`auto_complete@${at(4 * DAY_MS)}`]);
    const open = [...delivered, ev.caseOpened(2 * DAY_MS), ev.claimed(2 * DAY_MS + H)];
    expect(of(open)).toEqual([]);
    // Closed before deliveredAt + 3 d: due then; after it: due at the close.
    expect(of([...open, ev.resolved(3 * DAY_MS)])).toEqual([`auto_complete@${at(4 * DAY_MS)}`]);
    expect(of([...open, ev.withdrawn(5 * DAY_MS)])).toEqual([`auto_complete@${at(5 * DAY_MS)}`]);
    expect(of([...open, ev.resolved(6 * DAY_MS)])).toEqual([`auto_complete@${at(6 * DAY_MS)}`]);
  });

  it('nothing is due once the order ended (a case settled by the parties included)', () => {
    const events = [...base, ev.delivered(DAY_MS), ev.caseOpened(2 * DAY_MS), ev.completed(2 * DAY_MS + H)];
    expect(of(events)).toEqual([]);
    expect(of([...events, ev.resolved(2 * DAY_MS + H, 'settled_by_parties')])).toEqual([]);
  });

  it('a partial refund offer expires at respondBy like any request; a request closed by a case leaves', () => {
    expect(of([...base, ev.refundOffered('r1', H)])).toEqual([`request_response@${at(49 * H)}#r1`]);
    expect(of([...base, ev.refundOffered('r1', H), ev.requestClosed('r1', 2 * H)])).toEqual([]);
    // On a delivered order the closed request lets auto-completion be due again, no earlier than the close.
    const delivered = [...base, ev.delivered(DAY_MS), ev.refundOffered('r1', 3 * DAY_MS + 23 * H)];
    expect(of(delivered)).toEqual([`request_response@${at(5 * DAY_MS + 23 * H)}#r1`]);
    expect(of([...delivered, ev.requestClosed('r1', 4 * DAY_MS + H)])).toEqual([
      `auto_complete@${at(4 * DAY_MS + H)}`,
    ]);
  });

  it('reads a track stored before support cases (no openCase, no lastCaseClosedAt) as having none', () => {
    const track = fold([...base, ev.delivered(DAY_MS)])!;
    const { openCase: _o, lastCaseClosedAt: _l, ...old } = track;
    expect(deadlinesOf(old)).toEqual(deadlinesOf(track));
    expect(deadlinesOf(trackEvent(old, ev.caseOpened(2 * DAY_MS)))).toEqual(
      deadlinesOf(trackEvent(track, ev.caseOpened(2 * DAY_MS))),
    );
  });
});

describe('the schedule and the rule', () => {
  it("auto_complete is due exactly at the rule's autoCompletionDueAt, after every decision of a random run", () => {
    fc.assert(
      fc.property(runArb, (run) => {
        let track: DeadlineTrack | null = null;
        play(run, ({ outcome, after }) => {
          if (!Array.isArray(outcome)) return;
          for (const event of outcome) track = trackEvent(track, event);
          const scheduled = deadlinesOf(track).find((d) => d.kind === 'auto_complete')?.dueAt ?? null;
          expect(scheduled).toBe(autoCompletionDueAt(after));
        });
      }),
      { numRuns: 200 },
    );
  });
});
