// The product's projections, as the service registers them (the read side's and the deadlines one), with what
// reading its events takes: the stream prefix and the upcasters. The projections CLI and the bench use it.
import type { UpcasterDefinition } from '../platform/event-store/upcasting';
import type { Projection } from '../platform/read-store/read-store.port';
import { ORDER_STREAM_PREFIX } from './domain/order.types';
import { ORDER_UPCASTERS } from './domain/order.upcasters';
import { createReadSideProjections } from './read-models/read-side.projections';
import { DeadlinesProjection } from './timeouts/deadlines.projection';

export interface ProductProjections {
  streamPrefix: string;
  upcasters: readonly UpcasterDefinition[];
  projections: Projection[];
}

export function productProjections(): ProductProjections {
  return {
    streamPrefix: ORDER_STREAM_PREFIX,
    upcasters: ORDER_UPCASTERS,
    projections: [...createReadSideProjections(), new DeadlinesProjection()],
  };
}
