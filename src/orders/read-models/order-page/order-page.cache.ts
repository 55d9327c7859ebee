import type { OrderPageDoc } from '../order-page/order-page.projection';

/**
 * Parsed order-page documents shared by the requests served at one read-model state: the orders projection
 * writes its documents only in batches that move its checkpoint, so while the projection's position and the
 * generation read from (the physical collection) stay the same, so do the documents. Any other (position,
 * collection) starts afresh. Entries are shared between requests: read-only (orderPageView copies what it shows).
 */
export class OrderPageDocCache {
  private position: string | null = null;
  private collection: string | null = null;
  private readonly docs = new Map<string, OrderPageDoc>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The document cached at exactly this state; a different state than the cache's drops every entry. */
  get(position: string | null, collection: string, id: string): OrderPageDoc | undefined {
    if (position !== this.position || collection !== this.collection) {
      this.docs.clear();
      this.position = position;
      this.collection = collection;
      return undefined;
    }
    return this.docs.get(id);
  }

  /**
   * `doc` must have been read after `position` was observed, from `collection`. Ignored when the state moved
   * meanwhile (a slow read could predate the new position).
   */
  set(position: string | null, collection: string, id: string, doc: OrderPageDoc): void {
    if (position !== this.position || collection !== this.collection) return;
    if (this.docs.size >= this.maxEntries && !this.docs.has(id)) {
      const oldest = this.docs.keys().next().value;
      if (oldest !== undefined) this.docs.delete(oldest);
    }
    this.docs.set(id, doc);
  }
}
