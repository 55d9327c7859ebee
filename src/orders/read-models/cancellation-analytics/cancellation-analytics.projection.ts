// The `cancellation-analytics` read model: cancellation counts per UTC day, mode, initiator and reason. A query
// over a date range sums at most (days x combinations) small documents, whatever the number of orders.
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../../../platform/read-store/read-store.port';
import { orderEventOf, orderIdOfStream } from '../order-event';

export const CANCELLATION_ANALYTICS_PROJECTION = 'cancellation-analytics';
export const CANCELLATION_DAILY = 'cancellation_daily';
/** One marker per cancelled order: a cancellation is counted once even if its event is applied again. */
export const CANCELLATIONS_COUNTED = 'cancellations_counted';

export interface CancellationDailyDoc {
  /** YYYY-MM-DD (UTC) */
  date: string;
  mode: string;
  initiator: string;
  reason: string;
  count: number;
}

export interface CancellationCountedDoc {
  date: string;
  position: string;
}

export const dailyId = (d: Omit<CancellationDailyDoc, 'count'>): string =>
  `${d.date}|${d.mode}|${d.initiator}|${d.reason}`;

export class CancellationAnalyticsProjection implements Projection {
  readonly name = CANCELLATION_ANALYTICS_PROJECTION;
  readonly version = 1;
  readonly collections: Record<string, string[][]> = {
    [CANCELLATION_DAILY]: [['date']],
    [CANCELLATIONS_COUNTED]: [],
  };

  async apply(event: StoredEvent, writer: DocumentWriter): Promise<void> {
    const e = orderEventOf(event);
    if (e?.type !== 'OrderCancelled') return;
    const orderId = orderIdOfStream(event.streamName);
    if (await writer.get(CANCELLATIONS_COUNTED, orderId)) return;
    const date = new Date(e.data.cancelledAt).toISOString().slice(0, 10); // the UTC day
    const key = { date, mode: e.data.mode, initiator: e.data.initiator, reason: e.data.reason };
    const id = dailyId(key);
    const current = await writer.get<CancellationDailyDoc>(CANCELLATION_DAILY, id);
    await writer.put<CancellationDailyDoc>(CANCELLATION_DAILY, id, {
      ...key,
      count: (current?.count ?? 0) + 1,
    });
    await writer.put<CancellationCountedDoc>(CANCELLATIONS_COUNTED, orderId, {
      date,
      position: event.position,
    });
  }
}
