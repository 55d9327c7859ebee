import type { StoredEvent } from './event-store.port';
import { UpcasterRegistry } from './upcasting';

const stored = (
  type: string,
  schemaVersion: number | undefined,
  data: Record<string, unknown>,
): StoredEvent => ({
  id: 'e-1',
  streamName: 's-1',
  revision: 0,
  position: '1',
  type,
  data,
  metadata: {
    actor: { id: 'u-1', role: 'buyer' },
    correlationId: 'c-1',
    causationId: null,
    schemaVersion: schemaVersion as number,
  },
  recordedAt: '2030-01-01T00:00:00.000Z',
});

describe('UpcasterRegistry', () => {
  let registry: UpcasterRegistry;
  beforeEach(() => {
    registry = new UpcasterRegistry();
    registry.register('Renamed', 0, (data) => ({ fullName: data.name }));
    registry.register('Renamed', 1, (data) => ({ ...data, verified: false }));
  });

  it('chains upcasters from the stored version to the newest and records the version reached', () => {
    const v0 = stored('Renamed', 0, { name: 'Ada' });
    const result = registry.upcast(v0);
    expect(result.data).toEqual({ fullName: 'Ada', verified: false });
    expect(result.metadata.schemaVersion).toBe(2);
    expect(result.metadata.actor).toEqual(v0.metadata.actor);
  });

  it('starts from the stored version', () => {
    const result = registry.upcast(stored('Renamed', 1, { fullName: 'Ada' }));
    expect(result.data).toEqual({ fullName: 'Ada', verified: false });
    expect(result.metadata.schemaVersion).toBe(2);
  });

  it('returns the very same object when nothing applies', () => {
    const current = stored('Renamed', 2, { fullName: 'Ada', verified: true });
    expect(registry.upcast(current)).toBe(current);
    const otherType = stored('Other', 0, { x: 1 });
    expect(registry.upcast(otherType)).toBe(otherType);
  });

  it('never changes the event it was given', () => {
    const v0 = stored('Renamed', 0, { name: 'Ada' });
    const snapshot = structuredClone(v0);
    registry.upcast(v0);
    expect(v0).toEqual(snapshot);
  });

  it('treats an event without schemaVersion as version 0', () => {
    const result = registry.upcast(stored('Renamed', undefined, { name: 'Ada' }));
    expect(result.data).toEqual({ fullName: 'Ada', verified: false });
    expect(result.metadata.schemaVersion).toBe(2);
  });

  it('accepts the same registration twice but refuses a different function for the same step', () => {
    const step = (data: Record<string, unknown>) => data;
    registry.register('X', 0, step);
    expect(() => registry.register('X', 0, step)).not.toThrow();
    expect(() => registry.register('X', 0, (data) => ({ ...data }))).toThrow(/already registered/);
    expect(() => registry.register('X', -1, step)).toThrow(RangeError);
    expect(registry.has('X', 0)).toBe(true);
    expect(registry.has('X', 1)).toBe(false);
  });
});
