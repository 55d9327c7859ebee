// Random command sequences for the order's properties (order.properties.spec.ts): generators, the player and the
// commands behind each button. Test-only: imported by specs alone (fast-check is a dev dependency).
import fc from 'fast-check';
import { DomainError } from '../errors';
import type { OrderCommand } from '../order.commands';
import { decide } from '../order.decider';
import type { OrderEvent } from '../order.events';
import { evolve, initialOrderState, type OrderState } from '../order.state';
import {
  ALL_CANCELLATION_REASONS,
  DAY_MS,
  HOUR_MS,
  PARTIAL_REFUND_REASONS,
  SUPPORT_CASE_CATEGORIES,
  SUPPORT_RESOLUTION_OUTCOMES,
  type Actor,
  type Evidence,
  type RequestType,
} from '../order.types';
import {
  BUYER_ID,
  ORDER_ID,
  PRICE,
  SELLER_ID,
  at,
  buyer,
  command,
  seller,
  stranger,
  support,
  system,
} from './given-when-then';

export type CommandOf<T extends OrderCommand['type']> = Extract<OrderCommand, { type: T }>;
export type Build = (state: OrderState, now: Date) => OrderCommand;
export interface Step {
  dtMs: number;
  build: Build;
}

const anyActor = fc.constantFrom<Actor>(buyer, seller, support, system, stranger);
/** Mostly the party the command belongs to, so runs get deep into the lifecycle; sometimes anyone. */
const actorFor = (...right: Actor[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...right) }, { weight: 1, arbitrary: anyActor });
const commentArb = fc.constantFrom('a comment', 'a comment', 'a comment', 'c', '');
const reasonArb = fc.constantFrom(...ALL_CANCELLATION_REASONS, 'other', 'other', 'bogus');
const refundReasonArb = fc.constantFrom(...PARTIAL_REFUND_REASONS, 'bogus');
/** Around the limits: under the 500 minimum, within 60 % of 10,000 / 20,000, over it. */
const amountArb = fc.oneof(
  fc.integer({ min: 400, max: 1500 }),
  fc.integer({ min: 1500, max: 7000 }),
  fc.constantFrom(0, 500, 6000, 12000),
);
/** 'open' / 'pending' target what is open now; 'fresh' a new id; else a maybe-known id. */
const requestRef = fc.constantFrom('open', 'open', 'fresh', 'r1', 'r2');
const offerRef = fc.constantFrom('pending', 'pending', 'fresh', 'o1', 'o2');
const requestIdOf = (ref: string, s: OrderState): string =>
  ref === 'open' ? (s.openRequest?.requestId ?? 'r1') : ref === 'fresh' ? `r${requestsOpened(s) + 1}` : ref;
/** The open request and the closed ones (a line each). */
const requestsOpened = (s: OrderState): number => s.requests.length + s.closedRequests.split('\n').length - 2;
const offerIdOf = (ref: string, s: OrderState): string =>
  ref === 'pending'
    ? (s.pendingExtras[0]?.offerId ?? 'o1')
    : ref === 'fresh'
      ? `o${s.offers.length + 1}`
      : ref;
function mk<T extends OrderCommand['type']>(
  type: T,
  actor: Actor,
  data: (s: OrderState, now: Date) => CommandOf<T>['data'],
  label = '',
): Build {
  const build = (s: OrderState, now: Date) =>
    ({ type, data: data(s, now), actor, now }) as unknown as OrderCommand;
  // Readable counterexamples.
  return Object.assign(build, { [fc.toStringMethod]: () => `${type}(${actor.id}${label})` });
}

