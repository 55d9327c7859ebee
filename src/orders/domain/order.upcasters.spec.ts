import type { StoredEvent } from '../../platform/event-store/event-store.port';
import { InMemoryEventStore } from '../../platform/event-store/in-memory/in-memory-event-store';
import { UpcasterRegistry } from '../../platform/event-store/upcasting';
import { ORDER_EVENT_SCHEMA_VERSION, OrderPlaced } from './order.events';
import { registerOrderUpcasters } from './order.upcasters';

const metadata = (schemaVersion: number) => ({
  actor: { id: 'buyer-1', role: 'buyer' as const },
  correlationId: 'c-1',
  causationId: null,
  schemaVersion,
});

/** OrderPlaced as a (hypothetical) v0 producer wrote it: no requirementsNeeded, no dueAt. */
const placedV0 = {
  orderId: 'o-1',
  buyerId: 'buyer-1',
  sellerId: 'seller-1',
  title: 'Logo',
  price: { amount: 5000, currency: 'USD' },
  deliveryDays: 3,
  placedAt: '2030-01-01T00:00:00.000Z',
};

describe('order upcasters', () => {
  let registry: UpcasterRegistry;
  beforeEach(() => {
    registry = new UpcasterRegistry();
    registerOrderUpcasters((type, fromVersion, fn) => registry.register(type, fromVersion, fn));
  });

  const stored = (data: Record<string, unknown>, schemaVersion: number): StoredEvent => ({
    id: 'e-1',
    streamName: 'order-o-1',
    revision: 0,
    position: '1',
    type: 'OrderPlaced',
    data,
    metadata: metadata(schemaVersion),
    recordedAt: '2030-01-01T00:00:00.000Z',
  });

  it('lifts a v0 OrderPlaced to the current version: requirements needed, no due date yet', () => {
    const result = registry.upcast(stored(placedV0, 0));
    const expected: OrderPlaced['data'] = { ...placedV0, requirementsNeeded: true, dueAt: null };
    expect(result.data).toEqual(expected);
    expect(result.metadata.schemaVersion).toBe(ORDER_EVENT_SCHEMA_VERSION);
  });

  it('leaves a current OrderPlaced untouched', () => {
    const current = stored({ ...placedV0, requirementsNeeded: false, dueAt: '2030-01-04T00:00:00.000Z' }, 1);
    expect(registry.upcast(current)).toBe(current);
  });

  it('is applied by the store when the order stream is read', async () => {
    const store = new InMemoryEventStore({ upcasters: registry });
    await store.append(
      'order-o-1',
      [
        {
          id: '00000000-0000-4000-8000-000000000001',
          type: 'OrderPlaced',
          data: placedV0,
          metadata: metadata(0),
        },
      ],
      'no_stream',
    );
    const [event] = await store.readStream('order-o-1');
    expect(event.data).toMatchObject({ requirementsNeeded: true, dueAt: null });
    await store.close();
  });

  it('registers idempotently', () => {
    expect(() => registerOrderUpcasters((t, v, fn) => registry.register(t, v, fn))).not.toThrow();
    expect(registry.has('OrderPlaced', 0)).toBe(true);
  });
});
