import type { NextFunction, Request, Response } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchInfo } from '../types.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** One registry per server, so several servers (or tests) in one process never share counters. */
export function createMetrics(processMetrics: boolean) {
  const registry = new Registry();
  const registers = [registry];
  if (processMetrics) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'seldon_api_server_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'code'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'seldon_api_server_requests_seconds',
    help: 'Time to answer an HTTP request, by method, route and status code',
    labelNames: ['method', 'route', 'code'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const batchRows = new Histogram({
    name: 'seldon_model_batch_size',
    help: 'Rows per model call',
    buckets: BATCH_BUCKETS,
    registers,
  });
  const batchRequests = new Histogram({
    name: 'seldon_model_batch_requests',
    help: 'Requests sharing one model call',
    buckets: BATCH_BUCKETS,
    registers,
  });
  const batchSeconds = new Histogram({
    name: 'seldon_model_batch_seconds',
    help: 'Time of one model call, by outcome',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const rows = new Counter({
    name: 'seldon_model_rows_total',
    help: 'Rows predicted (a request of N rows counts N)',
    registers,
  });
  const feedback = new Counter({
    name: 'seldon_api_model_feedback_total',
    help: 'Feedback messages received',
    registers,
  });
  const reward = new Counter({
    name: 'seldon_api_model_feedback_reward_total',
    help: 'Sum of the rewards in feedback messages',
    registers,
  });
  let queued = () => 0;
  new Gauge({
    name: 'seldon_model_queued_rows',
    help: 'Rows waiting for a model call',
    registers,
    collect() {
      this.set(queued());
    },
  });

  return {
    registry,
    middleware(req: Request, res: Response, next: NextFunction) {
      const start = performance.now();
      res.on('finish', () => {
        // Route patterns, not raw URLs, keep the label set small whatever clients send.
        const route =
          typeof req.route?.path === 'string'
            ? req.route.path
            : typeof res.locals.route === 'string'
              ? res.locals.route
              : 'unmatched';
        const labels = { method: req.method, route, code: String(res.statusCode) };
        requests.inc(labels);
        latency.observe(labels, (performance.now() - start) / 1000);
      });
      next();
    },
    observeBatch(b: BatchInfo) {
      batchRows.observe(b.rows);
      batchRequests.observe(b.requests);
      batchSeconds.observe({ outcome: b.ok ? 'ok' : 'error' }, b.seconds);
    },
    observeRows(n: number) {
      rows.inc(n);
    },
    observeFeedback(value: number) {
      feedback.inc();
      // prom-client counters only go up; a negative reward is counted as zero.
      if (value > 0) reward.inc(value);
    },
    watchQueue(fn: () => number) {
      queued = fn;
    },
  };
}
