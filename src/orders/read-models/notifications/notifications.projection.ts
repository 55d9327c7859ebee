// The `notifications` read model: what the other party (or the system, or support) did to a user's orders, one
// document per event and recipient. Never the recipient's own actions: recipients are the parties other than
// the actor. A partial refund's confidential reason is left out of the buyer's documents (domain.md).
// [decision] Support cases: every step is told to the parties it did not come from (opening, claim, message,
// information request: both parties, the asked one and the other, as both see the thread; statement, withdrawal,
// resolution incl. settled_by_parties, the lapse of an information request). SupportCaseMarkedOverdue is not:
// it is support's own deadline, nothing changes for the parties (the queue shows it). Refunds: every step of a
// partial refund request (offered, accepted, declined, withdrawn, expired), RefundRecorded (by request or by
// support) and a request closed by a case resolution. The start of the work (requirements in, or started without
// them: the due date runs) and the system's lateness marks (timeouts; very late lets the buyer cancel).
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../../../platform/read-store/read-store.port';
import type { OrderEventType } from '../../domain/order.events';
import type { ActorRole, Party } from '../../domain/order.types';
import { redactEventData } from '../confidential';
import { orderEventOf, orderIdOfStream, sortablePosition } from '../order-event';

export const NOTIFICATIONS_PROJECTION = 'notifications';
export const NOTIFICATIONS = 'notifications';
/** The parties and title of each order, from OrderPlaced: who to notify later. */
export const NOTIFICATION_ORDERS = 'notification_orders';

/** The events users are told about (api.md: requests opened/answered, cancellations, timeouts, ...). */
export const NOTIFYING_EVENT_TYPES: readonly OrderEventType[] = [
  'RequirementsSubmitted',
  'WorkStartedWithoutRequirements',
  'OrderBecameLate',
  'OrderBecameVeryLate',
  'ResolutionRequestOpened',
  'ResolutionRequestAccepted',
  'ResolutionRequestDeclined',
  'ResolutionRequestWithdrawn',
  'ResolutionRequestExpired',
  'OrderCancelled',
  'ExtrasOffered',
  'ExtrasAccepted',
  'ExtrasDeclined',
  'ExtrasOfferLapsed',
  'OrderDelivered',
  'RevisionRequested',
  'OrderCompleted',
  'ResolutionRequestClosed',
  'RefundRecorded',
  'SupportCaseOpened',
  'SupportCaseClaimed',
  'SupportMessagePosted',
  'SupportInformationRequested',
  'SupportStatementAdded',
  'SupportInformationRequestLapsed',
  'SupportCaseWithdrawn',
  'SupportCaseResolved',
];
const NOTIFYING = new Set<string>(NOTIFYING_EVENT_TYPES);

/** The event's own time field (the command's `now`), so notifications carry domain time, as the history does. */
const TIME_FIELD: Partial<Record<OrderEventType, string>> = {
  RequirementsSubmitted: 'submittedAt',
  WorkStartedWithoutRequirements: 'startedAt',
  OrderBecameLate: 'recordedAt',
  OrderBecameVeryLate: 'recordedAt',
  ResolutionRequestOpened: 'openedAt',
  ResolutionRequestAccepted: 'acceptedAt',
  ResolutionRequestDeclined: 'declinedAt',
  ResolutionRequestWithdrawn: 'withdrawnAt',
  ResolutionRequestExpired: 'expiredAt',
  OrderCancelled: 'cancelledAt',
  ExtrasOffered: 'offeredAt',
  ExtrasAccepted: 'acceptedAt',
  ExtrasDeclined: 'declinedAt',
  ExtrasOfferLapsed: 'lapsedAt',
  OrderDelivered: 'deliveredAt',
  RevisionRequested: 'requestedAt',
  OrderCompleted: 'completedAt',
  ResolutionRequestClosed: 'closedAt',
  RefundRecorded: 'recordedAt',
  SupportCaseOpened: 'openedAt',
  SupportCaseClaimed: 'claimedAt',
  SupportMessagePosted: 'postedAt',
  SupportInformationRequested: 'requestedAt',
  SupportStatementAdded: 'addedAt',
  SupportInformationRequestLapsed: 'lapsedAt',
  SupportCaseWithdrawn: 'withdrawnAt',
  SupportCaseResolved: 'resolvedAt',
};

