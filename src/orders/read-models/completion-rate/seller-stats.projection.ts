// The `seller-stats` read model: one document per order with what the completion rate needs (who, when it ended,
// how). The rate itself is computed at read time over the rolling window (completion-rate.ts): the window moves
// with the clock, which a projection must not read. The 14-day reorder exclusion is recorded here, on the
// cancelled order, when the buyer's next order with the same seller is placed.
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../../../platform/read-store/read-store.port';
import type { OrderCancelled } from '../../domain/order.events';
import { orderEventOf, orderIdOfStream } from '../order-event';
import { isReorderExcludable, withinReorderWindow, type EndedOrder } from './completion-rate';

export const SELLER_STATS_PROJECTION = 'seller-stats';
export const SELLER_ORDERS = 'seller_orders';
/**
 * Per seller and buyer, the mutual/auto-accepted cancellations a reorder could still exclude: the new order looks
 * them up by id (no query while applying, so a rebuild needs no index until it swaps).
 */
export const REORDER_CANDIDATES = 'seller_reorder_candidates';

export interface ReorderCandidatesDoc {
  sellerId: string;
  buyerId: string;
  cancellations: { orderId: string; cancelledAt: string }[];
}

const pairId = (sellerId: string, buyerId: string): string => `${sellerId}|${buyerId}`;

export interface SellerOrderDoc extends EndedOrder {
  orderId: string;
  sellerId: string;
  buyerId: string;
  placedAt: string;
  outcome: EndedOrder['outcome'];
  endedAt: string;
  cancellation: {
    mode: OrderCancelled['data']['mode'];
    initiator: OrderCancelled['data']['initiator'];
    reason: string;
    previousStatus: OrderCancelled['data']['previousStatus'];
    countsTowardCompletionRate: boolean;
  } | null;
  revision: number;
}

/** Before the order ends, outcome and endedAt are null (not yet an EndedOrder). */
export type SellerOrderRecord = Omit<SellerOrderDoc, 'outcome' | 'endedAt'> & {
  outcome: SellerOrderDoc['outcome'] | null;
  endedAt: string | null;
};

export class SellerStatsProjection implements Projection {
  readonly name = SELLER_STATS_PROJECTION;
  readonly version = 1;
  readonly collections: Record<string, string[][]> = {
    // The completion-rate query: one seller's orders that ended in a time window.
    [SELLER_ORDERS]: [['sellerId', 'endedAt']],
    [REORDER_CANDIDATES]: [],
  };

  async apply(event: StoredEvent, writer: DocumentWriter): Promise<void> {
    const e = orderEventOf(event);
    if (!e || (e.type !== 'OrderPlaced' && e.type !== 'OrderCompleted' && e.type !== 'OrderCancelled'))
      return;
    const orderId = orderIdOfStream(event.streamName);
    const doc = await writer.get<SellerOrderRecord>(SELLER_ORDERS, orderId);
    if (doc && event.revision <= doc.revision) return; // applied already

    if (e.type === 'OrderPlaced') {
      const { sellerId, buyerId, placedAt } = e.data;
      const record: SellerOrderRecord = {
        orderId,
        sellerId,
        buyerId,
        placedAt,
        outcome: null,
        endedAt: null,
        cancellation: null,
        reorderedBy: null,
        revision: event.revision,
      };
      await writer.put(SELLER_ORDERS, orderId, record);
      await this.excludeEarlierCancellations(writer, record);
      return;
    }
    if (!doc) return;
    if (e.type === 'OrderCompleted') {
      await writer.put<SellerOrderRecord>(SELLER_ORDERS, orderId, {
        ...doc,
        outcome: 'completed',
        endedAt: e.data.completedAt,
        revision: event.revision,
      });
      return;
    }
    const d = e.data;
    const cancellation = {
      mode: d.mode,
      initiator: d.initiator,
      reason: d.reason,
      previousStatus: d.previousStatus,
      countsTowardCompletionRate: d.countsTowardCompletionRate,
    };
    if (isReorderExcludable(cancellation)) {
      const id = pairId(doc.sellerId, doc.buyerId);
      const pair = await writer.get<ReorderCandidatesDoc>(REORDER_CANDIDATES, id);
      await writer.put<ReorderCandidatesDoc>(REORDER_CANDIDATES, id, {
        sellerId: doc.sellerId,
        buyerId: doc.buyerId,
        cancellations: [...(pair?.cancellations ?? []), { orderId, cancelledAt: d.cancelledAt }],
      });
    }
    await writer.put<SellerOrderRecord>(SELLER_ORDERS, orderId, {
      ...doc,
      outcome: 'cancelled',
      endedAt: d.cancelledAt,
      cancellation,
      revision: event.revision,
    });
  }

  /** A new order by the same buyer with the same seller: cancellations it follows within 14 days stop counting. */
  private async excludeEarlierCancellations(
    writer: DocumentWriter,
    placed: SellerOrderRecord,
  ): Promise<void> {
    const id = pairId(placed.sellerId, placed.buyerId);
    const pair = await writer.get<ReorderCandidatesDoc>(REORDER_CANDIDATES, id);
    if (!pair || pair.cancellations.length === 0) return;
    const placedAt = Date.parse(placed.placedAt);
    const keep: ReorderCandidatesDoc['cancellations'] = [];
    for (const c of pair.cancellations) {
      if (withinReorderWindow(c.cancelledAt, placed.placedAt)) {
        const cancelled = await writer.get<SellerOrderRecord>(SELLER_ORDERS, c.orderId);
        if (cancelled && cancelled.reorderedBy === null) {
          await writer.put<SellerOrderRecord>(SELLER_ORDERS, c.orderId, {
            ...cancelled,
            reorderedBy: placed.orderId,
          });
        }
      } else if (Date.parse(c.cancelledAt) > placedAt) {
        keep.push(c); // not before this order: a later one may still exclude it
      } // else: more than 14 days ago, no later order can exclude it any more
    }
    if (keep.length === 0) await writer.delete(REORDER_CANDIDATES, id);
    else await writer.put<ReorderCandidatesDoc>(REORDER_CANDIDATES, id, { ...pair, cancellations: keep });
  }
}
