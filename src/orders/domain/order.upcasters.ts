// Upcasters of the order events: how a stored event of an older schemaVersion becomes today's shape.
// Every order event is at v1 (ORDER_EVENT_SCHEMA_VERSION) and no older versions were ever written, so the one
// below is an illustrative example of the pattern, registered like a real one so the wiring stays exercised.
//
// The pattern, when an event's shape changes:
//   1. change the type in order.events.ts and bump ORDER_EVENT_SCHEMA_VERSION (new events carry it);
//   2. add { type, fromVersion: <old>, upcast } here, filling what the old shape lacked with what it meant then;
//   3. never edit stored events, never remove an upcaster while events of that version may exist.
import type { UpcasterDefinition } from '../../platform/event-store/upcasting';
import { registerUpcaster } from '../../platform/event-store/upcasting';

/**
 * Example (hypothetical v0): OrderPlaced before `requirementsNeeded` existed. Every order then asked the buyer
 * for requirements, so v0 means `true`, and (per v1) no due date until the requirements arrive.
 */
const orderPlacedV0ToV1: UpcasterDefinition = {
  type: 'OrderPlaced',
  fromVersion: 0,
  upcast: (data) => ({ ...data, requirementsNeeded: true, dueAt: null }),
};

export const ORDER_UPCASTERS: readonly UpcasterDefinition[] = [orderPlacedV0ToV1];

/** Registers the order upcasters (idempotent); the event store module calls it at startup. */
export function registerOrderUpcasters(
  register: (type: string, fromVersion: number, fn: UpcasterDefinition['upcast']) => void = registerUpcaster,
): void {
  for (const { type, fromVersion, upcast } of ORDER_UPCASTERS) register(type, fromVersion, upcast);
}
