// The `orders` read model: one document per order holding what the order page reads of the folded OrderState.
// The page computes lateness, allowed actions and what is still pending from it at read time (with the same rule
// code as the decider); "my orders" lists the same documents through indexes on each party and the placement
// order, so an event costs one document write.
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../../../platform/read-store/read-store.port';
import { evolve, initialOrderState, type PlacedOrderState } from '../../domain/order.state';
import type { OrderStatus } from '../../domain/order.types';
import { orderEventOf, orderIdOfStream } from '../order-event';

export const ORDERS_PROJECTION = 'orders';
export const ORDER_PAGES = 'order_pages';

/**
 * The fields of the fold that the page, the lists and allowedActions read. The others (delivery days, agreed and
 * lateness-recorded dates, ...) only ever feed themselves in evolve, so the page never misses them.
 */
export type PageState = Pick<
  PlacedOrderState,
  | 'exists'
  | 'orderId'
  | 'buyerId'
  | 'sellerId'
  | 'title'
  | 'price'
  | 'primaryPrice'
  | 'netPrice'
  | 'refunds'
  | 'status'
  | 'placedAt'
  | 'dueAt'
  | 'deliveredAt'
  | 'firstDeliveredAt'
  | 'completedAt'
  | 'openRequest'
  | 'requests'
  | 'pendingExtras'
  | 'offers'
  | 'cancellation'
  | 'supportCase'
  | 'supportCases'
>;

export interface OrderPageDoc {
  /** buyerId, sellerId, status and sortKey: the lists' index fields. */
  buyerId: string;
  sellerId: string;
  status: OrderStatus;
  /** `placedAt|orderId`: newest first is descending order; unique, so it doubles as the list cursor. */
  sortKey: string;
  /** Revision of the last event applied: the order stream's revision. */
  revision: number;
  /** Global position of the last event applied. */
  position: string;
  state: PageState;
}

/**
 * The order as the rule functions take it: the page's fields, the others at their initial value (spelled out:
 * merging two spreads is a slow path).
 */
export function orderStateOf(doc: OrderPageDoc): PlacedOrderState {
  const s = doc.state;
  const none = initialOrderState;
  return {
    exists: s.exists,
    orderId: s.orderId,
    buyerId: s.buyerId,
    sellerId: s.sellerId,
    title: s.title,
    price: s.price,
    primaryPrice: s.primaryPrice,
    netPrice: s.netPrice,
    refunds: s.refunds,
    deliveryDays: none.deliveryDays as number,
    requirementsNeeded: none.requirementsNeeded as boolean,
    status: s.status,
    placedAt: s.placedAt,
    startedAt: none.startedAt,
    dueAt: s.dueAt,
    agreedDueAt: none.agreedDueAt,
    deliveredAt: s.deliveredAt,
    firstDeliveredAt: s.firstDeliveredAt,
    deliveryCount: none.deliveryCount,
    completedAt: s.completedAt,
    completion: none.completion,
    openRequest: s.openRequest,
    requests: s.requests,
    closedRequests: none.closedRequests,
    requestClosedAt: none.requestClosedAt,
    pendingExtras: s.pendingExtras,
    offers: s.offers,
    cancellation: s.cancellation,
    lateRecordedForDueAt: none.lateRecordedForDueAt,
    veryLateRecordedForDueAt: none.veryLateRecordedForDueAt,
    supportCase: s.supportCase,
    supportCases: s.supportCases,
  };
}

export class OrdersProjection implements Projection {
  readonly name = ORDERS_PROJECTION;
  /**
   * 4: only the fold's fields the page reads, and only the records of what is open (3: refunds, the net price and
   * support cases; 2: the list reads the order documents; 1 kept a second collection of list rows).
   */
  readonly version = 4;
  readonly collections: Record<string, string[][]> = {
    // GET /orders: a party's orders newest first, optionally in one status.
    [ORDER_PAGES]: [
      ['buyerId', 'sortKey'],
      ['sellerId', 'sortKey'],
      ['buyerId', 'status', 'sortKey'],
      ['sellerId', 'status', 'sortKey'],
    ],
  };

  async apply(event: StoredEvent, writer: DocumentWriter): Promise<void> {
    const orderEvent = orderEventOf(event);
    if (!orderEvent) return;
    const orderId = orderIdOfStream(event.streamName);
    const page = await writer.get<OrderPageDoc>(ORDER_PAGES, orderId);
    // Already applied (a replay that slipped past the checkpoint): the revision says so.
    if (page && event.revision <= page.revision) return;
    const state = evolve(page ? orderStateOf(page) : initialOrderState, orderEvent);
    if (!state.exists) return; // events of an order that was never placed: nothing to show
    const placed = state as PlacedOrderState;
    const doc: OrderPageDoc = {
      buyerId: placed.buyerId,
      sellerId: placed.sellerId,
      status: placed.status,
      sortKey: `${placed.placedAt}|${placed.orderId}`,
      revision: event.revision,
      position: event.position,
      state: pageStateOf(placed),
    };
    await writer.put(ORDER_PAGES, orderId, doc);
  }
}

/**
 * What the page reads of the fold, with only the records of what is open: allowedActions looks up the open
 * request's, the pending offers' and the latest case's (evolve needs no others either), so a document keeps its
 * size however long the order's history grows. Spelled out: an object spread is slow on this hot path.
 */
export function pageStateOf(state: PlacedOrderState): PageState {
  const requestId = state.openRequest?.requestId;
  const caseId = state.supportCase?.caseId;
  return {
    exists: state.exists,
    orderId: state.orderId,
    buyerId: state.buyerId,
    sellerId: state.sellerId,
    title: state.title,
    price: state.price,
    primaryPrice: state.primaryPrice,
    netPrice: state.netPrice,
    refunds: state.refunds,
    status: state.status,
    placedAt: state.placedAt,
    dueAt: state.dueAt,
    deliveredAt: state.deliveredAt,
    firstDeliveredAt: state.firstDeliveredAt,
    completedAt: state.completedAt,
    openRequest: state.openRequest,
    requests: only(state.requests, (r) => r.requestId === requestId),
    pendingExtras: state.pendingExtras,
    offers: only(state.offers, (o) => o.outcome === 'pending'),
    cancellation: state.cancellation,
    supportCase: state.supportCase,
    supportCases: only(state.supportCases, (c) => c.caseId === caseId),
  };
}

/** `items` itself when every item is wanted (the usual case: nothing to copy). */
const only = <T>(items: T[], wanted: (item: T) => boolean): T[] =>
  items.every(wanted) ? items : items.filter(wanted);
