import { describe, expect, it } from 'vitest';
import { histogramQuantile, parsePrometheus, predictionTraffic } from '../src/index.js';

// The shape prom-client writes for the model server's counters (packages/seldon-wrapper/src/internal/metrics.ts).
const TEXT = `# HELP seldon_api_server_requests_total HTTP requests answered
# TYPE seldon_api_server_requests_total counter
seldon_api_server_requests_total{method="POST",route="/api/v1.0/predictions",code="200"} 90
seldon_api_server_requests_total{method="POST",route="/api/v1.0/predictions",code="400"} 10
seldon_api_server_requests_total{method="GET",route="/health/ping",code="200"} 55
seldon_api_server_requests_seconds_bucket{le="0.005",method="POST",route="/api/v1.0/predictions",code="200"} 50
seldon_api_server_requests_seconds_bucket{le="0.01",method="POST",route="/api/v1.0/predictions",code="200"} 80
seldon_api_server_requests_seconds_bucket{le="+Inf",method="POST",route="/api/v1.0/predictions",code="200"} 90
seldon_api_server_requests_seconds_bucket{le="0.005",method="POST",route="/api/v1.0/predictions",code="400"} 10
seldon_api_server_requests_seconds_bucket{le="0.01",method="POST",route="/api/v1.0/predictions",code="400"} 10
seldon_api_server_requests_seconds_bucket{le="+Inf",method="POST",route="/api/v1.0/predictions",code="400"} 10
seldon_api_server_requests_seconds_bucket{le="0.005",method="GET",route="/health/ping",code="200"} 55
`;

describe('request rate and latency from Prometheus metrics', () => {
  it('counts prediction requests only, over every status code', () => {
    const t = predictionTraffic(parsePrometheus(TEXT));
    expect(t.total).toBe(100);
    expect(t.buckets).toEqual([
      { le: 0.005, count: 60 },
      { le: 0.01, count: 90 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ]);
  });

  it('interpolates percentiles inside a bucket, as histogram_quantile does', () => {
    const { buckets } = predictionTraffic(parsePrometheus(TEXT));
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.005 * (50 / 60), 6);
    expect(histogramQuantile(0.75, buckets)).toBeCloseTo(0.005 + 0.005 * (15 / 30), 6);
    // Past the last finite bound the answer is that bound.
    expect(histogramQuantile(0.99, buckets)).toBe(0.01);
    expect(histogramQuantile(0.5, [])).toBeNull();
  });
});
