// The `orders` read model: one document per order holding the folded OrderState. The order page computes
// lateness, allowed actions and what is still pending from it at read time (with the same rule code as the
// decider); "my orders" lists the same documents through indexes on each party and the placement order, so an
// event costs one document write.
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../../../platform/read-store/read-store.port';
import { evolve, initialOrderState, type OrderState, type PlacedOrderState } from '../../domain/order.state';
import type { OrderStatus } from '../../domain/order.types';
import { orderEventOf, orderIdOfStream } from '../order-event';

export const ORDERS_PROJECTION = 'orders';
export const ORDER_PAGES = 'order_pages';

export interface OrderPageDoc {
  orderId: string;
  buyerId: string;
  sellerId: string;
  status: OrderStatus;
  placedAt: string;
  /** `placedAt|orderId`: newest first is descending order; unique, so it doubles as the list cursor. */
  sortKey: string;
  /** Revision of the last event applied: the order stream's revision. */
  revision: number;
  /** Global position of the last event applied. */
  position: string;
  state: OrderState;
}

export class OrdersProjection implements Projection {
  readonly name = ORDERS_PROJECTION;
  /**
   * 3: the documents hold refunds, the net price and support cases (2: the list reads the order documents; 1 kept
   * a second collection of list rows).
   */
  readonly version = 3;
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
    const state = evolve(page?.state ?? initialOrderState, orderEvent);
    if (!state.exists) return; // events of an order that was never placed: nothing to show
    const placed = state as PlacedOrderState;
    const doc: OrderPageDoc = {
      orderId: placed.orderId,
      buyerId: placed.buyerId,
      sellerId: placed.sellerId,
      status: placed.status,
      placedAt: placed.placedAt,
      sortKey: `${placed.placedAt}|${placed.orderId}`,
      revision: event.revision,
      position: event.position,
      state,
    };
    await writer.put(ORDER_PAGES, orderId, doc);
  }
}
