import type { Server } from 'node:http';
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
    logger: options.logger,
    processMetrics: true,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 9000, options.host ?? '127.0.0.1');
    s.once('listening', () => resolve(s));
    s.once('error', (e) => {
      model.close().finally(() => reject(e));
    });
  });
  // Keep-alive longer than typical client pools, so idle connections are not cut mid-request.
  server.keepAliveTimeout = 65_000;
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    app,
    server,
    model,
    url: `http://${host}:${port}`,
    startSeconds: (performance.now() - started) / 1000,
    backend: model.backend,
    close: async () => {
      await app.close(server);
      await model.close();
    },
  };
}
