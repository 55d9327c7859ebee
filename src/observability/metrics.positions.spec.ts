// Positions in /metrics: shown as the store says (EventStoreDB: the commit part, not commit * 2^64 + prepare),
// "events behind" only where positions count events, lag behind the head in time.
import type { HttpAdapterHost } from '@nestjs/core';
import type { EventStore } from '../platform/event-store/event-store.port';
import type { ProjectionEngine } from '../platform/projections/projection-engine';
import { MetricsService } from './metrics.service';

const HEAD = ((5_000_000n << 64n) | 4_999_000n).toString(); // commit 5e6, prepare 4.999e6
const APPLIED = ((4_000_000n << 64n) | 4_000_000n).toString();

function render(store: Partial<EventStore>): Promise<string> {
  const engine = {
    status: async () => [
      {
        name: 'order-pages',
        position: APPLIED,
        positionsBehind: (BigInt(HEAD) - BigInt(APPLIED)).toString(),
        lastAppliedRecordedAt: '2030-01-01T00:00:00.000Z',
        lagMs: 1500,
        deadLetters: 0,
        running: true,
      },
    ],
  } as unknown as ProjectionEngine;
  const service = new MetricsService({} as HttpAdapterHost, store as EventStore, engine);
  return service.render();
}

describe('/metrics positions', () => {
  it('EventStoreDB: commit parts, no "events behind", the lag behind the head in seconds', async () => {
    const text = await render({
      headPosition: async () => HEAD,
      headEvent: async () => ({ position: HEAD, recordedAt: '2030-01-01T00:00:42.500Z' }),
      positionForMetrics: (position: string) => Number(BigInt(position) >> 64n),
    });
    expect(text).toContain('rc_event_store_head_position 5000000\n');
    expect(text).toContain('rc_projection_position{projection="order-pages"} 4000000\n');
    // Declared (prom-client lists every gauge) but without a sample on EventStoreDB.
    expect(text).not.toMatch(/^rc_projection_events_behind\{/m);
    expect(text).toContain('rc_projection_behind_head_seconds{projection="order-pages"} 42.5\n');
    expect(text).toContain(
      `rc_event_store_head_recorded_timestamp_seconds ${Date.parse('2030-01-01T00:00:42.500Z') / 1000}\n`,
    );
  });

  it('embedded stores: positions count events, so "events behind" is published', async () => {
    const text = await (async () => {
      const engine = {
        status: async () => [
          {
            name: 'p',
            position: '7',
            positionsBehind: '3',
            lastAppliedRecordedAt: null,
            lagMs: 0,
            deadLetters: 0,
            running: true,
          },
        ],
      } as unknown as ProjectionEngine;
      const store = { headPosition: async () => '10' } as unknown as EventStore;
      return new MetricsService({} as HttpAdapterHost, store, engine).render();
    })();
    expect(text).toContain('rc_event_store_head_position 10\n');
    expect(text).toContain('rc_projection_position{projection="p"} 7\n');
    expect(text).toContain('rc_projection_events_behind{projection="p"} 3\n');
  });
});
