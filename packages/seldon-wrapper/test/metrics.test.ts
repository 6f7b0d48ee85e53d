import { describe, expect, it } from 'vitest';
import { get, image, post, start } from './helpers.js';

describe('Prometheus metrics', () => {
  it('counts requests by route and code, latencies and batch sizes, per server', async () => {
    const a = await start();
    const b = await start();
    try {
      await post(`${a.url}/api/v1.0/predictions`, {
        data: { ndarray: [image([1]), image([2]), image([3])] },
      });
      await post(`${a.url}/api/v1.0/predictions`, { data: { ndarray: image([999]) } });
      await get(`${a.url}/nowhere/${Math.random()}`);
      await get(`${a.url}/seldon/ns-${Math.random()}/dep/api/v1.0/doc/swagger-ui.css`);
      const text = (await get(`${a.url}/metrics`)).text;
      expect(text).toContain(
        'seldon_api_server_requests_total{method="POST",route="/api/v1.0/predictions",code="200"} 1',
      );
      expect(text).toContain(
        'seldon_api_server_requests_total{method="POST",route="/api/v1.0/predictions",code="400"} 1',
      );
      expect(text).toContain('seldon_api_server_requests_total{method="GET",route="unmatched",code="404"} 1');
      // Swagger UI assets share one label whatever the ingress prefix.
      expect(text).toContain(
        'seldon_api_server_requests_total{method="GET",route="swagger-ui assets",code="200"} 1',
      );
      // The latency is observed once (how long it took is the machine's business, not the test's).
      expect(text).toMatch(
        /seldon_api_server_requests_seconds_count\{method="POST",route="\/api\/v1.0\/predictions",code="200"\} 1/,
      );
      expect(text).toContain('seldon_model_batch_size_sum 3');
      expect(text).toContain('seldon_model_batch_size_count 1');
      expect(text).toMatch(/^seldon_model_rows_total 3$/m);
      expect(text).toContain('seldon_model_queued_rows 0');
      expect((await get(`${a.url}/prometheus`)).text).toContain('seldon_model_rows_total 3');
      // The other server's registry is its own.
      expect((await get(`${b.url}/metrics`)).text).toMatch(/^seldon_model_rows_total 0$/m);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('adds process metrics when asked', async () => {
    const s = await start({ processMetrics: true });
    try {
      expect((await get(`${s.url}/metrics`)).text).toContain('process_cpu_user_seconds_total');
    } finally {
      await s.close();
    }
  });
});
