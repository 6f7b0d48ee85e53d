// An in-test Determined master: the REST calls this package makes, as /work's specs define them
// (lowerCamelCase JSON, int64 as strings, enums as names, errors as {error: {code, reason, error}}).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';

type Json = Record<string, unknown>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly grpc: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
const notFound = (what: string) => new HttpError(404, 5, 'NotFound', `${what} not found`);

/** A ustar archive of a directory (what GET /checkpoints/{uuid} serves). */
export function tarDirectory(dir: string): Buffer {
  const blocks: Buffer[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else {
        const rel = relative(dir, p).split(sep).join('/');
        const data = readFileSync(p);
        const h = Buffer.alloc(512);
        h.write(rel, 0, 100);
        h.write('0000644\0', 100);
        h.write('0000000\0', 108);
        h.write('0000000\0', 116);
        h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
        h.write(
          `${Math.floor(st.mtimeMs / 1000)
            .toString(8)
            .padStart(11, '0')}\0`,
          136,
        );
        h.write('        ', 148);
        h.write('0', 156);
        h.write('ustar\0', 257);
        h.write('00', 263);
        let sum = 0;
        for (const b of h) sum += b;
        h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
        blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
      }
    }
  };
  walk(dir);
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export interface FakeMaster {
  url: string;
  /** Every request the master saw: method, path and raw body (to check what went over the wire). */
  requests: { method: string; path: string; body: string; authorization?: string }[];
  /** Make the next trials (in order) for experiments. */
  close(): Promise<void>;
}