const OPENERS: Record<RequestType, Actor[]> = {
  cancellation: [buyer, seller],
  delivery_extension: [seller],
  order_update: [buyer],
  partial_refund: [seller],
};
const openRequestArb: fc.Arbitrary<Build> = fc
  .constantFrom<RequestType>('cancellation', 'delivery_extension', 'order_update', 'partial_refund')
  .chain((type) =>
    fc.record({
      type: fc.constant(type),
      a: actorFor(...OPENERS[type]),
      ref: requestRef,
      reason: fc.option(type === 'partial_refund' ? refundReasonArb : reasonArb, { nil: undefined }),
      comment: commentArb,
      // Hours after the current dueAt (or now); sometimes not a date at all.
      proposed: fc.option(fc.oneof(fc.integer({ min: -48, max: 240 }), fc.constant('soon')), {
        nil: undefined,
      }),
      amount: fc.option(amountArb, { nil: undefined }),
    }),
  )
  .map(({ a, type, ref, reason, comment, proposed, amount }) =>
    mk('OpenRequest', a, (s, now) => ({
      requestId: requestIdOf(ref === 'open' ? 'fresh' : ref, s),
      requestType: type,
      comment,
      ...(type === 'cancellation' || type === 'partial_refund'
        ? { reason: reason ?? 'other' }
        : reason === 'bogus'
          ? { reason }
          : {}),
      ...(type === 'partial_refund' || (amount !== undefined && amount % 7 === 0)
        ? { amount: amount ?? 600 }
        : {}),
      ...(typeof proposed === 'string'
        ? { proposedDueAt: proposed }
        : proposed !== undefined && (type === 'delivery_extension' || proposed < 0)
          ? {
              proposedDueAt: new Date(
                (s.dueAt ? Date.parse(s.dueAt) : now.getTime()) + proposed * HOUR_MS,
              ).toISOString(),
            }
          : {}),
    })),
  );

// ---- support cases ----------------------------------------------------------------------------------------

/** 'open' targets the latest case; 'fresh' a new id; else a maybe-known id. */
const caseRef = fc.constantFrom('open', 'open', 'open', 'fresh', 'c1', 'c2');
const caseIdOf = (ref: string, s: OrderState): string =>
  ref === 'open' ? (s.supportCase?.caseId ?? 'c1') : ref === 'fresh' ? `c${s.supportCases.length + 1}` : ref;
const infoRef = fc.constantFrom('outstanding', 'outstanding', 'fresh', 'i1', 'none');
const infoIdOf = (ref: string, s: OrderState): string | undefined =>
  ref === 'outstanding'
    ? (s.supportCase?.informationRequest?.id ?? 'i1')
    : ref === 'fresh'
      ? `i${(s.supportCase?.thread.length ?? 0) + 1}`
      : ref === 'none'
        ? undefined
        : ref;
const EVIDENCE = {
  name: 'photo.png',
  contentType: 'image/png',
  sizeBytes: 1000,
  sha256: 'a'.repeat(64),
  url: 'https://files.example/photo.png',
};
const evidenceArb = fc.constantFrom<Evidence[]>(
  [],
  [EVIDENCE],
  [{ ...EVIDENCE, url: 'http://files.example/x' }],
);
const textArb = fc.constantFrom('a text', 'a text', 'a text', '');
const outcomeArb = fc.constantFrom(...SUPPORT_RESOLUTION_OUTCOMES, 'bogus');

