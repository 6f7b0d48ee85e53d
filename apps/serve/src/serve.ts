import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BatchingOptions, createServer, type SeldonServer } from '@fmnist/seldon-wrapper';
import { loadThreadedModel, type ThreadEvent, type ThreadedModel } from './adapter.js';

export interface ServeOptions extends BatchingOptions {
  /** A saved model folder (model.json, weights.bin, metadata.json). */
  modelDir: string;
  name?: string;
  version?: string;
  /** Extra facts for /metadata, e.g. the registry's experiment and checkpoint. */
  source?: Record<string, unknown>;
  port?: number;
  host?: string;
  /** Also serve the metrics on this port (Seldon's operator scrapes PREDICTIVE_UNIT_METRICS_SERVICE_PORT). */
  metricsPort?: number;
  /** The metrics path on `metricsPort`. Default `/metrics`. */
  metricsPath?: string;
  /** This graph node's id and image, for `meta.requestPath` (PREDICTIVE_UNIT_ID, PREDICTIVE_UNIT_IMAGE). */
  predictiveUnit?: { id: string; image: string };
  /** Largest request body in bytes (HTTP 413 above it). Default 5 MiB. */
  maxBodyBytes?: number;
  logger?: Pick<Console, 'error' | 'warn'>;
  /** Told when the model thread dies and when it is back. */
  onThreadEvent?(event: ThreadEvent): void;
}

export interface RunningServer {
  app: SeldonServer;
  server: Server;
  /** The model in its thread (restarted by itself when the thread dies). */
  model: ThreadedModel;
  /** Base URL, e.g. http://127.0.0.1:9000 */
  url: string;
  /** Where the metrics listener answers, when `metricsPort` was given. */
  metricsUrl?: string;
  /** Seconds from the call to the first answer being possible (model loaded and warmed up). */
  startSeconds: number;
  backend: string;
  /** Finishes in-flight requests, then closes. */
  close(): Promise<void>;
}

/** Loads a model folder, warms it up and serves it over Seldon's protocol. */
export async function serveModel(options: ServeOptions): Promise<RunningServer> {
  const started = performance.now();
  const name = options.name ?? 'fashion-classifier';
  const version = options.version ?? '1';
  // The worker loads the model and warms it up before it says it is ready.
  const model = await loadThreadedModel(
    options.modelDir,
    { name, version, source: { modelDir: options.modelDir, ...options.source } },
    { logger: options.logger, onEvent: options.onThreadEvent },
  );
  const app = createServer({
    model,
    name,
    version,
    // Small batches, several in flight: the model thread always has the next one queued while the HTTP
    // thread answers and reads the others.
    maxBatchSize: options.maxBatchSize ?? 8,
    maxWaitMs: options.maxWaitMs ?? 0,
    concurrency: options.concurrency ?? 4,
    timeoutMs: options.timeoutMs,
    maxQueuedRows: options.maxQueuedRows,
    maxBodyBytes: options.maxBodyBytes,
    predictiveUnit: options.predictiveUnit,
    logger: options.logger,
    processMetrics: true,
  });
  const host = options.host ?? '127.0.0.1';
  const server = await listen(app, options.port ?? 9000, host).catch(async (e: unknown) => {
    await model.close();
    throw e;
  });
  let metricsServer: Server | undefined;
  if (options.metricsPort !== undefined) {
    const path = options.metricsPath ?? '/metrics';
    metricsServer = await listen(metricsApp(app, path), options.metricsPort, host).catch(
      async (e: unknown) => {
        await app.close(server);
        await model.close();
        throw e;
      },
    );
  }
  // Keep-alive longer than typical client pools, so idle connections are not cut mid-request.
  server.keepAliveTimeout = 65_000;
  return {
    app,
    server,
    model,
    url: baseUrl(server),
    ...(metricsServer ? { metricsUrl: `${baseUrl(metricsServer)}${options.metricsPath ?? '/metrics'}` } : {}),
    startSeconds: (performance.now() - started) / 1000,
    backend: model.backend,
    close: async () => {
      await app.close(server);
      if (metricsServer) await closeServer(metricsServer);
      await model.close();
    },
  };
}

function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const s = createHttpServer(handler);
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}

function baseUrl(server: Server): string {
  const { port, address } = server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** The metrics of `app` on a listener of their own, at `path` only. */
function metricsApp(app: SeldonServer, path: string): RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`metrics are at GET ${path}\n`);
      return;
    }
    app.metrics.metrics().then(
      (text) => res.writeHead(200, { 'content-type': app.metrics.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
