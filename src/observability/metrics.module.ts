// GET /metrics: Prometheus text for operators (open like /health; keep it on the admin network in production).
// HTTP figures come from a fastify onResponse hook; store, projection and deadline figures are read when scraped.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  Controller,
  Get,
  Global,
  Header,
  Inject,
  Injectable,
  Module,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { comparePositions, EVENT_STORE, type EventStore } from '../platform/event-store/event-store.port';
import { ProjectionEngine } from '../platform/projections/projection-engine';
import { HttpMetrics, MetricsText } from './prometheus';

@Injectable()
export class MetricsService implements OnModuleInit {
  readonly http = new HttpMetrics();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Optional() private readonly engine?: ProjectionEngine,
  ) {}

  private readonly collectors: ((out: MetricsText) => Promise<void>)[] = [];

  /** Figures of the product's own (deadlines, …): written at each scrape, after the platform's. */
  addCollector(collect: (out: MetricsText) => Promise<void>): void {
    this.collectors.push(collect);
  }

  onModuleInit(): void {
    this.loopDelay.enable();
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      // The route pattern, not the URL, keeps the label set bounded.
      const route = request.routeOptions?.url ?? 'unmatched';
      this.http.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }

  async render(): Promise<string> {
    const out = new MetricsText();
    const mem = process.memoryUsage();
    out
      .metric('process_resident_memory_bytes', 'gauge', 'Resident set size.')
      .sample('process_resident_memory_bytes', {}, mem.rss);
    out
      .metric('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use.')
      .sample('nodejs_heap_used_bytes', {}, mem.heapUsed);
    out
      .metric('process_uptime_seconds', 'gauge', 'Seconds since start.')
      .sample('process_uptime_seconds', {}, process.uptime());
    out
      .metric('nodejs_eventloop_delay_p99_seconds', 'gauge', 'Event-loop delay, 99th percentile since start.')
      .sample('nodejs_eventloop_delay_p99_seconds', {}, this.loopDelay.percentile(99) / 1e9);
    this.http.write(out);

    // Positions as the store says to show them (EventStoreDB: the commit part, a log offset; Number() of its
    // commit * 2^64 + prepare was a float near 1e23). Lag in time from the newest event's recordedAt.
    const store = this.eventStore;
    const gauge = (position: string | null): number =>
      position === null ? 0 : (store.positionForMetrics?.(position) ?? Number(position));
    const headEvent = store.headEvent
      ? await store.headEvent().catch(() => null)
      : await store
          .headPosition()
          .then((position) => (position === null ? null : { position, recordedAt: null }))
          .catch(() => null);
    const head = headEvent?.position ?? null;
    out
      .metric('rc_event_store_head_position', 'gauge', 'Global position of the newest event.')
      .sample('rc_event_store_head_position', {}, gauge(head));
    const headAt = headEvent?.recordedAt ? Date.parse(headEvent.recordedAt) : null;
    if (headAt !== null) {
      out
        .metric(
          'rc_event_store_head_recorded_timestamp_seconds',
          'gauge',
          'When the newest event was recorded.',
        )
        .sample('rc_event_store_head_recorded_timestamp_seconds', {}, headAt / 1000);
    }

    if (this.engine) {
      const statuses = await this.engine.status().catch(() => []);
      // "Events behind" only where positions count events (the embedded stores), not on EventStoreDB.
      const countsEvents = !store.positionForMetrics;
      out.metric('rc_projection_position', 'gauge', 'Last global position a projection applied.');
      if (countsEvents) {
        out.metric('rc_projection_events_behind', 'gauge', 'Events between the projection and the head.');
      }
      if (headAt !== null) {
        out.metric(
          'rc_projection_behind_head_seconds',
          'gauge',
          'Recorded time of the newest event minus that of the last event the projection applied.',
        );
      }
      out.metric('rc_projection_lag_seconds', 'gauge', 'How long the oldest unapplied event has waited.');
      out.metric('rc_projection_dead_letters', 'gauge', 'Events parked after repeated failures.');
      out.metric('rc_projection_running', 'gauge', '1 when this process runs the projection.');
      for (const s of statuses) {
        const l = { projection: s.name };
        out.sample('rc_projection_position', l, gauge(s.position));
        if (countsEvents) {
          out.sample(
            'rc_projection_events_behind',
            l,
            s.positionsBehind === null ? 0 : Number(s.positionsBehind),
          );
        }
        if (headAt !== null) {
          const caughtUp = s.position !== null && head !== null && comparePositions(s.position, head) >= 0;
          const appliedAt = s.lastAppliedRecordedAt ? Date.parse(s.lastAppliedRecordedAt) : null;
          const behind =
            caughtUp || head === null ? 0 : appliedAt === null ? null : Math.max(0, headAt - appliedAt);
          if (behind !== null) out.sample('rc_projection_behind_head_seconds', l, behind / 1000);
        }
        out.sample('rc_projection_lag_seconds', l, s.lagMs / 1000);
        out.sample('rc_projection_dead_letters', l, s.deadLetters);
        out.sample('rc_projection_running', l, s.running ? 1 : 0);
      }
    }
    for (const collect of this.collectors) await collect(out).catch(() => {});
    return out.toString();
  }
}

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  render(): Promise<string> {
    return this.metrics.render();
  }
}

@Global()
@Module({
  providers: [MetricsService],
  controllers: [MetricsController],
  exports: [MetricsService],
})
export class MetricsModule {}
