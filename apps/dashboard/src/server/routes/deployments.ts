import { createServer } from 'node:net';
import { type Router, Router as router } from 'express';
import type {
  DeployAnswer,
  DeploymentRow,
  DeploymentsAnswer,
  DeployRequest as PageDeployRequest,
  PredictAnswer,
  PredictRequest,
  PredictTarget,
} from '../../shared/api.js';
import { ask, type Engines } from '../engines.js';
import { DashboardError } from '../errors.js';
import {
  histogramQuantile,
  type PredictionTraffic,
  parsePrometheus,
  predictionTraffic,
  trafficSince,
} from '../prometheus.js';
import { text, wholeNumber } from './params.js';
import { checkpointDir } from './registry.js';

/** A model served directly (not through a deployer), e.g. by the pipeline beside the dashboard. */
export interface ServedModel {
  name: string;
  model: string;
  version: number;
  /** Base URL of its Seldon server, e.g. http://127.0.0.1:9000 */
  url: string;
}

const PROBE_MS = 2000;

async function probe(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(PROBE_MS) });
}

/** The Seldon v1 answer's class probabilities, as an ndarray or a tensor. */
function probabilities(body: unknown): { names: string[]; values: number[] } {
  const data = (body as { data?: { names?: string[]; ndarray?: number[][]; tensor?: { values?: number[] } } })
    .data;
  const values = data?.ndarray?.[0] ?? data?.tensor?.values;
  if (!Array.isArray(values))
    throw new DashboardError('TARGET_UNREACHABLE', 'the model answered without probabilities');
  return { names: data?.names ?? [], values: values.map(Number) };
}

/** A port nothing listens on now, for a new deployment that names none (9000 is the pipeline's). */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => ok(port));
    });
  });
}

function portOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new DashboardError('BAD_REQUEST', `"port" must be a whole number from 1 to 65535, got "${value}"`);
  return n;
}

