import { Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../../observability/metrics.service';
import { DeadlinePoller } from './deadline-poller';

/** The deadline poller's figures on /metrics, in the process that runs it: what is due, what was fired. */
@Injectable()
export class DeadlineMetrics {
  constructor(@Optional() metrics?: MetricsService, @Optional() poller?: DeadlinePoller) {
    if (!metrics || !poller) return;
    const registers = [metrics.registry];
    new Gauge({
      name: 'rc_deadlines_due',
      help: 'Deadlines due now that the order streams do not show handled yet.',
      registers,
      async collect() {
        const figures = await poller.figures().catch(() => null);
        if (figures) this.set(figures.due);
      },
    });
    new Counter({
      name: 'rc_deadlines_fired_total',
      help: 'Timeout commands this process sent for due deadlines (retries included).',
      registers,
      async collect() {
        const figures = await poller.figures().catch(() => null);
        // The poller keeps the running total; the counter mirrors it.
        if (!figures) return;
        this.reset();
        this.inc(figures.fired);
      },
    });
    new Gauge({
      name: 'rc_deadlines_degraded',
      help: '1 when deadlines keep failing.',
      registers,
      async collect() {
        const health = await poller.health().catch(() => null);
        this.set(health?.status === 'degraded' ? 1 : 0);
      },
    });
  }
}