/** What the recipient is shown of the event's data: the buyer never the confidential fields (confidential.ts). */
export const notificationData = (
  type: string,
  data: Record<string, unknown>,
  recipient: Party,
): Record<string, unknown> => (recipient === 'buyer' ? redactEventData(type, data) : data);

export interface NotificationOrderDoc {
  buyerId: string;
  sellerId: string;
  title: string;
}

export interface NotificationDoc {
  recipientId: string;
  /** The recipient's side of the order. */
  recipientRole: Party;
  /** The event's position, padded: newest first is descending order, and it is the cursor. */
  sortKey: string;
  notificationId: string;
  orderId: string;
  orderTitle: string;
  /** The event type, e.g. `ResolutionRequestOpened`. */
  type: string;
  /** When it happened (the event's own timestamp, e.g. openedAt). */
  at: string;
  actor: { id: string; role: ActorRole };
  /** The event's data without the orderId (comments travel verbatim). */
  data: Record<string, unknown>;
  position: string;
}

export class NotificationsProjection implements Projection {
  readonly name = NOTIFICATIONS_PROJECTION;
  /**
   * 2: documents keyed by position and recipient instead of event id and recipient. 3: by order first (a rebuild
   * folds order by order, so its keys ascend). 4: refunds and support cases; the buyer never sees the confidential reason.
   * 5: by position and recipient again (live and rebuilds both apply the feed in position order: keys ascend).
   * 6: the start of the work and the lateness marks.
   */
  readonly version = 6;
  readonly collections: Record<string, string[][]> = {
    [NOTIFICATIONS]: [['recipientId', 'sortKey']],
    [NOTIFICATION_ORDERS]: [],
  };

  async apply(event: StoredEvent, writer: DocumentWriter): Promise<void> {
    const orderEvent = orderEventOf(event);
    if (!orderEvent) return;
    const orderId = orderIdOfStream(event.streamName);
    if (orderEvent.type === 'OrderPlaced') {
      const { buyerId, sellerId, title } = orderEvent.data;
      await writer.put<NotificationOrderDoc>(NOTIFICATION_ORDERS, orderId, { buyerId, sellerId, title });
      return;
    }
    if (!NOTIFYING.has(orderEvent.type)) return;
    const order = await writer.get<NotificationOrderDoc>(NOTIFICATION_ORDERS, orderId);
    if (!order) return;
    // Order streams carry only the order's roles (the command handler writes them).
    const actor = event.metadata.actor as { id: string; role: ActorRole };
    const parties: [Party, string][] = [
      ['buyer', order.buyerId],
      ['seller', order.sellerId],
    ];
    const { orderId: _omit, ...data } = orderEvent.data as Record<string, unknown>;
    const field = TIME_FIELD[orderEvent.type];
    const at = field && typeof data[field] === 'string' ? (data[field] as string) : event.recordedAt;
    const sortKey = sortablePosition(event.position);
    for (const [role, userId] of parties) {
      if (userId === actor.id || role === actor.role) continue; // never the recipient's own action
      const doc: NotificationDoc = {
        recipientId: userId,
        recipientRole: role,
        sortKey,
        notificationId: event.id,
        orderId,
        orderTitle: order.title,
        type: event.type,
        at,
        actor: { id: actor.id, role: actor.role },
        data: notificationData(event.type, data, role),
        position: event.position,
      };
      // Keyed by event (its position) and recipient: applying the event again rewrites the same document. The feed
      // comes in position order, so new documents append to the end of the id index instead of dirtying pages all
      // over it (each a 16 KB page written to the WAL per commit).
      await writer.put(NOTIFICATIONS, `${sortKey}:${role}`, doc);
    }
  }
}
