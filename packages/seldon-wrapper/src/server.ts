import type { Server } from 'node:http';
import express from 'express';
import { createBatcher } from './batcher.js';
import { createBodyReaders } from './body.js';
import { cors } from './cors.js';
import { handleErrors } from './http-errors.js';
import { createMetrics } from './internal/metrics.js';
import { checkOptions } from './options.js';
import type { InputSpec } from './protocol/tensor.js';
import type { Route, RouteContext } from './routes/context.js';
import { docsRoutes, mountDocsAssets } from './routes/docs.js';
import { healthRoutes, metricsRoutes } from './routes/health.js';
import { v1Routes } from './routes/v1.js';
import { v2Routes } from './routes/v2.js';
import type { SeldonServer, ServerOptions } from './types.js';

/**
 * An express app serving `options.model` over Seldon Core's v1 prediction protocol (microservice and
 * ingress routes), the Open Inference Protocol (V2), an OpenAPI document with Swagger UI, and Prometheus
 * metrics. Concurrent predictions are batched into single model calls. `listen` is the caller's.
 */
export function createServer(options: ServerOptions): SeldonServer {
  const cfg = checkOptions(options);
  const { model } = cfg;
  const spec: InputSpec = {
    inputShape: cfg.inputShape,
    rowSize: cfg.inputShape.reduce((p, d) => p * d, 1),
    range: cfg.inputRange,
  };
  let draining = false;

  const metrics = createMetrics(cfg.processMetrics);
  const batcher = createBatcher({
    ...cfg.batching,
    rowSize: spec.rowSize,
    run: (input, rows) => model.predict(input, [rows, ...spec.inputShape]),
    onBatch: (b) => metrics.observeBatch(b),
  });
  metrics.watchQueue(() => batcher.queuedRows);

  const ctx: RouteContext = {
    cfg,
    spec,
    classNames: model.classNames ? [...model.classNames] : undefined,
    batcher,
    metrics,
    bodies: createBodyReaders(cfg.maxBodyBytes),
    draining: () => draining,
    notReady() {
      if (draining) return 'draining';
      try {
        if (model.ready && model.ready() === false) return 'model not ready';
      } catch {
        return 'model not ready';
      }
      return undefined;
    },
  };

  const app = express() as unknown as SeldonServer;
  app.disable('x-powered-by');
  // Predictions are never cached; hashing every response body for an ETag is wasted work.
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(metrics.middleware);
  app.use(cors);

  const routes: Route[] = [
    ...v1Routes(ctx),
    ...healthRoutes(ctx),
    ...v2Routes(ctx),
    ...docsRoutes(ctx, () => routes),
    ...metricsRoutes(ctx),
  ];
  // One registration per path, so `req.route.path` (the metrics label) is the pattern that matched.
  for (const route of routes) for (const path of route.paths) app[route.method](path, ...route.handlers);
  // Every path answers OPTIONS (CORS preflights) as Flask does for the wrapper: 200 with the allowed methods.
  const methods = new Map<string, Set<string>>();
  for (const route of routes)
    for (const path of route.paths) methods.set(path, (methods.get(path) ?? new Set()).add(route.method));
  for (const [path, allowed] of methods) {
    const allow = [
      'OPTIONS',
      ...[...allowed].map((m) => m.toUpperCase()),
      ...(allowed.has('get') ? ['HEAD'] : []),
    ];
    app.options(path, (_req, res) => void res.set('Allow', allow.join(', ')).status(200).end());
  }
  mountDocsAssets(app);
  handleErrors(app, cfg.maxBodyBytes, cfg.logger);

  Object.defineProperty(app, 'metrics', { value: metrics.registry, enumerable: false });
  app.drain = () => {
    draining = true;
    return batcher.drain();
  };
  app.close = async (server?: Server) => {
    await app.drain();
    if (!server) return;
    await new Promise<void>((resolve, reject) => {
      // Keep-alive connections busy when the close began turn idle later: close each as it does.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      sweep.unref();
      server.close((error) => {
        clearInterval(sweep);
        if (error) reject(error);
        else resolve();
      });
      server.closeIdleConnections();
    });
  };
  return app;
}
