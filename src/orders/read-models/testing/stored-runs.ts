// Random runs of the domain generators as a store would hold them, for properties over the readers. Test-only
// (the generators need fast-check, a dev dependency).
import type { StoredEvent } from '../../../platform/event-store/event-store.port';
import { ORDER_EVENT_SCHEMA_VERSION } from '../../domain/order.events';
import { play } from '../../domain/testing/order-arbitraries';
import { ORDER_ID } from '../../domain/testing/given-when-then';

/** The stored events of a run's one order, and the confidential reasons it offered (requestId -> reason). */
export function storedRun(run: Parameters<typeof play>[0]): {
  events: StoredEvent[];
  secrets: Map<string, string>;
} {
  const events: StoredEvent[] = [];
  const secrets = new Map<string, string>();
  play(run, ({ command, outcome }) => {
    if (!Array.isArray(outcome)) return;
    for (const e of outcome) {
      if (e.type === 'ResolutionRequestOpened' && e.data.confidentialReason) {
        secrets.set(e.data.requestId, e.data.confidentialReason);
      }
      events.push({
        id: `e${events.length}`,
        streamName: `order-${ORDER_ID}`,
        revision: events.length,
        position: String(events.length + 1),
        type: e.type,
        data: e.data as unknown as Record<string, unknown>,
        metadata: {
          actor: command.actor,
          correlationId: 'c',
          causationId: null,
          schemaVersion: ORDER_EVENT_SCHEMA_VERSION,
        },
        recordedAt: command.now.toISOString(),
      });
    }
  });
  return { events, secrets };
}

/** Every key anywhere in a JSON value. */
export function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, into));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysOf(v, into);
    }
  }
  return into;
}
