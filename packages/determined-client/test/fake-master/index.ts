// An in-test Determined 0.38.1 master: the REST surface the real `det` CLI, the Python Core API harness
// and this package use, with the rules of the real one (see rules.ts for each rule's upstream file).
// Wire format as grpc-gateway writes it: lowerCamelCase JSON, int64 as strings, enums as names, errors
// as {error: {code, reason, error}}. It can run trials like a master does: `runTrial` is started with
// the container environment of a 0.38 master for each run, and preempted, paused, killed and resumed.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { registryRoutes } from './registry.js';
import {
  ashaTimeMetricError,
  checkExperimentConfig,
  checkRunId,
  credentials,
  HttpError,
  int32,
  invalid,
  notFound,
  passwordMatches,
  trialContainerEnv,
  unauthenticated,
} from './rules.js';
import { tarDirectory } from './tar.js';

type Json = Record<string, unknown>;

/** A trial run the master started: how it ends, and how the master stops it (a container's SIGKILL). */
export interface TrialRun {
  exit: Promise<number>;
  kill(): void;
}

export interface FakeMaster {
  url: string;
  /** Every request the master saw: method, path, raw body and credentials (to check what went over the wire). */
  requests: {
    method: string;
    path: string;
    body: string;
    authorization?: string;
    allocationToken?: string;
  }[];
  /** The container environment of the trial's current run, as a 0.38 master sets it. */
  trialEnv(trialId: number): Record<string, string>;
  /** Sets the preemption signal of the trial's current allocation (what a pause or a higher-priority job does). */
  preempt(trialId: number): void;
  /** Whether the trial's current allocation acknowledged its preemption signal. */
  preemptionAcked(trialId: number): boolean;
  close(): Promise<void>;
}

export interface FakeMasterOptions {
  user: string;
  password: string;
  /** Runs trials as a master would: called for each run with its container environment. */
  runTrial?: (env: Record<string, string>) => TrialRun;
}

interface Allocation {
  id: string;
  token: string;
  preempt: boolean;
  acked: boolean;
  waiters: (() => void)[];
}

const TERMINAL = new Set(['STATE_COMPLETED', 'STATE_CANCELED', 'STATE_ERROR', 'STATE_DELETED']);