const caseArb: fc.Arbitrary<Build> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .record({
        a: actorFor(buyer, seller),
        ref: caseRef,
        category: fc.constantFrom(...SUPPORT_CASE_CATEGORIES, 'bogus'),
        d: textArb,
        e: evidenceArb,
      })
      .map(({ a, ref, category, d, e }) =>
        mk('OpenSupportCase', a, (s) => ({
          caseId: caseIdOf(ref === 'open' ? 'fresh' : ref, s),
          category,
          description: d,
          evidence: e,
        })),
      ),
  },
  fc
    .record({ a: actorFor(support), ref: caseRef })
    .map(({ a, ref }) => mk('ClaimSupportCase', a, (s) => ({ caseId: caseIdOf(ref, s) }))),
  fc
    .record({ a: actorFor(support), ref: caseRef, t: textArb })
    .map(({ a, ref, t }) => mk('PostSupportMessage', a, (s) => ({ caseId: caseIdOf(ref, s), text: t }))),
  fc
    .record({
      a: actorFor(support),
      ref: caseRef,
      i: infoRef,
      party: fc.constantFrom(buyer, seller),
      t: textArb,
    })
    .map(({ a, ref, i, party, t }) =>
      mk('RequestInformation', a, (s) => ({
        caseId: caseIdOf(ref, s),
        informationRequestId: infoIdOf(i === 'outstanding' ? 'fresh' : i, s) ?? 'i1',
        party: party.role as 'buyer' | 'seller',
        question: t,
      })),
    ),
  {
    weight: 2,
    arbitrary: fc
      .record({ a: actorFor(buyer, seller), ref: caseRef, i: infoRef, t: textArb, e: evidenceArb })
      .map(({ a, ref, i, t, e }) =>
        mk('AddStatement', a, (s) => {
          const informationRequestId = infoIdOf(i, s);
          return {
            caseId: caseIdOf(ref, s),
            text: t,
            evidence: e,
            ...(informationRequestId === undefined ? {} : { informationRequestId }),
          };
        }),
      ),
  },
  fc
    .record({ a: actorFor(buyer, seller), ref: caseRef })
    .map(({ a, ref }) => mk('WithdrawSupportCase', a, (s) => ({ caseId: caseIdOf(ref, s) }))),
  {
    weight: 2,
    arbitrary: fc
      .record({
        a: actorFor(support),
        ref: caseRef,
        outcome: outcomeArb,
        amount: fc.option(fc.oneof(amountArb, fc.integer({ min: 5000, max: 30000 })), { nil: undefined }),
        days: fc.option(fc.integer({ min: -2, max: 5 }), { nil: undefined }),
        counts: fc.option(fc.boolean(), { nil: undefined }),
        rationale: fc.constantFrom('because', 'because', 'r', ''),
      })
      .map(({ a, ref, outcome, amount, days, counts, rationale }) =>
        mk('ResolveSupportCase', a, (s, now) => ({
          caseId: caseIdOf(ref, s),
          outcome,
          rationale,
          ...(amount !== undefined && (outcome === 'partial_refund' || amount % 5 === 0) ? { amount } : {}),
          ...(days !== undefined && (outcome === 'extend_due_date' || days < 0)
            ? {
                newDueAt: new Date(
                  (s.dueAt ? Date.parse(s.dueAt) : now.getTime()) + days * DAY_MS,
                ).toISOString(),
              }
            : {}),
          // Mostly given where it belongs (cancel_order), sometimes missing there or sent elsewhere.
          ...(outcome === 'cancel_order'
            ? counts === undefined && rationale === 'r'
              ? {}
              : { countsTowardCompletionRate: counts ?? false }
            : counts
              ? { countsTowardCompletionRate: counts }
              : {}),
        })),
      ),
  },
  fc
    .record({ a: actorFor(system), ref: caseRef })
    .map(({ a, ref }) => mk('MarkSupportCaseOverdue', a, (s) => ({ caseId: caseIdOf(ref, s) }))),
  fc.record({ a: actorFor(system), ref: caseRef, i: infoRef }).map(({ a, ref, i }) =>
    mk('LapseInformationRequest', a, (s) => ({
      caseId: caseIdOf(ref, s),
      informationRequestId: infoIdOf(i, s) ?? 'i1',
    })),
  ),
);

const workArb: fc.Arbitrary<Build> = fc.oneof(
  fc
    .record({ a: actorFor(buyer), t: commentArb })
    .map(({ a, t }) => mk('SubmitRequirements', a, () => ({ text: t }))),
  actorFor(seller).map((a) => mk('StartWithoutRequirements', a, () => ({}))),
  fc
    .record({ a: actorFor(seller), t: commentArb })
    .map(({ a, t }) => mk('DeliverOrder', a, () => ({ message: t }))),
  actorFor(buyer).map((a) => mk('AcceptDelivery', a, () => ({}))),
  fc
    .record({ a: actorFor(buyer), t: commentArb })
    .map(({ a, t }) => mk('RequestRevision', a, () => ({ message: t }))),
  // The Resolution Center is what this is about: more of it.
  { weight: 4, arbitrary: openRequestArb },
  {
    weight: 2,
    arbitrary: fc
      .record({ a: actorFor(buyer, seller), ref: requestRef, c: fc.option(commentArb, { nil: undefined }) })
      .map(({ a, ref, c }) =>
        mk('AcceptRequest', a, (s) => ({
          requestId: requestIdOf(ref, s),
          ...(c === undefined ? {} : { comment: c }),
        })),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ a: actorFor(buyer, seller), ref: requestRef })
      .map(({ a, ref }) => mk('DeclineRequest', a, (s) => ({ requestId: requestIdOf(ref, s) }))),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ a: actorFor(buyer, seller), ref: requestRef })
      .map(({ a, ref }) => mk('WithdrawRequest', a, (s) => ({ requestId: requestIdOf(ref, s) }))),
  },
  fc
    .record({
      a: actorFor(seller),
      ref: offerRef,
      amount: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constant(0)),
      days: fc.integer({ min: -1, max: 5 }),
    })
    .map(({ a, ref, amount, days }) =>
      mk('OfferExtras', a, (s) => ({
        offerId: offerIdOf(ref === 'pending' ? 'fresh' : ref, s),
        description: 'more',
        amount,
        extraDays: days,
      })),
    ),
  fc
    .record({ a: actorFor(buyer), ref: offerRef })
    .map(({ a, ref }) => mk('AcceptExtras', a, (s) => ({ offerId: offerIdOf(ref, s) }))),
  fc
    .record({ a: actorFor(buyer), ref: offerRef })
    .map(({ a, ref }) => mk('DeclineExtras', a, (s) => ({ offerId: offerIdOf(ref, s) }))),
  fc
    .record({ a: actorFor(system), ref: requestRef })
    .map(({ a, ref }) => mk('ExpireRequest', a, (s) => ({ requestId: requestIdOf(ref, s) }))),
  fc
    .record({ a: actorFor(system), ref: offerRef })
    .map(({ a, ref }) => mk('LapseExtrasOffer', a, (s) => ({ offerId: offerIdOf(ref, s) }))),
  actorFor(system).map((a) => mk('RecordLateness', a, () => ({}))),
  actorFor(system).map((a) => mk('CompleteAutomatically', a, () => ({}))),
);

