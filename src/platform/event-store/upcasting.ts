// Stored events are never rewritten: every read lifts old shapes one version at a time (`fromVersion` to
// `fromVersion + 1`) until no upcaster matches; metadata.schemaVersion then says which version the data has.
import type { StoredEvent } from './event-store.port';

/** Returns the data in the next version's shape. Must be pure: it runs on every read, replays included. */
export type Upcaster = (data: Record<string, unknown>, event: StoredEvent) => Record<string, unknown>;

export interface UpcasterDefinition {
  type: string;
  fromVersion: number;
  upcast: Upcaster;
}

export class UpcasterRegistry {
  private readonly byType = new Map<string, Map<number, Upcaster>>();

  /** Idempotent for the same function; a different function for the same step is a programming error. */
  register(type: string, fromVersion: number, fn: Upcaster): void {
    if (!Number.isInteger(fromVersion) || fromVersion < 0)
      throw new RangeError(`Upcaster ${type}: fromVersion must be a non-negative integer`);
    const steps = this.byType.get(type) ?? new Map<number, Upcaster>();
    this.byType.set(type, steps);
    const existing = steps.get(fromVersion);
    if (existing && existing !== fn)
      throw new Error(`Upcaster ${type} v${fromVersion} -> v${fromVersion + 1} is already registered`);
    steps.set(fromVersion, fn);
  }

  has(type: string, fromVersion: number): boolean {
    return this.byType.get(type)?.has(fromVersion) ?? false;
  }

  /** The event in its newest known shape; the same object when nothing applies (the common, cheap case). */
  upcast(stored: StoredEvent): StoredEvent {
    const steps = this.byType.get(stored.type);
    if (!steps) return stored;
    // Events written before versioning existed carry no schemaVersion: they count as version 0.
    const from = typeof stored.metadata.schemaVersion === 'number' ? stored.metadata.schemaVersion : 0;
    let version = from;
    let data = stored.data;
    for (let step = steps.get(version); step; step = steps.get(version)) {
      data = step(data, stored);
      version++;
    }
    if (version === from) return stored;
    return { ...stored, data, metadata: { ...stored.metadata, schemaVersion: version } };
  }
}

/** The process-wide registry every adapter reads through unless given its own (tests do). */
export const defaultUpcasters = new UpcasterRegistry();

export function registerUpcaster(type: string, fromVersion: number, fn: Upcaster): void {
  defaultUpcasters.register(type, fromVersion, fn);
}
