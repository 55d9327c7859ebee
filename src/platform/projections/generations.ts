// Read models live in generations: a projection's collections are stored as `<collection>__g<n>` and its
// checkpoint as `<name>@g<n>`. A rebuild (or a new projection version) fills generation n+1 beside the live
// one; the registry document naming the active generation is switched in the same transaction as the new
// generation's last batch, so readers move from one complete read model to the other.
import type { DocumentWriter, Filter, FindOptions } from '../read-store/read-store.port';

/** The engine's own collection: one document per projection (not generational). */
export const REGISTRY_COLLECTION = '_projections';

export interface BuildInfo {
  generation: number;
  version: number;
  /** ISO-8601 */
  startedAt: string;
  /** Who builds it: `engine` (a version change, in the service) or `cli` (npm run projections -- rebuild). */
  by: string;
}

export interface RegistryDoc {
  name: string;
  /** The generation readers use. */
  generation: number;
  /** The projection version that generation was built with. */
  version: number;
  building: BuildInfo | null;
  /** ISO-8601, when `generation` last changed. */
  activatedAt: string;
}

export const physicalName = (collection: string, generation: number): string =>
  `${collection}__g${generation}`;
export const checkpointKeyOf = (projection: string, generation: number): string =>
  `${projection}@g${generation}`;
/** A checkpoint that only guards the creation of a projection's registry entry (no generation: never dropped). */
export const registryGuardKey = (projection: string): string => `${projection}@registry`;

const GENERATIONAL = /^(.+)__g(\d+)$/;
/** `order_pages__g3` -> { collection: 'order_pages', generation: 3 }; null for other names. */
export function parsePhysicalName(name: string): { collection: string; generation: number } | null {
  const m = GENERATIONAL.exec(name);
  return m ? { collection: m[1], generation: Number(m[2]) } : null;
}

/** Logical collection name -> physical name, for whichever generation a reader or writer works on. */
export type CollectionMap = (collection: string) => string;

/** A batch writer that renames collections on the way through: a projection writes its logical names. */
export class MappedWriter implements DocumentWriter {
  constructor(
    private readonly target: DocumentWriter,
    private readonly map: CollectionMap,
  ) {}
  get<T extends object>(collection: string, id: string): Promise<T | null> {
    return this.target.get<T>(this.map(collection), id);
  }
  find<T extends object>(collection: string, filter: Filter, options?: FindOptions): Promise<T[]> {
    return this.target.find<T>(this.map(collection), filter, options);
  }
  count(collection: string, filter: Filter): Promise<number> {
    return this.target.count(this.map(collection), filter);
  }
  put<T extends object>(collection: string, id: string, doc: T): Promise<void> {
    return this.target.put(this.map(collection), id, doc);
  }
  delete(collection: string, id: string): Promise<void> {
    return this.target.delete(this.map(collection), id);
  }
}