export async function startFakeMaster(opts: FakeMasterOptions): Promise<FakeMaster> {
  const userTokens = new Set<string>();
  const allocations = new Map<string, Allocation>();
  const experiments = new Map<number, { e: Json; config: Json }>();
  const trials = new Map<number, Json>();
  const runs = new Map<number, TrialRun>();
  const metrics: Json[] = [];
  const logs: Json[] = [];
  const checkpoints = new Map<string, Json>();
  const requests: FakeMaster['requests'] = [];
  const clusterId = randomUUID();
  let url = '';
  let nextId = 1;
  const time = () => new Date().toISOString();
  const changed = new Set<() => void>();
  const notify = () => {
    for (const f of [...changed]) f();
  };

  const experiment = (id: string | number | undefined) => {
    const x = experiments.get(Number(id));
    if (!x) throw notFound(`experiment ${id}`);
    return x;
  };
  const trial = (id: string | number | undefined) => {
    const t = trials.get(Number(id));
    if (!t) throw notFound(`trial ${id}`);
    return t;
  };
  const checkpoint = (uuid: string | undefined) => {
    const c = checkpoints.get(decodeURIComponent(uuid ?? ''));
    if (!c) throw notFound(`checkpoint ${uuid}`);
    return c;
  };
  const allocationOf = (t: Json) => allocations.get(String(t.allocationId))!;
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
    const root = s.type === 'directory' ? String(s.container_path) : String(s.host_path);
    return join(
      root,
      s.type === 'directory' ? '' : String(s.storage_path ?? 'determined-checkpoint'),
      String(c.uuid),
    );
  };
  const latestCheckpointOf = (t: Json) =>
    [...checkpoints.values()]
      .filter((c) => obj(c.training).trialId === t.id && c.state === 'STATE_COMPLETED')
      .sort((a, b) => String(a.reportTime).localeCompare(String(b.reportTime)))
      .at(-1);
  const log = (t: Json, message: string) => {
    logs.push({
      id: logs.length + 1,
      trialId: t.id,
      message: `${message}\n`,
      level: 'LOG_LEVEL_INFO',
      timestamp: time(),
    });
    notify();
  };

  /** A new allocation (task run) for the trial: new id, new session token (master/internal/task/allocation.go). */
  const allocate = (t: Json) => {
    const a: Allocation = {
      id: `${t.taskId}.${Number(t.runId)}`,
      token: `alloc-${randomUUID()}`,
      preempt: false,
      acked: false,
      waiters: [],
    };
    allocations.set(a.id, a);
    t.allocationId = a.id;
    return a;
  };
  const envOf = (t: Json) => {
    const x = experiment(Number(t.experimentId));
    const userToken = `tok-${randomUUID()}`;
    userTokens.add(userToken);
    return trialContainerEnv({
      masterUrl: url,
      clusterId,
      taskId: String(t.taskId),
      allocationId: String(t.allocationId),
      allocationToken: allocationOf(t).token,
      userToken,
      user: opts.user,
      experimentId: Number(t.experimentId),
      trialId: Number(t.id),
      runId: Number(t.runId),
      seed: Number(t.seed),
      config: x.config,
      hparams: obj(t.hparams),
      stepsCompleted: Number(obj(latestCheckpointOf(t)?.metadata).steps_completed ?? 0),
      latestCheckpoint: (latestCheckpointOf(t)?.uuid as string | undefined) ?? null,
    });
  };
  const finishExperiment = (x: { e: Json; config: Json }) => {
    const ts = [...trials.values()].filter((t) => t.experimentId === x.e.id);
    if (TERMINAL.has(String(x.e.state)) || !ts.every((t) => TERMINAL.has(String(t.state)))) return;
    x.e.state = ts.every((t) => t.state === 'STATE_ERROR') ? 'STATE_ERROR' : 'STATE_COMPLETED';
    x.e.endTime = time();
    x.e.progress = 1;
  };
  /** Starts the trial's next run (a master with a free slot); what its exit means follows task/allocation.go. */
  const launch = (t: Json) => {
    if (!opts.runTrial || runs.has(Number(t.id))) return;
    allocate(t);
    t.state = 'STATE_RUNNING';
    log(t, `starting trial ${t.id} run ${t.runId}`);
    const run = opts.runTrial(envOf(t));
    runs.set(Number(t.id), run);
    void run.exit.then((code) => {
      runs.delete(Number(t.id));
      const x = experiment(Number(t.experimentId));
      const a = allocationOf(t);
      log(t, `trial ${t.id} run ${t.runId} exited with ${code}`);
      if (x.e.state === 'STATE_STOPPING_KILLED' || t.state === 'STATE_CANCELED') t.state = 'STATE_CANCELED';
      else if (code === 0 && a.preempt && a.acked) t.state = 'STATE_PAUSED';
      else if (code === 0) t.state = 'STATE_COMPLETED';
      else if (Number(t.restarts) < Number(x.config.max_restarts ?? 5)) {
        t.restarts = Number(t.restarts) + 1;
        t.runId = Number(t.runId) + 1;
        t.state = 'STATE_ACTIVE';
        launch(t);
        return;
      } else t.state = 'STATE_ERROR';
      if (t.state !== 'STATE_PAUSED') t.endTime = time();
      if (TERMINAL.has(String(t.state)) && x.e.state === 'STATE_STOPPING_KILLED') {
        if ([...trials.values()].every((o) => o.experimentId !== x.e.id || !runs.has(Number(o.id))))
          x.e.state = 'STATE_CANCELED';
      }
      finishExperiment(x);
      notify();
    });
  };

  type Handler = (m: RegExpMatchArray, body: Json, url: URL, auth: { allocation?: Allocation }) => unknown;
  const routes: [string, RegExp, Handler][] = [
    [
      'GET',
      /^\/api\/v1\/master$/,
      () => ({
        version: '0.38.1',
        masterId: clusterId,
        clusterId,
        clusterName: 'fake',
        telemetryEnabled: false,
        hasCustomLogo: false,
        strictJobQueueControl: false,
        ssoProviders: [],
        rbacEnabled: false,
        userManagementEnabled: true,
      }),
    ],
    ['GET', /^\/api\/v1\/me$/, () => ({ user: { id: 1, username: opts.user, admin: true, active: true } })],
    [
      'POST',
      /^\/api\/v1\/experiments$/,
      (_m, body) => {
        let config: Json;
        try {
          // YAML 1.1, as JSONFromYaml (master/pkg/schemas/util.go) reads it through go-yaml v2.
          config = obj(parse(String(body.config ?? ''), { version: '1.1' }));
        } catch (e) {
          throw invalid(`invalid experiment config: ${(e as Error).message}`);
        }
        checkExperimentConfig(config);
        // master/internal/api_experiment.go CreateExperiment: validateOnly answers an empty experiment.
        if (body.validateOnly === true) return { experiment: {}, config };
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
          userId: 1,
          // As a 0.38.1 master answers them: the searcher name JSON-quoted, the metric empty (the config has both).
          searcherType: JSON.stringify(searcher.name),
          searcherMetric: '',
          projectId: 1,
          workspaceId: 1,
          jobId: randomUUID(),
          originalConfig: body.config,
          projectOwnerId: 1,
          checkpointSize: '0',
          checkpointCount: 0,
          progress: 0,
          hyperparameters: config.hyperparameters ?? {},
          resourcePool: 'default',
          forkedFrom: null,
          parentArchived: false,
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
          const t: Json = {
            id: tid,
            experimentId: id,
            startTime: time(),
            state: 'STATE_ACTIVE',
            restarts: 0,
            runId: 0,
            seed: 1000 + i,
            hparams,
            totalBatchesProcessed: 0,
            bestValidation: null,
            latestValidation: null,
            bestCheckpoint: null,
            runnerState: '',
            wallClockTime: 0,
            totalCheckpointSize: '0',
            checkpointCount: 0,
            taskId: `${id}.${randomUUID()}`,
          };
          t.taskIds = [t.taskId];
          allocate(t);
          trials.set(tid, t);
          (e.trialIds as number[]).push(tid);
          e.numTrials = Number(e.numTrials) + 1;
        }
        if (e.state === 'STATE_ACTIVE') for (const tid of e.trialIds as number[]) launch(trials.get(tid)!);
        return { experiment: e, config, warnings: [] };
      },
    ],
    [
      'GET',
      /^\/api\/v1\/experiments$/,
      (_m, _b, url) => {
        // GetExperiments (master/internal/api_experiment.go) reads searcher_type and searcher_metric
        // with ->> (unquoted, filled, unlike GetExperiment's ->), and intentionally sends no trial_ids.
        const listed = [...experiments.values()].map(({ e, config }) => ({
          ...e,
          searcherType: String(obj(config.searcher).name ?? ''),
          searcherMetric: String(obj(config.searcher).metric ?? ''),
          trialIds: [],
        }));
        const p = page(listed.reverse(), url);
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
        if (TERMINAL.has(String(x.e.state))) return {};
        x.e.state = 'STATE_STOPPING_KILLED';
        for (const t of trials.values()) {
          if (t.experimentId !== x.e.id || TERMINAL.has(String(t.state))) continue;
          t.state = 'STATE_CANCELED';
          t.endTime = time();
          runs.get(Number(t.id))?.kill();
        }
        if (![...runs.keys()].some((id) => trials.get(id)?.experimentId === x.e.id))
          x.e.state = 'STATE_CANCELED';
        return {};
      },
    ],
    [
      'POST',
      /^\/api\/v1\/experiments\/(\d+)\/pause$/,
      (m) => {
        // A pause preempts running trials; they checkpoint, acknowledge and exit (experiment.go, allocation.go).
        const x = experiment(m[1]);
        x.e.state = 'STATE_PAUSED';
        for (const t of trials.values())
          if (t.experimentId === x.e.id && runs.has(Number(t.id))) setPreempt(t);
        return {};
      },
    ],
    [
      'POST',
      /^\/api\/v1\/experiments\/(\d+)\/activate$/,
      (m) => {
        const x = experiment(m[1]);
        if (TERMINAL.has(String(x.e.state))) throw invalid(`experiment ${x.e.id} is ${String(x.e.state)}`);
        x.e.state = 'STATE_ACTIVE';
        for (const t of trials.values()) {
          if (t.experimentId !== x.e.id || TERMINAL.has(String(t.state)) || runs.has(Number(t.id))) continue;
          if (t.state === 'STATE_PAUSED') t.runId = Number(t.runId) + 1;
          t.state = 'STATE_ACTIVE';
          launch(t);
        }
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
      'GET',
      /^\/api\/v1\/trials\/(\d+)\/logs$/,
      async (m, _b, url) => {
        // A server stream: NDJSON {result} lines, held open with follow=true until the trial ends.
        const t = trial(m[1]);
        if (url.searchParams.get('follow') === 'true') {
          await new Promise<void>((r) => {
            const check = () => {
              if (TERMINAL.has(String(t.state)) && !runs.has(Number(t.id))) {
                changed.delete(check);
                r();
              }
            };
            changed.add(check);
            check();
          });
        }
        return logs
          .filter((l) => l.trialId === t.id)
          .map((l) => `${JSON.stringify({ result: l })}\n`)
          .join('');
      },
    ],
    [
      'POST',
      /^\/api\/v1\/trials\/(\d+)\/metrics$/,
      (m, body) => {
        const t = trial(m[1]);
        const tm = obj(body.metrics);
        if (Number(tm.trialId) !== t.id) throw invalid('metrics.trialId does not match the path');
        const steps = int32(tm.stepsCompleted, 'metrics.stepsCompleted');
        int32(tm.trialRunId, 'metrics.trialRunId');
        checkRunId(tm.trialRunId, Number(t.runId), String(body.group));
        const group = String(body.group);
        const avgMetrics = obj(obj(tm.metrics).avgMetrics);
        if (group === 'validation') {
          const x = experiment(Number(t.experimentId));
          const why = ashaTimeMetricError(x.config, avgMetrics);
          if (why) {
            x.e.state = 'STATE_ERROR';
            throw new HttpError(500, 13, 'Internal', why);
          }
        }
        const row = {
          trialId: t.id,
          endTime: time(),
          metrics: { avg_metrics: avgMetrics },
          totalBatches: steps,
          archived: false,
          id: metrics.length + 1,
          trialRunId: tm.trialRunId,
          group,
        };
        metrics.push(row);
        t.totalBatchesProcessed = Math.max(Number(t.totalBatchesProcessed), steps);
        if (group === 'validation') {
          const w = { endTime: row.endTime, metrics: { avgMetrics }, totalBatches: steps };
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
    ['POST', /^\/api\/v1\/runs\/start$/, () => ({ storageId: 1 })],
    [
      'GET',
      /^\/api\/v1\/allocations\/([^/]+)\/resources\/([^/]+)\/rendezvous$/,
      // One container with one slot on this machine (AllocationRendezvousInfo, api_tasks.go).
      () => ({ rendezvousInfo: { addresses: ['127.0.0.1'], rank: 0, slots: [1] } }),
    ],
    [
      'GET',
      /^\/api\/v1\/allocations\/([^/]+)\/signals\/preemption$/,
      async (m, _b, url) => {
        // AllocationPreemptionSignal: a long poll that answers when the signal is set or the timeout passes.
        const a = allocations.get(decodeURIComponent(m[1]!));
        if (!a) throw notFound(`allocation ${m[1]}`);
        const timeout = Number(
          url.searchParams.get('timeoutSeconds') ?? url.searchParams.get('timeout_seconds') ?? 0,
        );
        if (!a.preempt && timeout > 0) {
          await new Promise<void>((r) => {
            const timer = setTimeout(r, timeout * 1000);
            a.waiters.push(() => {
              clearTimeout(timer);
              r();
            });
          });
        }
        return { preempt: a.preempt };
      },
    ],
    [
      'POST',
      /^\/api\/v1\/allocations\/([^/]+)\/signals\/ack_preemption$/,
      (m) => {
        const a = allocations.get(decodeURIComponent(m[1]!));
        if (!a) throw notFound(`allocation ${m[1]}`);
        a.acked = true;
        return {};
      },
    ],
    [
      'POST',
      /^\/api\/v1\/checkpoints$/,
      (_m, body) => {
        const t = [...trials.values()].find((x) => (x.taskIds as string[]).includes(String(body.taskId)));
        if (!t) throw invalid(`no task ${String(body.taskId)}`);
        const meta = obj(body.metadata);
        // The master's checkpoint views cast metadata.steps_completed to an integer; anything else breaks them.
        int32(meta.steps_completed, 'checkpoint.metadata.steps_completed');
        // checkpoints_view (master/static/migrations/20240131154725_add-storage-config.tx.up.sql) joins
        // the trial's reports at the checkpoint's steps_completed when it is read, not when it is
        // reported; with none there, the master answers {avgMetrics: null, batchMetrics: []}.
        const steps = Number(meta.steps_completed);
        const at = (grp: string) =>
          metrics.find((r) => r.trialId === t.id && r.group === grp && r.totalBatches === steps);
        const config = experiments.get(Number(t.experimentId))!.config;
        const c = {
          ...body,
          training: {
            trialId: t.id,
            experimentId: t.experimentId,
            experimentConfig: config,
            hparams: t.hparams,
            get trainingMetrics() {
              return { avgMetrics: obj(at('training')?.metrics).avg_metrics ?? null, batchMetrics: [] };
            },
            get validationMetrics() {
              return { avgMetrics: obj(at('validation')?.metrics).avg_metrics ?? null };
            },
            get searcherMetric() {
              const v = obj(obj(at('validation')?.metrics).avg_metrics)[String(obj(config.searcher).metric)];
              return typeof v === 'number' ? v : null;
            },
          },
        };
        checkpoints.set(String(body.uuid), c);
        t.bestCheckpoint = { uuid: body.uuid, state: body.state, totalBatches: meta.steps_completed };
        t.checkpointCount = Number(t.checkpointCount) + 1;
        return {};
      },
    ],
    ['GET', /^\/api\/v1\/checkpoints\/([^/]+)$/, (m) => ({ checkpoint: checkpoint(m[1]) })],
    ['GET', /^\/checkpoints\/([^/]+)$/, (m) => tarDirectory(storageDir(checkpoint(m[1])))],
    ...registryRoutes({ user: opts.user, nextId: () => nextId++, checkpoint, page }),
  ];

  function setPreempt(t: Json) {
    const a = allocationOf(t);
    a.preempt = true;
    for (const w of a.waiters.splice(0)) w();
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    if (Buffer.isBuffer(body)) res.writeHead(status, { 'content-type': 'application/x-tar' }).end(body);
    else if (typeof body === 'string')
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const cred = credentials(req.headers);
    requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      body: raw,
      authorization: req.headers.authorization,
      allocationToken: cred.allocation,
    });
    try {
      const body = raw ? (JSON.parse(raw) as Json) : {};
      if (req.method === 'POST' && url.pathname === '/api/v1/auth/login') {
        if (body.username !== opts.user || !passwordMatches(body.password, body.isHashed, opts.password)) {
          throw unauthenticated('invalid credentials');
        }
        const token = `tok-${randomUUID()}`;
        userTokens.add(token);
        return send(res, 200, { token, user: { username: opts.user, id: 1, admin: true, active: true } });
      }
      // Answered without credentials: GetMaster (grpcutil/auth.go unauthenticatedMethods) and the echo
      // route /info (master/internal/core.go, snake_case), which `det` asks first for the version.
      if (req.method === 'GET' && url.pathname === '/api/v1/master')
        return send(res, 200, routes[0]![2](null as never, {}, url, {}));
      if (req.method === 'GET' && url.pathname === '/info') {
        return send(res, 200, {
          cluster_id: clusterId,
          master_id: clusterId,
          version: '0.38.1',
          cluster_name: 'fake',
        });
      }
      let allocation: Allocation | undefined;
      if (cred.allocation) {
        allocation = [...allocations.values()].find((a) => a.token === cred.allocation);
        if (!allocation) throw unauthenticated('invalid allocation token');
      } else if (!cred.user || !userTokens.has(cred.user)) {
        // An allocation token in Authorization is looked up as a user session and not found (auth.go).
        throw unauthenticated(cred.present ? 'invalid credentials' : 'credentials not found');
      }
      for (const [method, re, h] of routes) {
        const m = url.pathname.match(re);
        if (m && method === req.method) return send(res, 200, await h(m, body, url, { allocation }));
      }
      throw notFound(`no route ${req.method} ${url.pathname}`);
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, 13, 'Internal', (e as Error).message);
      send(res, err.status, { error: { code: err.grpc, reason: err.reason, error: err.message } });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    trialEnv: (trialId) => envOf(trial(trialId)),
    preempt: (trialId) => setPreempt(trial(trialId)),
    preemptionAcked: (trialId) => allocationOf(trial(trialId)).acked,
    close: async () => {
      for (const r of runs.values()) r.kill();
      await Promise.all([...runs.values()].map((r) => r.exit));
      for (const a of allocations.values()) for (const w of a.waiters.splice(0)) w();
      for (const f of [...changed]) changed.delete(f);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}
