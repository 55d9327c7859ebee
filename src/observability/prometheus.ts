// A minimal Prometheus text-format writer (exposition format 0.0.4): enough for our counters, gauges and one
// latency histogram, without a client library on the hot path.

export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type Labels = Record<string, string>;

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
export const formatLabels = (labels: Labels): string => {
  const keys = Object.keys(labels);
  return keys.length ? `{${keys.map((k) => `${k}="${escape(labels[k])}"`).join(',')}}` : '';
};

export class MetricsText {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  metric(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    this.lines.push(`${name}${formatLabels(labels)} ${Number.isFinite(value) ? value : 'NaN'}`);
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** Request counts and a latency histogram per (method, route, status class), kept in plain arrays. */
export class HttpMetrics {
  private readonly series = new Map<
    string,
    { labels: Labels; count: number; sum: number; buckets: number[] }
  >();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: { method, route, status: String(status) },
        count: 0,
        sum: 0,
        buckets: LATENCY_BUCKETS_SECONDS.map(() => 0),
      };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++)
      if (seconds <= LATENCY_BUCKETS_SECONDS[i]) s.buckets[i]++;
  }

  write(out: MetricsText): void {
    out.metric('rc_http_requests_total', 'counter', 'HTTP requests answered, by method, route and status.');
    for (const s of this.series.values()) out.sample('rc_http_requests_total', s.labels, s.count);
    out.metric('rc_http_request_duration_seconds', 'histogram', 'HTTP request latency.');
    for (const s of this.series.values()) {
      LATENCY_BUCKETS_SECONDS.forEach((le, i) =>
        out.sample('rc_http_request_duration_seconds_bucket', { ...s.labels, le: String(le) }, s.buckets[i]),
      );
      out.sample('rc_http_request_duration_seconds_bucket', { ...s.labels, le: '+Inf' }, s.count);
      out.sample('rc_http_request_duration_seconds_sum', s.labels, s.sum);
      out.sample('rc_http_request_duration_seconds_count', s.labels, s.count);
    }
  }
}
