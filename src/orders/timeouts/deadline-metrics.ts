import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { MetricsService } from '../../observability/metrics.module';
import { DeadlinePoller } from './deadline-poller';

/** The deadline poller's figures on /metrics (in the process that runs it). */
@Injectable()
export class DeadlineMetrics implements OnModuleInit {
  constructor(
    @Optional() private readonly metrics?: MetricsService,
    @Optional() private readonly poller?: DeadlinePoller,
  ) {}

  onModuleInit(): void {
    const poller = this.poller;
    if (!this.metrics || !poller) return;
    this.metrics.addCollector(async (out) => {
      const [figures, health] = await Promise.all([poller.figures(), poller.health()]);
      out
        .metric('rc_deadlines_due', 'gauge', 'Deadlines due now and not yet shown handled.')
        .sample('rc_deadlines_due', {}, figures.due);
      out
        .metric('rc_deadlines_fired_total', 'counter', 'Timeout commands this process sent.')
        .sample('rc_deadlines_fired_total', {}, figures.fired);
      out
        .metric('rc_deadlines_degraded', 'gauge', '1 when deadlines keep failing.')
        .sample('rc_deadlines_degraded', {}, health.status === 'degraded' ? 1 : 0);
    });
  }
}
