import { parseArgs } from 'node:util';
import type { ServeOptions } from './serve.js';

/** A flag mistake: the bin prints it with the usage and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: fmnist-serve --model-dir DIR [--name NAME] [--version V] [--port 9000] [--host 127.0.0.1]
       [--max-batch-size 8] [--max-wait-ms 0] [--concurrency 4] [--max-queued-rows 4096]
       [--timeout-ms 30000] [--max-body-size 5mb] [--json]

Serves a saved model folder over Seldon Core's prediction protocol and the Open Inference Protocol (V2).
Under Seldon's operator, PREDICTIVE_UNIT_HTTP_SERVICE_PORT sets the default port,
PREDICTIVE_UNIT_METRICS_SERVICE_PORT and PREDICTIVE_UNIT_METRICS_ENDPOINT add a metrics listener, and
PREDICTIVE_UNIT_ID / PREDICTIVE_UNIT_IMAGE name this node in meta.requestPath.
SIGTERM or Ctrl-C finishes in-flight requests, then exits.`;

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|k|m|g|kib|mib|gib)?$/i;
const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `5mb`, `512kb`, `1048576`: bytes, in the units express's body parsers take (1 kb = 1024 bytes). */
export function parseSize(flag: string, text: string): number {
  const m = SIZE.exec(text.trim());
  if (!m) throw new UsageError(`${flag} must be a size such as 5mb, 512kb or 1048576, got "${text}"`);
  const unit = (m[2] ?? 'b').toLowerCase()[0] as string;
  const bytes = Math.floor(Number(m[1]) * (UNITS[unit] as number));
  if (bytes < 1024) throw new UsageError(`${flag} must be at least 1kb, got "${text}"`);
  return bytes;
}

function integer(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  return n;
}

/**
 * What Seldon's operator tells a model container through its environment, as the Python wrapper reads it
 * (SeldonIO/seldon-core v1.17.1 python/seldon_core/microservice.py, env_utils.py, wrapper.py): the HTTP port
 * (PREDICTIVE_UNIT_HTTP_SERVICE_PORT), the metrics port and path (PREDICTIVE_UNIT_METRICS_SERVICE_PORT,
 * PREDICTIVE_UNIT_METRICS_ENDPOINT, default `/metrics`; the operator sets `/prometheus`), and the graph
 * node's id and image for `meta.requestPath` (PREDICTIVE_UNIT_ID, PREDICTIVE_UNIT_IMAGE, which the wrapper
 * defaults to `NOT_IMPLEMENTED:NOT_IMPLEMENTED`). Absent variables leave the options alone.
 */
export function seldonEnvironment(env: NodeJS.ProcessEnv = process.env): Partial<ServeOptions> {
  const out: Partial<ServeOptions> = {};
  const port = (name: string) => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const n = integer(name, text, 0, 65_535);
    return n;
  };
  const http = port('PREDICTIVE_UNIT_HTTP_SERVICE_PORT');
  if (http !== undefined) out.port = http;
  const metrics = port('PREDICTIVE_UNIT_METRICS_SERVICE_PORT');
  if (metrics !== undefined) {
    out.metricsPort = metrics;
    out.metricsPath = env.PREDICTIVE_UNIT_METRICS_ENDPOINT || '/metrics';
  }
  if (env.PREDICTIVE_UNIT_ID) {
    out.predictiveUnit = {
      id: env.PREDICTIVE_UNIT_ID,
      image: env.PREDICTIVE_UNIT_IMAGE || 'NOT_IMPLEMENTED:NOT_IMPLEMENTED',
    };
  }
  return out;
}

/** The bin's flags as serveModel options; `help` when asked for the usage. */
export function parseServeArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): { help: true } | { help: false; json: boolean; options: ServeOptions } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'model-dir': { type: 'string' },
        name: { type: 'string' },
        version: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'max-batch-size': { type: 'string' },
        'max-wait-ms': { type: 'string' },
        concurrency: { type: 'string' },
        'max-queued-rows': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'max-body-size': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };
  const text = (k: string) => values[k] as string | undefined;
  const modelDir = text('model-dir');
  if (!modelDir)
    throw new UsageError(
      'give --model-dir DIR (a saved model folder: model.json, weights.bin, metadata.json)',
    );
  const maxWait = text('max-wait-ms');
  const maxWaitMs = maxWait === undefined ? undefined : Number(maxWait);
  if (maxWaitMs !== undefined && !(maxWaitMs >= 0 && maxWaitMs <= 60_000))
    throw new UsageError(`--max-wait-ms must be a number of milliseconds from 0 to 60000, got "${maxWait}"`);
  const bodySize = text('max-body-size');
  return {
    help: false,
    json: values.json === true,
    options: {
      ...seldonEnvironment(env),
      modelDir,
      name: text('name'),
      version: text('version'),
      ...definedOnly({ port: integer('--port', text('port'), 0, 65_535) }),
      host: text('host'),
      maxBatchSize: integer('--max-batch-size', text('max-batch-size'), 1, 65_536),
      maxWaitMs,
      concurrency: integer('--concurrency', text('concurrency'), 1, 1024),
      maxQueuedRows: integer('--max-queued-rows', text('max-queued-rows'), 1, 10_000_000),
      timeoutMs: integer('--timeout-ms', text('timeout-ms'), 1, 2_147_483_647),
      maxBodyBytes: bodySize === undefined ? undefined : parseSize('--max-body-size', bodySize),
    },
  };
}

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