export function deploymentRoutes(engines: Engines, served: () => ServedModel[], home: string): Router {
  const r = router();
  // The previous look at each deployment's counters, so a rate covers the time between two looks.
  const seen = new Map<string, { at: number; traffic: PredictionTraffic }>();

  async function measure(row: DeploymentRow): Promise<DeploymentRow> {
    if (!row.url) return row;
    const base = row.url.replace(/\/$/, '');
    row.swaggerUrl = `${base}/api/v1.0/doc/`;
    try {
      const ping = await probe(`${base}/health/ping`);
      row.health = ping.ok ? 'ok' : 'down';
      if (!ping.ok) row.healthMessage = `health check answered ${ping.status}`;
    } catch (e) {
      row.health = 'down';
      row.healthMessage = `no answer from ${base}: ${(e as Error).message}`;
      return row;
    }
    try {
      const text = await (await probe(`${base}/prometheus`)).text();
      const now = predictionTraffic(parsePrometheus(text));
      const key = `${row.source}/${row.name}`;
      const before = seen.get(key);
      const at = performance.now();
      seen.set(key, { at, traffic: now });
      const window = trafficSince(now, before?.traffic);
      row.requestsTotal = now.total;
      row.requestsPerSecond = before ? window.total / Math.max(0.001, (at - before.at) / 1000) : null;
      // Latency over the window when it saw requests, else since the server started.
      const buckets = window.total > 0 ? window.buckets : now.buckets;
      const q = (x: number) => histogramQuantile(x, buckets);
      const [p50, p95, p99] = [q(0.5), q(0.95), q(0.99)];
      row.latencyMs =
        p50 === null || p95 === null || p99 === null
          ? null
          : { p50: p50 * 1000, p95: p95 * 1000, p99: p99 * 1000 };
    } catch (e) {
      row.healthMessage = `metrics unavailable: ${(e as Error).message}`;
    }
    return row;
  }

  async function list(): Promise<DeploymentsAnswer> {
    const rows: DeploymentRow[] = served().map((s) => ({
      name: s.name,
      target: 'local',
      model: s.model,
      version: s.version,
      state: 'Serving',
      url: s.url,
      source: 'served',
      health: 'unknown',
      requestsPerSecond: null,
      requestsTotal: null,
      latencyMs: null,
    }));
    const errors: DeploymentsAnswer['errors'] = [];
    for (const d of await ask('deployer', () => engines.deployers())) {
      try {
        for (const info of await d.list())
          rows.push({
            ...info,
            source: d.target,
            health: 'unknown',
            requestsPerSecond: null,
            requestsTotal: null,
            latencyMs: null,
          });
      } catch (e) {
        errors.push({ target: d.target, message: (e as Error).message });
      }
    }
    return { deployments: await Promise.all(rows.map(measure)), errors };
  }

  r.get('/deployments', async (_req, res) => {
    res.json(await list());
  });

  // Serves a registered version on this machine, as "fmnist deploy --model M --version N" does; a
  // deployment of that name moves to the version (the old server stops once the new one answers).
  r.post('/deployments', async (req, res) => {
    const body = (req.body ?? {}) as Partial<PageDeployRequest>;
    const model = text(body.model, '"model"');
    const version = wholeNumber(String(body.version ?? ''), '"version"');
    const name = body.name ? text(body.name, '"name"') : model;
    const v = await ask('master', () => engines.master.getVersion(model, version));
    const modelDir = await checkpointDir(home, engines.master, v.checkpoint.uuid);
    const deployer = await ask('deployer', () => engines.localDeployer());
    const existing = await ask('deployer', () => deployer.get(name));
    const port = portOf(body.port) ?? (existing ? undefined : await freePort());
    const info = await ask('deployer', () =>
      deployer.deploy({ model, version, modelDir, name, ...(port ? { port } : {}) }),
    );
    const answer: DeployAnswer = {
      deployment: await measure({
        ...info,
        source: 'local',
        health: 'unknown',
        requestsPerSecond: null,
        requestsTotal: null,
        latencyMs: null,
      }),
    };
    res.json(answer);
  });

  async function targets(): Promise<(PredictTarget & { url: string })[]> {
    const { deployments } = await list();
    return deployments
      .filter((d) => d.url && d.health === 'ok')
      .map((d) => ({
        id: `${d.source}/${d.name}`,
        label: `${d.name}: ${d.model} v${d.version} at ${d.url}`,
        model: d.model,
        version: d.version,
        url: d.url as string,
      }));
  }

  r.get('/predict/targets', async (_req, res) => {
    res.json((await targets()).map(({ url: _url, ...t }) => t));
  });

  r.post('/predict', async (req, res) => {
    const body = (req.body ?? {}) as Partial<PredictRequest>;
    const pixels = body.pixels;
    if (!Array.isArray(pixels) || pixels.length !== 784 || pixels.some((p) => !(p >= 0 && p <= 255)))
      throw new DashboardError('BAD_REQUEST', '"pixels" must be 784 values from 0 to 255 (a 28×28 image)');
    // Only a known deployment is asked: the dashboard never forwards to an address the page names.
    const target = (await targets()).find((t) => t.id === body.target);
    if (!target)
      throw new DashboardError('NOT_FOUND', `no serving deployment "${body.target}"`, 'see /deployments');
    const started = performance.now();
    const answer = await ask('model', async () => {
      const reply = await fetch(`${target.url.replace(/\/$/, '')}/api/v1.0/predictions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: { names: ['feature1'], tensor: { shape: [28, 28], values: pixels } } }),
        signal: AbortSignal.timeout(10_000),
      });
      const json = (await reply.json()) as unknown;
      if (!reply.ok)
        throw new Error(
          `the model answered ${reply.status}: ${JSON.stringify((json as { status?: unknown }).status ?? json)}`,
        );
      return probabilities(json);
    });
    const out: PredictAnswer = {
      target: target.id,
      classNames: answer.names,
      probabilities: answer.values,
      ms: performance.now() - started,
    };
    res.json(out);
  });

  return r;
}
