import autocannon from 'autocannon';
import { SeldonWrapperError } from './errors.js';
import type { SeldonModel } from './types.js';

export interface BenchOptions {
  /** The full URL to load, e.g. `http://127.0.0.1:9000/api/v1.0/predictions`. */
  url: string;
  /** The request body: an object is sent as JSON; a string or Buffer as is. Omit for a GET. */
  body?: unknown;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Concurrent connections. Default 32. */
  connections?: number;
  /** Default 10. */
  durationSeconds?: number;
}

export interface BenchResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  concurrency: number;
  requests: number;
  durationSeconds: number;
}

/** Loads a running server with autocannon and reports throughput and latency. */
export async function benchServer(options: BenchOptions): Promise<BenchResult> {
  const connections = options.connections ?? 32;
  const durationSeconds = options.durationSeconds ?? 10;
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new SeldonWrapperError('BAD_OPTIONS', `url ${JSON.stringify(options.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SeldonWrapperError('BAD_OPTIONS', `url must be http or https, got ${url.protocol}`);
  }
  if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) {
    throw new SeldonWrapperError(
      'BAD_OPTIONS',
      `connections must be an integer from 1 to 10000, got ${connections}`,
    );
  }
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new SeldonWrapperError(
      'BAD_OPTIONS',
      `durationSeconds must be a positive number, got ${durationSeconds}`,
    );
  }
  const isRaw = typeof options.body === 'string' || Buffer.isBuffer(options.body);
  const body =
    options.body === undefined
      ? undefined
      : isRaw
        ? (options.body as string | Buffer)
        : JSON.stringify(options.body);
  const headers = {
    ...(body !== undefined && !isRaw ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  const result = await autocannon({
    url: url.href,
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body !== undefined ? { body } : {}),
    connections,
    duration: durationSeconds,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    concurrency: connections,
    requests: result.requests.total,
    durationSeconds: result.duration,
  };
}

/** Seldon's documented example request (`data.tensor`), filled with a fixed pseudo-random image. */
export function examplePayload(
  inputShape: readonly number[] = [28, 28],
  range: readonly [number, number] = [0, 255],
) {
  const size = inputShape.reduce((p, d) => p * d, 1);
  let seed = 1;
  const values = Array.from({ length: size }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.round(range[0] + (seed / 2 ** 31) * (range[1] - range[0]));
  });
  return { data: { names: ['feature1'], tensor: { shape: [...inputShape], values } } };
}

/**
 * A model costing what a small Fashion-MNIST network costs per row (784×128 and 128×10 multiply-adds,
 * ReLU, softmax), with fixed pseudo-random weights: measures the server without TensorFlow.js.
 */
export function createDenseModel(
  options: { inputShape?: number[]; hidden?: number; classes?: number } = {},
): SeldonModel {
  const inputShape = options.inputShape ?? [28, 28];
  const hidden = options.hidden ?? 128;
  const classes = options.classes ?? 10;
  const n = inputShape.reduce((p, d) => p * d, 1);
  let seed = 7;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const w1 = Float32Array.from({ length: n * hidden }, () => rand() * 0.1);
  const w2 = Float32Array.from({ length: hidden * classes }, () => rand() * 0.1);
  return {
    inputShape,
    inputRange: [0, 255],
    classNames: Array.from({ length: classes }, (_, i) => `class ${i}`),
    predict(input, shape) {
      const rows = shape[0] as number;
      const out = new Float32Array(rows * classes);
      const h = new Float32Array(hidden);
      for (let r = 0; r < rows; r++) {
        h.fill(0);
        for (let i = 0; i < n; i++) {
          const x = (input[r * n + i] as number) / 255;
          if (x === 0) continue;
          const row = i * hidden;
          for (let j = 0; j < hidden; j++) h[j] = (h[j] as number) + x * (w1[row + j] as number);
        }
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < classes; k++) {
          let s = 0;
          for (let j = 0; j < hidden; j++) s += Math.max(0, h[j] as number) * (w2[j * classes + k] as number);
          out[r * classes + k] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let k = 0; k < classes; k++) {
          const e = Math.exp((out[r * classes + k] as number) - max);
          out[r * classes + k] = e;
          sum += e;
        }
        for (let k = 0; k < classes; k++) out[r * classes + k] = (out[r * classes + k] as number) / sum;
      }
      return out;
    },
  };
}
