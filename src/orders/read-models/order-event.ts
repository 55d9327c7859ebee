// What every read-side projection does first: recognise an order event and find its order.
import type { StoredEvent } from '../../platform/event-store/event-store.port';
import { ORDER_EVENT_TYPES, type OrderEvent } from '../domain/order.events';
import { ORDER_STREAM_PREFIX } from '../domain/order.types';

const ORDER_EVENT_TYPE_SET = new Set<string>(ORDER_EVENT_TYPES);

/** The order event carried by a stored event, or null for anything else (other streams, unknown types). */
export function orderEventOf(event: StoredEvent): OrderEvent | null {
  if (!event.streamName.startsWith(ORDER_STREAM_PREFIX) || !ORDER_EVENT_TYPE_SET.has(event.type)) return null;
  return { type: event.type, data: event.data } as unknown as OrderEvent;
}

export const orderIdOfStream = (streamName: string): string => streamName.slice(ORDER_STREAM_PREFIX.length);

/** Positions are decimal strings of varying length: padded, they sort as strings in every store. */
export const POSITION_DIGITS = 40;
export const sortablePosition = (position: string): string => position.padStart(POSITION_DIGITS, '0');