export async function startFakeMaster(opts: { user: string; password: string }): Promise<FakeMaster> {
  const tokens = new Set<string>();
  const experiments = new Map<number, { e: Json; config: Json }>();
  const trials = new Map<number, Json>();
  const metrics: Json[] = [];
  const checkpoints = new Map<string, Json>();
  const models = new Map<string, Json>();
  const versions = new Map<string, Json[]>();
  const requests: FakeMaster['requests'] = [];
  let nextId = 1;
  const time = () => new Date().toISOString();

  const experiment = (id: string | undefined) => {
    const x = experiments.get(Number(id));
    if (!x) throw notFound(`experiment ${id}`);
    return x;
  };
  const trial = (id: string | undefined) => {
    const t = trials.get(Number(id));
    if (!t) throw notFound(`trial ${id}`);
    return t;
  };
  const model = (name: string | undefined) => {
    const m = models.get(decodeURIComponent(name ?? ''));
    if (!m) throw notFound(`model ${name}`);
    return m;
  };
  const checkpoint = (uuid: string | undefined) => {
    const c = checkpoints.get(decodeURIComponent(uuid ?? ''));
    if (!c) throw notFound(`checkpoint ${uuid}`);
    return c;
  };
  const page = (items: Json[], url: URL) => {
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 0) || items.length;
    const slice = items.slice(offset, offset + limit);
    return {
      items: slice,
      pagination: { offset, limit, startIndex: offset, endIndex: offset + slice.length, total: items.length },
    };
  };
  const storageDir = (c: Json) => {
    const e = experiments.get(Number(obj(c.training).experimentId))!;
    const s = obj(e.config.checkpoint_storage);
    return join(String(s.host_path), String(s.storage_path ?? 'determined-checkpoint'), String(c.uuid));
  };

  type Handler = (m: RegExpMatchArray, body: Json, url: URL) => Json | Buffer | string;
  const routes: [string, RegExp, Handler][] = [
    [
      'POST',
      /^\/api\/v1\/experiments$/,
      (_m, body) => {
        const config = parse(String(body.config)) as Json;
        const id = nextId++;
        const searcher = obj(config.searcher);
        const e: Json = {
          id,
          name: config.name ?? 'experiment',
          description: config.description ?? '',
          labels: [],
          startTime: time(),
          state: body.activate === false ? 'STATE_PAUSED' : 'STATE_ACTIVE',
          archived: false,
          numTrials: 0,
          trialIds: [],
          username: opts.user,
          searcherType: searcher.name,
          searcherMetric: searcher.metric,
          projectId: 1,
          jobId: randomUUID(),
          originalConfig: body.config,
          projectOwnerId: 1,
          checkpointSize: '0',
          checkpointCount: 0,
          progress: 0,
          config,
        };
        experiments.set(id, { e, config });
        const n =
          searcher.name === 'random' || searcher.name === 'adaptive_asha' ? Number(searcher.max_trials) : 1;
        const hps = obj(config.hyperparameters);
        for (let i = 0; i < n; i++) {
          const tid = nextId++;
          const hparams = Object.fromEntries(
            Object.entries(hps).map(([k, v]) => [
              k,
              typeof v === 'object' && v && 'val' in v ? (v as Json).val : v,
            ]),
          );
          trials.set(tid, {
            id: tid,
            experimentId: id,
            startTime: time(),
            state: 'STATE_ACTIVE',
            restarts: 0,
            hparams,
            totalBatchesProcessed: 0,
            bestValidation: null,
            latestValidation: null,
            bestCheckpoint: null,
            runnerState: '',
            wallClockTime: 0,
            totalCheckpointSize: '0',
            checkpointCount: 0,
            taskIds: [`${id}.${randomUUID()}`],
          });
          (e.trialIds as number[]).push(tid);
          e.numTrials = Number(e.numTrials) + 1;
        }
        return { experiment: e, config, warnings: [] };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/experiments$/,
      (_m, _b, url) => {
        const all = [...experiments.values()].map((x) => x.e).reverse();
        const p = page(all, url);
        return { experiments: p.items, pagination: p.pagination };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/experiments\/(\d+)$/,
      (m) => {
        const x = experiment(m[1]);
        return { experiment: x.e, jobSummary: null, config: x.config };
      },
    ],
    [
      'POST',
      /^\/api\/v1\/experiments\/(\d+)\/kill$/,
      (m) => {
        const x = experiment(m[1]);
        x.e.state = 'STATE_CANCELED';
        for (const t of trials.values())
          if (t.experimentId === x.e.id && t.state === 'STATE_ACTIVE') t.state = 'STATE_CANCELED';
        return {};
      },
    ],
    [
      'POST',
      /^\/api\/v1\/experiments\/(\d+)\/activate$/,
      (m) => {
        experiment(m[1]).e.state = 'STATE_ACTIVE';
        return {};
      },
    ],
    [
      'GET',
      /^\/api\/v1\/experiments\/(\d+)\/trials$/,
      (m, _b, url) => {
        const x = experiment(m[1]);
        const p = page(
          [...trials.values()].filter((t) => t.experimentId === x.e.id),
          url,
        );
        return { trials: p.items, pagination: p.pagination };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/experiments\/(\d+)\/checkpoints$/,
      (m, _b, url) => {
        const x = experiment(m[1]);
        const p = page(
          [...checkpoints.values()].filter((c) => obj(c.training).experimentId === x.e.id),
          url,
        );
        return { checkpoints: p.items, pagination: p.pagination };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/trials\/metrics\/trial_metrics$/,
      (_m, _b, url) => {
        const ids = url.searchParams.getAll('trialIds').map(Number);
        const group = url.searchParams.get('group');
        const rows = metrics.filter((r) => ids.includes(Number(r.trialId)) && r.group === group);
        return `${JSON.stringify({ result: { metrics: rows } })}\n`;
      },
    ],
    ['GET', /^\/api\/v1\/trials\/(\d+)$/, (m) => ({ trial: trial(m[1]) })],
    [
      'GET',
      /^\/api\/v1\/trials\/(\d+)\/checkpoints$/,
      (m, _b, url) => {
        const t = trial(m[1]);
        const p = page(
          [...checkpoints.values()].filter((c) => obj(c.training).trialId === t.id),
          url,
        );
        return { checkpoints: p.items, pagination: p.pagination };
      },
    ],
    [
      'POST',
      /^\/api\/v1\/trials\/(\d+)\/metrics$/,
      (m, body) => {
        const t = trial(m[1]);
        const tm = obj(body.metrics);
        if (Number(tm.trialId) !== t.id)
          throw new HttpError(400, 3, 'InvalidArgument', 'metrics.trialId does not match the path');
        const group = String(body.group);
        const row = {
          trialId: t.id,
          endTime: time(),
          metrics: { avg_metrics: obj(obj(tm.metrics).avgMetrics) },
          totalBatches: tm.stepsCompleted,
          archived: false,
          id: metrics.length + 1,
          trialRunId: tm.trialRunId,
          group,
        };
        metrics.push(row);
        t.totalBatchesProcessed = Math.max(Number(t.totalBatchesProcessed), Number(tm.stepsCompleted));
        if (group === 'validation') {
          const w = {
            endTime: row.endTime,
            metrics: { avgMetrics: obj(obj(tm.metrics).avgMetrics) },
            totalBatches: tm.stepsCompleted,
          };
          t.latestValidation = w;
          t.bestValidation = w;
        }
        return {};
      },
    ],
    [
      'POST',
      /^\/api\/v1\/trials\/(\d+)\/progress$/,
      (m) => {
        trial(m[1]);
        return {};
      },
    ],
    [
      'POST',
      /^\/api\/v1\/checkpoints$/,
      (_m, body) => {
        const t = [...trials.values()].find((x) => (x.taskIds as string[]).includes(String(body.taskId)));
        if (!t) throw new HttpError(400, 3, 'InvalidArgument', `no task ${String(body.taskId)}`);
        const last = (grp: string) =>
          obj(metrics.filter((r) => r.trialId === t.id && r.group === grp).at(-1)?.metrics).avg_metrics ?? {};
        const c = {
          ...body,
          training: {
            trialId: t.id,
            experimentId: t.experimentId,
            experimentConfig: experiments.get(Number(t.experimentId))!.config,
            hparams: t.hparams,
            trainingMetrics: { avgMetrics: last('training') },
            validationMetrics: { avgMetrics: last('validation') },
          },
        };
        checkpoints.set(String(body.uuid), c);
        t.bestCheckpoint = { uuid: body.uuid };
        return {};
      },
    ],
    ['GET', /^\/api\/v1\/checkpoints\/([^/]+)$/, (m) => ({ checkpoint: checkpoint(m[1]) })],
    ['GET', /^\/checkpoints\/([^/]+)$/, (m) => tarDirectory(storageDir(checkpoint(m[1])))],
    [
      'POST',
      /^\/api\/v1\/models$/,
      (_m, body) => {
        const name = String(body.name);
        if (models.has(name)) throw new HttpError(409, 6, 'AlreadyExists', `model ${name} already exists`);
        const mdl = {
          name,
          description: body.description ?? '',
          metadata: body.metadata ?? {},
          creationTime: time(),
          lastUpdatedTime: time(),
          id: nextId++,
          numVersions: 0,
          labels: body.labels ?? [],
          username: opts.user,
          workspaceId: 1,
          userId: 1,
          archived: false,
          notes: '',
        };
        models.set(name, mdl);
        versions.set(name, []);
        return { model: mdl };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/models$/,
      (_m, _b, url) => {
        const p = page([...models.values()], url);
        return { models: p.items, pagination: p.pagination };
      },
    ],
    ['GET', /^\/api\/v1\/models\/([^/]+)$/, (m) => ({ model: model(m[1]) })],
    [
      'POST',
      /^\/api\/v1\/models\/([^/]+)\/versions$/,
      (m, body) => {
        const mdl = model(m[1]);
        const c = checkpoint(String(body.checkpointUuid));
        const list = versions.get(String(mdl.name))!;
        const v = {
          model: mdl,
          checkpoint: c,
          version: list.length + 1,
          creationTime: time(),
          id: nextId++,
          name: body.name ?? '',
          metadata: body.metadata ?? {},
          lastUpdatedTime: time(),
          comment: body.comment ?? '',
          username: opts.user,
          userId: 1,
          labels: body.labels ?? [],
          notes: '',
        };
        list.push(v);
        mdl.numVersions = list.length;
        return { modelVersion: v };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/models\/([^/]+)\/versions$/,
      (m, _b, url) => {
        const mdl = model(m[1]);
        const p = page(versions.get(String(mdl.name))!, url);
        return { model: mdl, modelVersions: p.items, pagination: p.pagination };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/models\/([^/]+)\/versions\/(\d+)$/,
      (m) => {
        const mdl = model(m[1]);
        const v = versions.get(String(mdl.name))!.find((x) => x.version === Number(m[2]));
        if (!v) throw notFound(`model version ${m[2]}`);
        return { modelVersion: v };
      },
    ],
  ];

  const send = (res: ServerResponse, status: number, body: Json | Buffer | string) => {
    if (Buffer.isBuffer(body)) {
      res.writeHead(status, { 'content-type': 'application/x-tar' }).end(body);
    } else if (typeof body === 'string') {
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    } else {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      body: raw,
      authorization: req.headers.authorization,
    });
    try {
      const body = raw ? (JSON.parse(raw) as Json) : {};
      if (req.method === 'POST' && url.pathname === '/api/v1/auth/login') {
        if (body.username !== opts.user || body.password !== opts.password) {
          throw new HttpError(401, 16, 'Unauthenticated', 'invalid credentials');
        }
        const token = `tok-${randomUUID()}`;
        tokens.add(token);
        return send(res, 200, { token, user: { username: opts.user, id: 1 } });
      }
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      if (!token || !tokens.has(token))
        throw new HttpError(401, 16, 'Unauthenticated', 'invalid credentials');
      for (const [method, re, h] of routes) {
        const m = url.pathname.match(re);
        if (m && method === req.method) return send(res, 200, h(m, body, url));
      }
      throw new HttpError(404, 5, 'NotFound', `no route ${req.method} ${url.pathname}`);
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, 13, 'Internal', (e as Error).message);
      send(res, err.status, { error: { code: err.grpc, reason: err.reason, error: err.message } });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}
