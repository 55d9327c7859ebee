// Test and bench helpers: load simulated lifecycles into an event store, and dump read models for comparison.
import type { EventStore } from '../../../platform/event-store/event-store.port';
import type { Projection, ReadStore } from '../../../platform/read-store/read-store.port';
import type { SimulatedEvent } from './order-simulation';

/**
 * Appends simulated events (one append per event, with its expected revision). Pass the same `clock` object the
 * store was created with (`now: () => clock.now`) to record each event at its simulated time.
 */
export async function appendSimulated(
  store: EventStore,
  events: Iterable<SimulatedEvent>,
  clock?: { now: Date },
): Promise<string | null> {
  let position: string | null = null;
  for (const e of events) {
    if (clock) clock.now = e.at;
    position = (await store.append(e.streamName, [e.event], e.expected)).position;
  }
  return position;
}

/** Every document of every collection the projections own, by collection then id (reads through `reader`). */
export async function dumpReadModels(
  reader: Pick<ReadStore, 'findEntries'>,
  projections: readonly Projection[],
): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of projections) {
    for (const collection of Object.keys(p.collections).sort()) {
      const entries = await reader.findEntries(collection, {});
      out[`${p.name}/${collection}`] = Object.fromEntries(entries.map((e) => [e.id, e.doc]));
    }
  }
  return out;
}
