// decide(command, state) -> events. Pure: time arrives as command.now, ids arrive on the command.
// Check order (api.md): the order exists (or not, for PlaceOrder) -> the actor may act -> the command's input is
// valid -> the order's state allows it (the guards of order.rules.ts, shared with allowedActions).
// The one entry point; each feature decides in its own file under decide/.
import { DomainError } from './errors';
import type { OrderCommand } from './order.commands';
import type { OrderEvent } from './order.events';
import {
  checkAcceptDelivery,
  checkDeliver,
  checkRequestRevision,
  checkStartWithoutRequirements,
  checkSubmitRequirements,
  checkSystem,
  isActive,
  openCaseOf,
} from './order.rules';
import { evolve, isPlaced, type OrderState, type PlacedOrderState } from './order.state';
import { acceptExtras, declineExtras, lapseExtrasOffer, offerExtras } from './decide/extras';
import { enforce, enforceCaller, requireText } from './decide/helpers';
import { dueAtOnStart, placeOrder } from './decide/lifecycle';
import {
  acceptRequest,
  cancelOrder,
  declineRequest,
  expireRequest,
  openRequest,
  withdrawRequest,
} from './decide/requests';
import {
  addStatement,
  claimSupportCase,
  lapseInformationRequest,
  markSupportCaseOverdue,
  openSupportCase,
  postSupportMessage,
  requestInformation,
  resolveSupportCase,
  settledByParties,
  withdrawSupportCase,
} from './decide/support-cases';
import { completeAutomatically, recordLateness } from './decide/timeouts';

export { MAX_DELIVERY_DAYS, MAX_EXTRA_DAYS, SUPPORT_REASONS_NOT_COUNTED } from './decide/helpers';

const assertNever = (x: never): never => {
  throw new Error(`unknown order command ${JSON.stringify(x)}`);
};

/**
 * When the decided events end the order (cancelled or completed, by any path) while a support case is open, the
 * case closes with outcome settled_by_parties in the same decision. A resolution by support closed it already.
 */
function settleOpenCase(state: PlacedOrderState, events: OrderEvent[], now: Date): OrderEvent[] {
  const open = openCaseOf(state);
  if (open === null || events.length === 0) return events;
  const after = events.reduce(evolve, state as OrderState);
  if (isActive(after) || openCaseOf(after) === null) return events;
  return [...events, settledByParties(state, open.caseId, now)];
}

/** The events a command causes on the order, or a DomainError with the contract's code. */
export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  // A caller's bug, not a refusal: every recorded time derives from it.
  if (!(command.now instanceof Date) || Number.isNaN(command.now.getTime())) {
    throw new TypeError('command.now must be a valid Date');
  }
  if (command.type === 'PlaceOrder') return placeOrder(command, state);
  if (!isPlaced(state)) throw new DomainError('ORDER_NOT_FOUND', 'order not found');
  return settleOpenCase(state, decideOnOrder(command, state), command.now);
}

function decideOnOrder(
  command: Exclude<OrderCommand, { type: 'PlaceOrder' }>,
  state: PlacedOrderState,
): OrderEvent[] {
  const { actor, now } = command;
  const at = now.toISOString();
  switch (command.type) {
    case 'SubmitRequirements': {
      const refusal = checkSubmitRequirements(state, actor);
      enforceCaller(refusal);
      const text = requireText(command.data.text, 'text');
      enforce(refusal);
      return [
        {
          type: 'RequirementsSubmitted',
          data: { orderId: state.orderId, text, submittedAt: at, dueAt: dueAtOnStart(state, now) },
        },
      ];
    }
    case 'StartWithoutRequirements':
      enforce(checkStartWithoutRequirements(state, actor));
      return [
        {
          type: 'WorkStartedWithoutRequirements',
          data: { orderId: state.orderId, startedAt: at, dueAt: dueAtOnStart(state, now) },
        },
      ];
    case 'DeliverOrder': {
      const refusal = checkDeliver(state, actor);
      enforceCaller(refusal);
      const message = requireText(command.data.message, 'message');
      enforce(refusal);
      return [
        {
          type: 'OrderDelivered',
          data: { orderId: state.orderId, message, deliveredAt: at, deliveryNumber: state.deliveryCount + 1 },
        },
      ];
    }
    case 'AcceptDelivery':
      enforce(checkAcceptDelivery(state, actor));
      return [
        {
          type: 'OrderCompleted',
          data: { orderId: state.orderId, completedAt: at, completion: 'accepted_by_buyer' },
        },
      ];
    case 'RequestRevision': {
      const refusal = checkRequestRevision(state, actor);
      enforceCaller(refusal);
      const message = requireText(command.data.message, 'message');
      enforce(refusal);
      return [{ type: 'RevisionRequested', data: { orderId: state.orderId, message, requestedAt: at } }];
    }
    case 'OpenRequest':
      return openRequest(command, state);
    case 'AcceptRequest':
      return acceptRequest(command, state);
    case 'DeclineRequest':
      return declineRequest(command, state);
    case 'WithdrawRequest':
      return withdrawRequest(command, state);
    case 'CancelOrder':
      return cancelOrder(command, state);
    case 'OfferExtras':
      return offerExtras(command, state);
    case 'AcceptExtras':
      return acceptExtras(command, state);
    case 'DeclineExtras':
      return declineExtras(command, state);
    case 'ExpireRequest':
      enforce(checkSystem(actor));
      return expireRequest(command, state);
    case 'LapseExtrasOffer':
      enforce(checkSystem(actor));
      return lapseExtrasOffer(command, state);
    case 'RecordLateness':
      enforce(checkSystem(actor));
      return recordLateness(command, state);
    case 'CompleteAutomatically':
      enforce(checkSystem(actor));
      return completeAutomatically(command, state);
    case 'OpenSupportCase':
      return openSupportCase(command, state);
    case 'ClaimSupportCase':
      return claimSupportCase(command, state);
    case 'PostSupportMessage':
      return postSupportMessage(command, state);
    case 'RequestInformation':
      return requestInformation(command, state);
    case 'AddStatement':
      return addStatement(command, state);
    case 'WithdrawSupportCase':
      return withdrawSupportCase(command, state);
    case 'ResolveSupportCase':
      return resolveSupportCase(command, state);
    case 'MarkSupportCaseOverdue':
      enforce(checkSystem(actor));
      return markSupportCaseOverdue(command, state);
    case 'LapseInformationRequest':
      enforce(checkSystem(actor));
      return lapseInformationRequest(command, state);
    default:
      return assertNever(command);
  }
}
