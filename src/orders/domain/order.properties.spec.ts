// Properties over random command sequences (generators in testing/order-arbitraries.ts): invariants of the
// order, allowedActions agreeing with decide, and the runs reaching every event and refusal.
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { DomainError, STATUS_OF_CODE } from './errors';
import { TIMEOUT_COMMAND_TYPES, type OrderCommand } from './order.commands';
import { decide } from './order.decider';
import { ORDER_EVENT_TYPES, type OrderEvent } from './order.events';
import { ALLOWED_ACTIONS, allowedActions, partialRefundCap, type AllowedAction } from './order.rules';
import { evolve, foldOrder, refunded, type OrderState } from './order.state';
import { DAY_MS, type Actor } from './order.types';
import { buyer, seller, stranger, support, system } from './testing/given-when-then';
import { play, runArb, type CommandOf } from './testing/order-arbitraries';

const accepts = (command: OrderCommand, state: OrderState): boolean => {
  try {
    decide(command, state);
    return true;
  } catch (error) {
    if (error instanceof DomainError) return false;
    throw error;
  }
};

/** The commands behind a button, with valid input: the action is allowed iff one of them is accepted. */
function representatives(action: AllowedAction, s: OrderState, actor: Actor, now: Date): OrderCommand[] {
  const c = <T extends OrderCommand['type']>(type: T, data: CommandOf<T>['data']): OrderCommand =>
    ({ type, data, actor, now }) as CommandOf<T>;
  // The open request and the closed ones (`<opener>:<requestId>` lines).
  const closedIds = s.closedRequests.split('\n').filter(Boolean);
  const requestIds = [...s.requests.map((r) => r.requestId), ...closedIds.map((l) => l.split(':')[1])];
  const offerIds = s.offers.map((o) => o.offerId);
  const caseIds = s.supportCases.map((r) => r.caseId);
  // Ids the generator never uses: always new.
  const freshRequest = 'req-button';
  const laterDate = () => {
    const floors = [
      now.getTime(),
      ...[s.dueAt, s.agreedDueAt].filter((d) => d !== null).map((d) => Date.parse(d)),
    ];
    return new Date(Math.max(...floors) + DAY_MS).toISOString();
  };
  switch (action) {
    case 'submit_requirements':
      return [c('SubmitRequirements', { text: 'the brief' })];
    case 'start_without_requirements':
      return [c('StartWithoutRequirements', {})];
    case 'deliver':
      return [c('DeliverOrder', { message: 'done' })];
    case 'accept_delivery':
      return [c('AcceptDelivery', {})];
    case 'request_revision':
      return [c('RequestRevision', { message: 'again' })];
    case 'open_cancellation_request':
      return [
        c('OpenRequest', {
          requestId: freshRequest,
          requestType: 'cancellation',
          reason: 'other',
          comment: 'c',
        }),
      ];
    case 'open_delivery_extension_request':
      return [
        c('OpenRequest', {
          requestId: freshRequest,
          requestType: 'delivery_extension',
          comment: 'c',
          proposedDueAt: laterDate(),
        }),
      ];
    case 'open_order_update_request':
      return [c('OpenRequest', { requestId: freshRequest, requestType: 'order_update', comment: 'c' })];
    case 'accept_request':
      return requestIds.map((requestId) => c('AcceptRequest', { requestId, comment: 'the update' }));
    case 'decline_request':
      return requestIds.map((requestId) => c('DeclineRequest', { requestId }));
    case 'withdraw_request':
      return requestIds.map((requestId) => c('WithdrawRequest', { requestId }));
    case 'cancel_without_consent':
      return [c('CancelOrder', { reason: 'other' })];
    case 'offer_extras':
      return [c('OfferExtras', { offerId: 'offer-button', description: 'd', amount: 100, extraDays: 1 })];
    case 'accept_extras':
      return offerIds.map((offerId) => c('AcceptExtras', { offerId }));
    case 'decline_extras':
      return offerIds.map((offerId) => c('DeclineExtras', { offerId }));
    case 'open_partial_refund_request':
      return [
        c('OpenRequest', {
          requestId: freshRequest,
          requestType: 'partial_refund',
          reason: 'other',
          comment: 'c',
          amount: 500,
        }),
      ];
    case 'open_support_case':
      return [c('OpenSupportCase', { caseId: 'case-button', category: 'quality', description: 'd' })];
    case 'claim_support_case':
      return caseIds.map((caseId) => c('ClaimSupportCase', { caseId }));
    case 'post_support_message':
      return caseIds.map((caseId) => c('PostSupportMessage', { caseId, text: 't' }));
    case 'request_information':
      return caseIds.flatMap((caseId) =>
        (['buyer', 'seller'] as const).map((party) =>
          c('RequestInformation', { caseId, informationRequestId: 'info-button', party, question: 'q' }),
        ),
      );
    case 'add_statement':
      return caseIds.map((caseId) => c('AddStatement', { caseId, text: 't' }));
    case 'withdraw_support_case':
      return caseIds.map((caseId) => c('WithdrawSupportCase', { caseId }));
    case 'resolve_support_case':
      return caseIds.map((caseId) =>
        c('ResolveSupportCase', { caseId, outcome: 'no_action', rationale: 'r' }),
      );
  }
}

