import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Command } from 'commander';
import { positiveInt } from '../args.js';
import { type CliContext, print } from '../context.js';
import { UsageError } from '../errors.js';
import { loadModelPackage } from '../model-package.js';
import { startServeProcess } from './serve.js';

/** One request of a load: autocannon sends a connection's requests in turn, round after round. */
export interface LoadRequest {
  body: unknown;
  /** Images this request carries (for images/s). */
  images: number;
}

export interface LoadOptions {
  /** The full URL to load, e.g. `http://127.0.0.1:9000/api/v1.0/predictions`. */
  url: string;
  /** The requests, sent as JSON POSTs in this order by every connection, again and again. */
  requests: LoadRequest[];
  /** Concurrent connections. Default 32. */
  connections?: number;
  /** Default 10. */
  durationSeconds?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  imagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  concurrency: number;
  requests: number;
  durationSeconds: number;
}

/** Loads a running server with autocannon and reports throughput and latency. */
export async function loadServer(options: LoadOptions): Promise<LoadResult> {
  const connections = options.connections ?? 32;
  const durationSeconds = options.durationSeconds ?? 10;
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new UsageError(`url ${JSON.stringify(options.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`url must be http or https, got ${url.protocol}`);
  }
  if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) {
    throw new UsageError(`connections must be an integer from 1 to 10000, got ${connections}`);
  }
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new UsageError(`durationSeconds must be a positive number, got ${durationSeconds}`);
  }
  if (options.requests.length === 0) throw new UsageError('a load needs at least one request');
  const result = await autocannon({
    url: url.href,
    connections,
    duration: durationSeconds,
    requests: options.requests.map((r) => ({
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(r.body),
    })),
  });
  const imagesPerRequest = options.requests.reduce((s, r) => s + r.images, 0) / options.requests.length;
  return {
    requestsPerSecond: result.requests.average,
    imagesPerSecond: result.requests.average * imagesPerRequest,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    concurrency: connections,
    requests: result.requests.total,
    durationSeconds: result.duration,
  };
}

/**
 * A repeating sequence of requests of which `share` (0..1) carry `images` images and the rest one: the
 * multi-image ones spread evenly, e.g. share 0.25 → single, single, single, multi.
 */
export function mixedRequests(
  payload: (rows: number) => unknown,
  share: number,
  images: number,
): LoadRequest[] {
  const slots = 20;
  const multi = Math.round(share * slots);
  const single = { body: payload(1), images: 1 };
  const many = { body: payload(images), images };
  return Array.from({ length: slots }, (_, i) =>
    Math.floor(((i + 1) * multi) / slots) > Math.floor((i * multi) / slots) ? many : single,
  );
}

const share = (v: string): number => {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new UsageError(`--mixed must be a share above 0 and at most 1, got "${v}"`);
  return n;
};

export function registerBenchServe(bench: Command, ctx: () => CliContext): void {
  bench
    .command('serve')
    .description(
      'Serve the default CNN and load it with Seldon tensor requests: single images, and a mix with multi-image requests',
    )
    .option('--model-dir <dir>', 'serve this model folder (default: an untrained default CNN)')
    .option('--connections <n>', 'concurrent connections', positiveInt('--connections'), 32)
    .option('--duration <seconds>', 'how long each load runs', positiveInt('--duration'), 10)
    .option(
      '--mixed <share>',
      'also run a mixed load in which this share of requests carries several images',
      share,
    )
    .option('--images <n>', 'images per multi-image request of the mixed load', positiveInt('--images'), 8)
    .option(
      '--peer <url>',
      'a reference Seldon server (e.g. the Seldon Core Python wrapper) to load the same way, after ours',
    )
    .option('--json', 'print one JSON line')
    .action(
      async (opts: {
        modelDir?: string;
        connections: number;
        duration: number;
        mixed?: number;
        images: number;
        peer?: string;
        json?: boolean;
      }) => {
        const c = ctx();
        let dir = opts.modelDir;
        let tmp: string | undefined;
        if (!dir) {
          const { createClassifier, saveClassifier } = await loadModelPackage();
          tmp = await mkdtemp(join(tmpdir(), 'fmnist-bench-serve-'));
          dir = join(tmp, 'model');
          const classifier = await createClassifier();
          await saveClassifier(classifier, dir);
          classifier.dispose();
        }
        const started = performance.now();
        const server = await startServeProcess(['--model-dir', dir]);
        const readySeconds = (performance.now() - started) / 1000;
        try {
          const { examplePayload } = await import('@fmnist/seldon-wrapper/bench');
          const payload = (rows: number) => examplePayload([28, 28], [0, 255], rows);
          const loads: [string, LoadRequest[]][] = [['single', [{ body: payload(1), images: 1 }]]];
          if (opts.mixed) loads.push(['mixed', mixedRequests(payload, opts.mixed, opts.images)]);
          const targets: [string, string][] = [['fmnist', server.url]];
          if (opts.peer) targets.push(['peer', opts.peer.replace(/\/+$/, '')]);
          const results: Record<string, Record<string, ReturnType<typeof rounded>>> = {};
          for (const [load, requests] of loads) {
            for (const [who, base] of targets) {
              const r = await loadServer({
                url: `${base}/api/v1.0/predictions`,
                requests,
                connections: opts.connections,
                durationSeconds: opts.duration,
              });
              results[who] = { ...results[who], [load]: rounded(r) };
            }
          }
          const summary = {
            // The single-image figures of our server stay at the top, where they always were.
            ...results.fmnist?.single,
            concurrency: opts.connections,
            ...results,
            load: {
              connections: opts.connections,
              durationSeconds: opts.duration,
              ...(opts.mixed ? { mixedShare: opts.mixed, imagesPerMultiRequest: opts.images } : {}),
            },
            startToReadySeconds: Number(readySeconds.toFixed(2)),
          };
          if (opts.json) print(c, JSON.stringify(summary));
          else {
            for (const [who, byLoad] of Object.entries(results)) {
              for (const [load, r] of Object.entries(byLoad)) {
                const ratio =
                  who === 'fmnist' && results.peer?.[load]
                    ? ` (${(r.requestsPerSecond / Math.max(1, results.peer[load].requestsPerSecond)).toFixed(2)}× the peer)`
                    : '';
                print(
                  c,
                  `${who.padEnd(6)} ${load.padEnd(6)} ${r.requestsPerSecond} req/s, ${r.imagesPerSecond} images/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} errors${ratio}`,
                );
              }
            }
            print(
              c,
              `${opts.connections} connections, ${opts.duration} s each; ready in ${summary.startToReadySeconds} s`,
            );
          }
        } finally {
          await server.stop();
          if (tmp) await rm(tmp, { recursive: true, force: true });
        }
      },
    );
}

const rounded = (r: LoadResult) => ({
  requestsPerSecond: Math.round(r.requestsPerSecond),
  imagesPerSecond: Math.round(r.imagesPerSecond),
  p50Ms: r.p50Ms,
  p99Ms: r.p99Ms,
  errors: r.errors,
  requests: r.requests,
});
