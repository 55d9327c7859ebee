// prom-client: default process metrics, HTTP latency, the stores' progress; the product adds its own to `registry`.
import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { comparePositions, EVENT_STORE, type EventStore } from '../platform/event-store/event-store.port';
import { ProjectionEngine } from '../platform/projections/projection-engine';

/** What one scrape reads of the stores, once, for every gauge. */
type Sample = { labels: Record<string, string>; value: number };

/** Read from the stores at each scrape: the event store's head, and the projections' progress (by projection). */
const GAUGES: Record<string, string> = {
  rc_event_store_head_position: 'Global position of the newest event (EventStoreDB: its commit part).',
  rc_event_store_head_recorded_timestamp_seconds: 'When the newest event was recorded.',
  rc_projection_position: 'Last global position a projection applied.',
  rc_projection_events_behind: 'Events between the projection and the head (embedded stores).',
  rc_projection_behind_head_seconds:
    'Recorded time of the newest event minus that of the last event the projection applied.',
  rc_projection_lag_seconds: 'How long the oldest event a projection has not applied has waited.',
  rc_projection_dead_letters: 'Events parked after repeated failures.',
  rc_projection_running: '1 when this process runs the projection.',
};

@Injectable()
export class MetricsService implements OnModuleInit {
  /** One registry per application (tests start several in one process). */
  readonly registry = new Registry();
  private readonly http = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private scrape: Promise<Map<string, Sample[]>> | null = null;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Optional() private readonly engine?: ProjectionEngine,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const read = () => this.samples();
    for (const [name, help] of Object.entries(GAUGES)) {
      new Gauge({
        name,
        help,
        labelNames: name.startsWith('rc_projection_') ? ['projection'] : [],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const s of (await read()).get(name) ?? []) this.set(s.labels, s.value);
        },
      });
    }
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onResponse', (request, reply, done) => {
      // The route pattern, not the URL, keeps the label set bounded.
      const route = request.routeOptions?.url ?? 'unmatched';
      this.http.observe(
        { method: request.method, route, status: reply.statusCode },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The stores are read once per scrape, however many gauges ask. */
  private samples(): Promise<Map<string, Sample[]>> {
    this.scrape ??= this.readSamples().finally(() => setImmediate(() => (this.scrape = null)));
    return this.scrape;
  }

  private async readSamples(): Promise<Map<string, Sample[]>> {
    const out = new Map<string, Sample[]>();
    const add = (name: string, labels: Sample['labels'], value: number) =>
      out.set(name, [...(out.get(name) ?? []), { labels, value }]);
    // Positions as the store says to show them (EventStoreDB: the commit part, a log offset; Number() of its
    // commit * 2^64 + prepare was a float near 1e23). Lag in time from the newest event's recordedAt.
    const store = this.eventStore;
    const shown = (position: string | null): number =>
      position === null ? 0 : (store.positionForMetrics?.(position) ?? Number(position));
    const head = store.headEvent
      ? await store.headEvent().catch(() => null)
      : await store
          .headPosition()
          .then((position) => (position === null ? null : { position, recordedAt: null }))
          .catch(() => null);
    add('rc_event_store_head_position', {}, shown(head?.position ?? null));
    const headAt = head?.recordedAt ? Date.parse(head.recordedAt) : null;
    if (headAt !== null) add('rc_event_store_head_recorded_timestamp_seconds', {}, headAt / 1000);
    // "Events behind" only where positions count events (the embedded stores), not on EventStoreDB.
    const countsEvents = !store.positionForMetrics;
    for (const s of (await this.engine?.status().catch(() => [])) ?? []) {
      const l = { projection: s.name };
      add('rc_projection_position', l, shown(s.position));
      if (countsEvents) add('rc_projection_events_behind', l, Number(s.positionsBehind ?? 0));
      if (head && headAt !== null) {
        const caughtUp = s.position !== null && comparePositions(s.position, head.position) >= 0;
        const appliedAt = s.lastAppliedRecordedAt ? Date.parse(s.lastAppliedRecordedAt) : null;
        if (caughtUp) add('rc_projection_behind_head_seconds', l, 0);
        else if (appliedAt !== null)
          add('rc_projection_behind_head_seconds', l, Math.max(0, headAt - appliedAt) / 1000);
      }
      add('rc_projection_lag_seconds', l, s.lagMs / 1000);
      add('rc_projection_dead_letters', l, s.deadLetters);
      add('rc_projection_running', l, s.running ? 1 : 0);
    }
    return out;
  }
}