/** A cheap assertion for hot loops (jest's expect costs more than the decision it checks). */
const holds = (condition: boolean, message: string): void => {
  if (!condition) throw new Error(message);
};
const isTerminal = (s: OrderState) => s.status === 'completed' || s.status === 'cancelled';
const DUE_AT_EVENTS: readonly string[] = [
  'OrderPlaced',
  'RequirementsSubmitted',
  'WorkStartedWithoutRequirements',
  'DueDateExtended',
];
const TIMEOUTS: readonly string[] = TIMEOUT_COMMAND_TYPES;
const RUNS = { numRuns: 200 };
/** Each step of this one decides every button for every caller: fewer runs keep the suite fast. */
const AGREEMENT_RUNS = { numRuns: 120 };

describe('properties', () => {
  // Refusals are thrown by the thousand here; jest's deep stack traces would dominate the run time.
  const stackTraceLimit = Error.stackTraceLimit;
  beforeAll(() => {
    Error.stackTraceLimit = 0;
  });
  afterAll(() => {
    Error.stackTraceLimit = stackTraceLimit;
  });

  it('never two open requests', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        play(run, ({ after }) => {
          holds(after.requests.length <= 1, 'two open requests');
          holds(
            (after.openRequest?.requestId ?? null) === (after.requests[0]?.requestId ?? null),
            'openRequest out of sync',
          );
        });
      }),
      RUNS,
    );
  });

  it('nothing changes after a terminal state: every command decides [] or is refused', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const { state } = play(run, ({ before, command: cmd, outcome, after }) => {
          if (!isTerminal(before)) return;
          holds(
            !Array.isArray(outcome) || outcome.length === 0,
            `${cmd.type} changed a ${before.status} order`,
          );
          holds(after === before, 'the state changed');
        });
        // Nothing is left hanging either.
        if (isTerminal(state)) {
          holds(state.openRequest === null && state.pendingExtras.length === 0, 'left open');
          holds(state.supportCase === null || state.supportCase.status !== 'open', 'case left open');
        }
      }),
      RUNS,
    );
  });

  it('dueAt moves only through the start and DueDateExtended, and never backwards', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        play(run, ({ before, outcome }) => {
          if (!Array.isArray(outcome)) return;
          let state = before;
          for (const event of outcome) {
            const next = evolve(state, event);
            if (next.dueAt !== state.dueAt) {
              holds(DUE_AT_EVENTS.includes(event.type), `${event.type} moved dueAt`);
              holds(
                state.dueAt === null || Date.parse(next.dueAt!) > Date.parse(state.dueAt),
                'dueAt went back',
              );
            }
            if (event.type === 'DueDateExtended')
              holds(event.data.previousDueAt === state.dueAt, 'previousDueAt');
            state = next;
          }
        });
      }),
      RUNS,
    );
  });

  it('folding all emitted events reproduces the state; evolve and decide are deterministic; state is JSON', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const { state, events } = play(run, ({ before, command: cmd, outcome }) => {
          if (!Array.isArray(outcome)) return;
          holds(isDeepStrictEqual(decide(cmd, before), outcome), 'decide is not deterministic');
          for (const e of outcome) holds(isDeepStrictEqual(evolve(before, e), evolve(before, e)), 'evolve');
        });
        expect(foldOrder(events)).toEqual(state);
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      }),
      RUNS,
    );
  });

  it('timeouts are idempotent: deciding the same timeout again decides nothing', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        play(run, ({ command: cmd, outcome, after }) => {
          if (!TIMEOUTS.includes(cmd.type) || !Array.isArray(outcome)) return;
          holds(decide(cmd, after).length === 0, `${cmd.type} decided again`);
        });
      }),
      RUNS,
    );
  });

  it('never two open support cases; the latest case and the records agree', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        play(run, ({ after }) => {
          const open = after.supportCases.filter((c) => c.status === 'open');
          holds(open.length <= 1, 'two open cases');
          const latest = after.supportCase;
          holds(open.length === 0 || latest?.caseId === open[0].caseId, 'an open case is not the latest');
          holds(
            latest === null || after.supportCases.at(-1)?.status === latest.status,
            'supportCase out of sync',
          );
        });
      }),
      RUNS,
    );
  });

  it('agreed partial refunds never exceed 60 % of the primary price; refunds never exceed the price', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        play(run, ({ after }) => {
          if (!after.exists) return;
          const agreed = after.refunds
            .filter((r) => r.by === 'request')
            .reduce((sum, r) => sum + r.amount, 0);
          holds(agreed <= partialRefundCap(after), `agreed ${agreed} over the cap`);
          holds(agreed <= (after.primaryPrice!.amount * 60) / 100, 'over 60 %');
          holds(refunded(after) <= after.price!.amount, 'refunds over the price');
          holds(after.netPrice!.amount === after.price!.amount - refunded(after), 'netPrice');
          holds(
            after.refunds.every((r) => r.by === 'support' || r.amount >= 500),
            'a partial refund under 500',
          );
        });
      }),
      RUNS,
    );
  });

  it('every decision is made on the fold of the events before it', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const events: OrderEvent[] = [];
        play(run, ({ before, outcome }) => {
          holds(isDeepStrictEqual(foldOrder(events), before), 'the deciding state is not the fold');
          if (Array.isArray(outcome)) events.push(...outcome);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('auto-completion waits for an open request or case, and after them for max(deliveredAt + 3 d, closedAt)', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        play(run, ({ before, command: cmd, outcome }) => {
          if (cmd.type !== 'CompleteAutomatically' || !Array.isArray(outcome) || outcome.length === 0) return;
          holds(before.openRequest === null, 'completed while a request was open');
          holds(before.supportCase?.status !== 'open', 'completed while a case was open');
          const closed = [before.requestClosedAt, before.supportCase?.closedAt].map((t) =>
            t ? Date.parse(t) : 0,
          );
          const due = Date.parse(before.deliveredAt!) + 3 * DAY_MS;
          holds(cmd.now.getTime() >= Math.max(due, ...closed), 'completed early');
        });
      }),
      RUNS,
    );
  });

  it('allowedActions agrees with decide: an action is listed iff its command is accepted', () => {
    const callers: (Actor | null)[] = [buyer, seller, support, system, stranger, null];
    fc.assert(
      fc.property(runArb, (run) => {
        play(run, ({ after, command: cmd }) => {
          for (const actor of callers) {
            const allowed = allowedActions(after, actor, cmd.now);
            if (actor === null) {
              holds(allowed.length === 0, 'actions for nobody');
              continue;
            }
            for (const action of ALLOWED_ACTIONS) {
              const accepted = representatives(action, after, actor, cmd.now).some((c) => accepts(c, after));
              if (accepted !== allowed.includes(action)) {
                throw new Error(
                  `${action} for ${actor.role}: listed=${!accepted} accepted=${accepted} ` +
                    `at ${cmd.now.toISOString()} in ${JSON.stringify(after)}`,
                );
              }
            }
          }
        });
      }),
      AGREEMENT_RUNS,
    );
  });

  it('the runs reach every status, every event and every refusal', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(runArb, (run) => {
        play(run, ({ after, outcome }) => {
          seen.add(`status:${after.status}`);
          if (Array.isArray(outcome)) outcome.forEach((e) => seen.add(e.type));
          else seen.add(outcome.code);
        });
      }),
      { numRuns: 500, seed: 42 },
    );
    const statuses = ['awaiting_requirements', 'in_progress', 'delivered', 'completed', 'cancelled'];
    // ORDER_NOT_FOUND cannot happen: every run places its order first.
    const codes = Object.keys(STATUS_OF_CODE).filter((code) => code !== 'ORDER_NOT_FOUND');
    const expected = [...statuses.map((s) => `status:${s}`), ...ORDER_EVENT_TYPES, ...codes];
    expect(expected.filter((x) => !seen.has(x))).toEqual([]);
  });
});
