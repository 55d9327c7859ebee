import { HttpMetrics, MetricsText } from './prometheus';

describe('Prometheus text', () => {
  it('declares each metric once and escapes label values', () => {
    const out = new MetricsText()
      .metric('a_total', 'counter', 'A.')
      .sample('a_total', { x: 'q"u\\o\nte' }, 2)
      .metric('a_total', 'counter', 'A.')
      .sample('a_total', {}, 1);
    expect(out.toString()).toBe(
      '# HELP a_total A.\n# TYPE a_total counter\na_total{x="q\\"u\\\\o\\nte"} 2\na_total 1\n',
    );
  });

  it('counts requests into cumulative latency buckets', () => {
    const m = new HttpMetrics();
    m.observe('GET', '/orders/:orderId', 200, 0.003);
    m.observe('GET', '/orders/:orderId', 200, 0.3);
    const text = new MetricsText();
    m.write(text);
    const s = text.toString();
    expect(s).toContain('rc_http_requests_total{method="GET",route="/orders/:orderId",status="200"} 2');
    expect(s).toContain(
      'rc_http_request_duration_seconds_bucket{method="GET",route="/orders/:orderId",status="200",le="0.005"} 1',
    );
    expect(s).toContain(
      'rc_http_request_duration_seconds_bucket{method="GET",route="/orders/:orderId",status="200",le="0.5"} 2',
    );
    expect(s).toContain(
      'rc_http_request_duration_seconds_bucket{method="GET",route="/orders/:orderId",status="200",le="+Inf"} 2',
    );
  });
});
