// The `deadlines` read model: one document per pending deadline, maintained from the order events by the pure
// derivation in deadline-schedule.ts. The per-order fold it needs lives in `deadline_tracks` (same projection,
// same batch), so apply stays deterministic: it reads only documents written by earlier events.
import type { StoredEvent } from '../../platform/event-store/event-store.port';
import type { DocumentWriter, Projection } from '../../platform/read-store/read-store.port';
import { ORDER_EVENT_TYPES, type OrderEvent } from '../domain/order.events';
import { ORDER_STREAM_PREFIX } from '../domain/order.types';
import { deadlinesOf, trackEvent, type DeadlineTrack } from './deadline-schedule';
import { DEADLINES_COLLECTION, type Deadline, type DeadlineSpec } from './deadline.types';

export const DEADLINE_TRACKS_COLLECTION = 'deadline_tracks';
export const DEADLINES_PROJECTION_NAME = 'deadlines';

const orderEventTypes = new Set<string>(ORDER_EVENT_TYPES);
const DERIVED = Symbol('deadlines');

export class DeadlinesProjection implements Projection {
  readonly name = DEADLINES_PROJECTION_NAME;
  /** 2: no index on orderId (nothing queries by it; each deadline scheduled or settled paid for it). */
  readonly version = 2;
  readonly collections: Record<string, string[][]> = {
    // The poller's query: dueAt <= now, sorted by dueAt.
    [DEADLINES_COLLECTION]: [['dueAt']],
    [DEADLINE_TRACKS_COLLECTION]: [],
  };

  /**
   * deadlinesOf, kept on the track object under a hidden symbol (JSON leaves it out): an order's next event usually
   * finds the very track its previous event stored (documents are read-only once written, so this cannot go
   * stale), and the derivation is date arithmetic.
   */
  private deadlinesOf(track: DeadlineTrack | null): DeadlineSpec[] {
    if (track === null) return deadlinesOf(null);
    const memo = track as DeadlineTrack & { [DERIVED]?: DeadlineSpec[] };
    let specs = memo[DERIVED];
    if (!specs) {
      specs = deadlinesOf(track);
      // Not enumerable: trackEvent's spread copy of this track must not carry it over to the next state.
      Object.defineProperty(memo, DERIVED, { value: specs, enumerable: false });
    }
    return specs;
  }

  async apply(event: StoredEvent, writer: DocumentWriter): Promise<void> {
    if (!event.streamName.startsWith(ORDER_STREAM_PREFIX) || !orderEventTypes.has(event.type)) return;
    const orderEvent = { type: event.type, data: event.data } as unknown as OrderEvent;
    const orderId = event.streamName.slice(ORDER_STREAM_PREFIX.length);
    // An order's first event has nothing before it (the engine applies each event once): no read to miss.
    const before =
      orderEvent.type === 'OrderPlaced'
        ? null
        : await writer.get<DeadlineTrack>(DEADLINE_TRACKS_COLLECTION, orderId);
    const after = trackEvent(before, orderEvent);
    if (after === null) return;

    // An order has a handful of deadlines at most: arrays, not Sets, for the diff.
    const old = this.deadlinesOf(before);
    const next = this.deadlinesOf(after);
    for (let i = 0; i < old.length; i++) {
      const id = old[i].id;
      if (!hasId(old, id, i) && !hasId(next, id)) await writer.delete(DEADLINES_COLLECTION, id);
    }
    for (const spec of next) {
      // An unchanged deadline keeps the event that scheduled it (its causation).
      if (hasId(old, spec.id)) continue;
      // Spelled out rather than spread (same keys, same order): an object spread is slow on this hot path.
      const doc: Deadline = {
        id: spec.id,
        orderId: spec.orderId,
        kind: spec.kind,
        dueAt: spec.dueAt,
        ref: spec.ref,
        sourcePosition: event.position,
        sourceEventId: event.id,
      };
      await writer.put(DEADLINES_COLLECTION, spec.id, doc);
    }
    // Terminal orders schedule nothing ever again: drop the fold too.
    if (after.status === 'completed' || after.status === 'cancelled') {
      if (before !== null) await writer.delete(DEADLINE_TRACKS_COLLECTION, orderId);
    } else {
      await writer.put(DEADLINE_TRACKS_COLLECTION, orderId, after);
    }
  }
}

/** Whether one of the first `end` specs has this id. */
function hasId(specs: readonly DeadlineSpec[], id: string, end = specs.length): boolean {
  for (let i = 0; i < end; i++) if (specs[i].id === id) return true;
  return false;
}
