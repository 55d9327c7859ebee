// The simulation's disputes (issue 17): partial refund offers by the seller and support cases, with every step a
// case can take (claims, messages, information requests answered or lapsed, statements, overdue marks,
// withdrawals, each resolution outcome). Decided by the real decider like the rest of order-simulation.ts; a step
// the rules refuse right now decides nothing and the order moves on.
import type { OrderCommand } from '../../domain/order.commands';
import type { OrderState } from '../../domain/order.state';
import {
  DAY_MS,
  PARTIAL_REFUND_REASONS,
  SUPPORT_CASE_CATEGORIES,
  type Actor,
} from '../../domain/order.types';

export type DisputeIntent = 'overdue' | 'info_lapse';

export type DisputeStep =
  { command: OrderCommand; after: number } | { waitUntil: number; intent: DisputeIntent };

export interface DisputeContext {
  state: OrderState;
  buyer: Actor;
  seller: Actor;
  at: number;
  random: () => number;
  uuid: () => string;
  hours: (min: number, max: number) => number;
}

const AGENTS: Actor[] = [
  { id: 'support-agent-1', role: 'support' },
  { id: 'support-agent-2', role: 'support' },
];
const SYSTEM: Actor = { id: 'system', role: 'system' };

/** The timeout a dispute step waited for, now due. */
export function disputeTimeout(intent: DisputeIntent, c: DisputeContext): OrderCommand | null {
  const open = c.state.supportCase?.status === 'open' ? c.state.supportCase : null;
  if (!open) return null;
  const now = new Date(c.at);
  if (intent === 'overdue') {
    return { type: 'MarkSupportCaseOverdue', data: { caseId: open.caseId }, actor: SYSTEM, now };
  }
  if (!open.informationRequest) return null;
  return {
    type: 'LapseInformationRequest',
    data: { caseId: open.caseId, informationRequestId: open.informationRequest.id },
    actor: SYSTEM,
    now,
  };
}

/** A dispute step for this active order with no open request, or null to let the order's own flow go on. */
export function disputeStep(c: DisputeContext): DisputeStep | null {
  const { state: s, random } = c;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const cmd = (type: OrderCommand['type'], data: object, actor: Actor): OrderCommand =>
    ({ type, data, actor, now: new Date(c.at) }) as OrderCommand;
  const step = (command: OrderCommand, min = 1, max = 20): DisputeStep => ({
    command,
    after: c.hours(min, max),
  });
  const party = (): Actor => (random() < 0.5 ? c.buyer : c.seller);
  const open = s.supportCase?.status === 'open' ? s.supportCase : null;
  const r = random();

  if (!open) {
    if (r < 0.06) {
      const caseId = c.uuid();
      const category = pick(SUPPORT_CASE_CATEGORIES);
      return step(
        cmd('OpenSupportCase', { caseId, category, description: 'We cannot agree.' }, party()),
        1,
        30,
      );
    }
    const primary = s.primaryPrice?.amount ?? 0;
    if (r < 0.09 && primary > 5000) {
      const amount = 500 + Math.floor(random() * ((primary * 0.6 - 500) / 100)) * 100;
      const offer = {
        requestId: c.uuid(),
        requestType: 'partial_refund',
        amount,
        reason: pick(PARTIAL_REFUND_REASONS),
        comment: 'A partial refund for the trouble.',
      };
      return step(cmd('OpenRequest', offer, c.seller), 1, 30);
    }
    return null;
  }

  const caseId = open.caseId;
  const agent = AGENTS.find((a) => a.id !== open.assignee) ?? AGENTS[0];
  const ask = open.informationRequest;
  const resolve = (): DisputeStep => {
    const outcome = s.openRequest
      ? pick(s.status === 'delivered' ? ['cancel_order', 'complete_order'] : ['cancel_order', 'no_action'])
      : pick(['cancel_order', 'partial_refund', 'extend_due_date', 'complete_order', 'no_action']);
    const net = s.netPrice?.amount ?? 0;
    const base = s.dueAt ? Date.parse(s.dueAt) : c.at;
    const resolution = {
      caseId,
      outcome,
      rationale: 'Having heard both parties.',
      ...(outcome === 'cancel_order' ? { countsTowardCompletionRate: random() < 0.5 } : {}),
      ...(outcome === 'partial_refund' ? { amount: Math.max(1, Math.floor(net * random() * 0.5)) } : {}),
      ...(outcome === 'extend_due_date'
        ? { newDueAt: new Date(Math.max(base, c.at) + 3 * DAY_MS).toISOString() }
        : {}),
    };
    return step(cmd('ResolveSupportCase', resolution, agent), 0, 1);
  };
  if (ask) {
    if (r < 0.5) {
      const asked = ask.party === 'buyer' ? c.buyer : c.seller;
      const answer = { caseId, text: 'Here is my side.', informationRequestId: ask.id };
      return step(cmd('AddStatement', answer, asked), 1, 40);
    }
    if (r < 0.8) return { waitUntil: Date.parse(ask.respondBy), intent: 'info_lapse' };
  }
  if (open.firstRespondedAt === null && !open.overdue && r < 0.3) {
    return { waitUntil: Date.parse(open.firstResponseDueAt), intent: 'overdue' };
  }
  // With a request open, support often decides (cancel_order and complete_order close the request).
  const closing = s.openRequest !== null && r < 0.6;
  if (closing) return resolve();
  if (r < 0.45) return step(cmd('ClaimSupportCase', { caseId }, agent), 1, 10);
  if (r < 0.55) return step(cmd('PostSupportMessage', { caseId, text: 'We are looking into it.' }, agent));
  if (r < 0.62) {
    const question = {
      caseId,
      informationRequestId: c.uuid(),
      party: pick(['buyer', 'seller']),
      question: 'Why?',
    };
    return step(cmd('RequestInformation', question, agent));
  }
  if (r < 0.68) return step(cmd('AddStatement', { caseId, text: 'One more thing.' }, party()));
  if (r < 0.72) {
    const opener = open.openedBy === 'buyer' ? c.buyer : c.seller;
    return step(cmd('WithdrawSupportCase', { caseId }, opener));
  }
  if (r < 0.9) return resolve();
  if (r < 0.95 && !s.openRequest) {
    // The parties try to settle meanwhile: a request the case's resolution may close.
    const ask = {
      requestId: c.uuid(),
      requestType: 'cancellation',
      reason: 'other',
      comment: 'Let us part.',
    };
    return step(cmd('OpenRequest', ask, c.buyer), 1, 10);
  }
  return null;
}