/** Rarer: they end (or cannot change) the run. */
const cancelArb: fc.Arbitrary<Build> = fc
  .record({
    a: actorFor(buyer, support),
    reason: reasonArb,
    counts: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ a, reason, counts }) =>
    mk('CancelOrder', a, () => ({
      reason,
      ...(counts === undefined || a.role !== 'support' ? {} : { countsTowardCompletionRate: counts }),
    })),
  );
const placeAgainArb: fc.Arbitrary<Build> = actorFor(buyer).map((a) =>
  mk('PlaceOrder', a, () => ({
    orderId: ORDER_ID,
    buyerId: BUYER_ID,
    sellerId: SELLER_ID,
    title: 't',
    price: { amount: PRICE, currency: 'USD' },
    deliveryDays: 2,
    requirementsNeeded: true,
  })),
);
const buildArb = fc.oneof(
  { weight: 16, arbitrary: workArb },
  { weight: 6, arbitrary: caseArb },
  { weight: 1, arbitrary: cancelArb },
  { weight: 1, arbitrary: placeAgainArb },
);

/** Time only moves forward: mostly minutes to hours, sometimes past a 48 h / 3 day deadline. */
const dtArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 * HOUR_MS }) },
  { weight: 2, arbitrary: fc.integer({ min: 6 * HOUR_MS, max: 30 * HOUR_MS }) },
  { weight: 1, arbitrary: fc.integer({ min: 30 * HOUR_MS, max: 100 * HOUR_MS }) },
);
export const runArb = fc.record({
  requirementsNeeded: fc.boolean(),
  // 50.00 allows no partial refund request; the others do.
  price: fc.constantFrom(5000, 10000, 20000),
  deliveryDays: fc.integer({ min: 1, max: 4 }),
  steps: fc.array(fc.record({ dtMs: dtArb, build: buildArb }), {
    minLength: 1,
    maxLength: 40,
    size: 'large',
  }),
});

export interface Decision {
  before: OrderState;
  command: OrderCommand;
  /** The events, or the refusal. */
  outcome: OrderEvent[] | DomainError;
  after: OrderState;
}

/** Places the order, then plays the steps; `check` sees every decision. Only DomainErrors may be thrown. */
export function play(
  run: { requirementsNeeded: boolean; deliveryDays: number; price?: number; steps: Step[] },
  check: (d: Decision) => void = () => undefined,
): { state: OrderState; events: OrderEvent[] } {
  let state = initialOrderState;
  let now = at(0);
  const events: OrderEvent[] = [];
  const apply = (command: OrderCommand) => {
    const before = state;
    let outcome: OrderEvent[] | DomainError;
    try {
      outcome = decide(command, state);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      outcome = error;
    }
    if (Array.isArray(outcome)) {
      for (const event of outcome) state = evolve(state, event);
      events.push(...outcome);
    }
    check({ before, command, outcome, after: state });
  };
  apply(
    command(
      'PlaceOrder',
      {
        orderId: ORDER_ID,
        buyerId: BUYER_ID,
        sellerId: SELLER_ID,
        title: 'A logo',
        price: { amount: run.price ?? PRICE, currency: 'USD' },
        deliveryDays: run.deliveryDays,
        requirementsNeeded: run.requirementsNeeded,
      },
      buyer,
      0,
    ),
  );
  for (const step of run.steps) {
    now = new Date(now.getTime() + step.dtMs);
    apply(step.build(state, now));
  }
  return { state, events };
}
