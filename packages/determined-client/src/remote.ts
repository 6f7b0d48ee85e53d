import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { request } from 'undici';
import { stringify as toYaml } from 'yaml';
import { parseExperimentConfig } from './config.js';
import { AuthError, DeterminedError, type DeterminedErrorCode, NotFoundError } from './errors.js';
import { copyDirAtomic } from './internal/fs.js';
import { extractTar } from './internal/tar.js';
import { describeVersion } from './internal/version.js';
import type {
  Checkpoint,
  DeterminedClient,
  Experiment,
  ExperimentConfig,
  ExperimentState,
  Length,
  MetricGroup,
  MetricsReport,
  Model,
  ModelVersion,
  SearcherOperation,
  Trial,
  TrialContext,
  ValidationSummary,
} from './types.js';
import { TERMINAL_STATES } from './types.js';

type Json = Record<string, unknown>;

export interface RemoteDeterminedClientOptions {
  /** The master's address: `host:port` or `http(s)://host:port` (DET_MASTER). */
  master: string;
  /** Default `determined` (Determined's default user). */
  user?: string;
  password?: string;
  /** A session token to use instead of logging in. */
  token?: string;
}

/** `host:port` → `http://host:port`, without a trailing slash. */
export function masterUrl(master: string): string {
  const m = master.trim().replace(/\/+$/, '');
  if (!m) throw new DeterminedError('BAD_OPTIONS', 'the Determined master address is empty (set DET_MASTER)');
  const url = /^https?:\/\//.test(m) ? m : `http://${m}`;
  try {
    new URL(url);
  } catch {
    throw new DeterminedError('BAD_OPTIONS', `not a master address: ${JSON.stringify(master)}`);
  }
  return url;
}

const CODE_BY_STATUS: Record<number, DeterminedErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  409: 'CONFLICT',
};

/** One authenticated connection to a master's REST API. */
class Api {
  private token: string | undefined;
  private login: Promise<string> | undefined;
  readonly base: string;

  constructor(private readonly opts: RemoteDeterminedClientOptions) {
    this.base = masterUrl(opts.master);
    this.token = opts.token;
  }

  private async authenticate(): Promise<string> {
    if (this.token) return this.token;
    this.login ??= (async () => {
      const user = this.opts.user ?? 'determined';
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(`${this.base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: user, password: this.opts.password ?? '' }),
        });
      } catch (e) {
        throw new DeterminedError(
          'MASTER_UNAVAILABLE',
          `cannot reach the Determined master at ${this.base}`,
          'Check DET_MASTER.',
          {
            cause: e,
          },
        );
      }
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        this.login = undefined;
        // Only the status and the master's reason: the request carried the password.
        throw new AuthError(
          'LOGIN_FAILED',
          `login to ${this.base} as ${JSON.stringify(user)} failed (HTTP ${res.statusCode})`,
          'Check DET_USER and DET_PASS.',
        );
      }
      const token = (JSON.parse(text) as { token?: string }).token;
      if (!token) throw new AuthError('LOGIN_FAILED', `login to ${this.base} returned no token`);
      this.token = token;
      return token;
    })();
    return this.login;
  }

  async raw(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    opts: { body?: unknown; accept?: string; notFound?: DeterminedErrorCode } = {},
  ) {
    const token = await this.authenticate();
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: opts.accept ?? 'application/json',
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      });
    } catch (e) {
      throw new DeterminedError(
        'MASTER_UNAVAILABLE',
        `cannot reach the Determined master at ${this.base}`,
        'Check DET_MASTER.',
        {
          cause: e,
        },
      );
    }
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      let reason = text.slice(0, 500);
      try {
        const e = (JSON.parse(text) as { error?: { error?: string; reason?: string } }).error;
        reason = e?.error || e?.reason || reason;
      } catch {}
      const what = `${method} ${path}: ${reason || `HTTP ${res.statusCode}`}`;
      if (res.statusCode === 404) throw new NotFoundError(opts.notFound ?? 'NOT_FOUND', what);
      if (res.statusCode === 401)
        throw new AuthError('UNAUTHENTICATED', what, 'Log in again (check DET_USER/DET_PASS).');
      throw new DeterminedError(CODE_BY_STATUS[res.statusCode] ?? 'MASTER_ERROR', what);
    }
    return res;
  }

  async json<T = Json>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    opts: { body?: unknown; notFound?: DeterminedErrorCode } = {},
  ): Promise<T> {
    const res = await this.raw(method, path, opts);
    const text = await res.body.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** A server-streaming call: newline-delimited `{"result": ...}` objects. */
  async stream<T = Json>(path: string, notFound?: DeterminedErrorCode): Promise<T[]> {
    const res = await this.raw('GET', path, { notFound });
    const text = await res.body.text();
    const out: T[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { result?: T; error?: { error?: string } };
      if (msg.error)
        throw new DeterminedError('MASTER_ERROR', `GET ${path}: ${msg.error.error ?? 'stream error'}`);
      if (msg.result) out.push(msg.result);
    }
    return out;
  }
}

const state = (s: unknown): ExperimentState =>
  String(s ?? 'STATE_UNSPECIFIED').replace(/^STATE_/, '') as ExperimentState;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const int = (v: unknown): number | null => (v === undefined || v === null || v === '' ? null : Number(v));
/** Determined keeps metrics as {avg_metrics, batch_metrics}; callers want the averages. */
const avg = (m: unknown): Json => {
  const o = obj(m);
  return obj(o.avgMetrics ?? o.avg_metrics ?? o);
};

function toExperiment(e: Json, config?: unknown): Experiment {
  const cfg = obj(config ?? e.config);
  const searcher = obj(cfg.searcher);
  return {
    id: Number(e.id),
    name: String(e.name ?? ''),
    description: String(e.description ?? ''),
    state: state(e.state),
    searcherType: String(e.searcherType ?? searcher.name ?? ''),
    searcherMetric: String(e.searcherMetric ?? searcher.metric ?? ''),
    smallerIsBetter: searcher.smaller_is_better !== false,
    numTrials: Number(e.numTrials ?? 0),
    trialIds: ((e.trialIds as unknown[]) ?? []).map(Number),
    progress: Number(obj(e).progress ?? 0) || 0,
    startTime: String(e.startTime ?? ''),
    endTime: (e.endTime as string) ?? null,
    config: cfg,
  };
}

function toValidation(w: unknown): ValidationSummary | null {
  if (!w || typeof w !== 'object') return null;
  const o = w as Json;
  return { stepsCompleted: Number(o.totalBatches ?? 0), metrics: avg(o.metrics) };
}

function toTrial(t: Json, searcherMetric?: string): Trial {
  const best = toValidation(t.bestValidation);
  const m = searcherMetric ? best?.metrics[searcherMetric] : undefined;
  return {
    id: Number(t.id),
    experimentId: Number(t.experimentId),
    state: state(t.state),
    hparams: obj(t.hparams),
    restarts: Number(t.restarts ?? 0),
    stepsCompleted: Number(t.totalBatchesProcessed ?? 0),
    bestValidation: best,
    latestValidation: toValidation(t.latestValidation),
    searcherMetricValue:
      typeof m === 'number'
        ? m
        : typeof t.searcherMetricValue === 'number' && best
          ? t.searcherMetricValue
          : null,
    latestCheckpoint: (obj(t.bestCheckpoint).uuid as string) ?? null,
    startTime: String(t.startTime ?? ''),
    endTime: (t.endTime as string) ?? null,
  };
}

function toCheckpoint(c: Json): Checkpoint {
  const training = obj(c.training);
  const metadata = obj(c.metadata);
  return {
    uuid: String(c.uuid),
    experimentId: int(training.experimentId),
    trialId: int(training.trialId),
    state: state(c.state) as Checkpoint['state'],
    reportTime: String(c.reportTime ?? ''),
    stepsCompleted: int(metadata.steps_completed),
    metadata,
    resources: Object.fromEntries(Object.entries(obj(c.resources)).map(([k, v]) => [k, Number(v)])),
    hparams: obj(training.hparams),
    trainingMetrics: avg(training.trainingMetrics),
    validationMetrics: avg(training.validationMetrics),
    searcherMetric: typeof training.searcherMetric === 'number' ? training.searcherMetric : null,
  };
}

function toModel(m: Json): Model {
  return {
    id: Number(m.id),
    name: String(m.name),
    description: String(m.description ?? ''),
    metadata: obj(m.metadata),
    labels: ((m.labels as string[]) ?? []).map(String),
    numVersions: Number(m.numVersions ?? 0),
    createdAt: String(m.creationTime ?? ''),
    updatedAt: String(m.lastUpdatedTime ?? ''),
  };
}

function toVersion(v: Json, modelName: string): ModelVersion {
  return describeVersion({
    model: String(obj(v.model).name ?? modelName),
    version: Number(v.version),
    id: Number(v.id),
    name: String(v.name ?? ''),
    comment: String(v.comment ?? ''),
    labels: ((v.labels as string[]) ?? []).map(String),
    createdAt: String(v.creationTime ?? ''),
    metadata: obj(v.metadata),
    checkpoint: toCheckpoint(obj(v.checkpoint)),
  });
}

const enc = encodeURIComponent;

async function modelDefinitionFiles(dir: string) {
  const root = resolve(dir);
  const files: Json[] = [];
  async function walk(d: string) {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.git') continue;
      const p = join(d, e.name);
      const rel = relative(root, p).split(sep).join('/');
      const st = await stat(p);
      const common = {
        path: rel,
        mtime: String(Math.floor(st.mtimeMs / 1000)),
        mode: st.mode & 0o777,
        uid: 0,
        gid: 0,
      };
      // Types are tar type flags, as Determined's CLI sends them: '5' directory, '0' file.
      if (e.isDirectory()) {
        files.push({ ...common, type: 53, content: '' });
        await walk(p);
      } else if (e.isFile()) {
        files.push({ ...common, type: 48, content: (await readFile(p)).toString('base64') });
      }
    }
  }
  await walk(root);
  return files;
}

async function listAll(api: Api, path: string, key: string, notFound?: DeterminedErrorCode): Promise<Json[]> {
  const out: Json[] = [];
  const sepChar = path.includes('?') ? '&' : '?';
  for (let offset = 0; ; ) {
    const page = await api.json<Json>('GET', `${path}${sepChar}offset=${offset}&limit=500`, { notFound });
    const items = (page[key] as Json[]) ?? [];
    out.push(...items);
    const total = Number(obj(page.pagination).total ?? out.length);
    offset += items.length;
    if (items.length === 0 || out.length >= total) return out;
  }
}

/** A Determined master over its REST API (`/api/v1`), logged in with a bearer token. */
export function createRemoteDeterminedClient(opts: RemoteDeterminedClientOptions): DeterminedClient {
  if (!opts || typeof opts.master !== 'string') {
    throw new DeterminedError('BAD_OPTIONS', 'createRemoteDeterminedClient needs { master: "host:port" }');
  }
  const api = new Api(opts);

  const getExperiment = async (id: number) => {
    const r = await api.json('GET', `/api/v1/experiments/${id}`, { notFound: 'EXPERIMENT_NOT_FOUND' });
    return toExperiment(obj(r.experiment), r.config);
  };
  const getVersions = async (model: string) => {
    const r = await api.json('GET', `/api/v1/models/${enc(model)}/versions?limit=1000`, {
      notFound: 'MODEL_NOT_FOUND',
    });
    return ((r.modelVersions as Json[]) ?? [])
      .map((v) => toVersion(v, model))
      .sort((a, b) => a.version - b.version);
  };

  return {
    backend: 'remote',

    async createExperiment(input, o = {}) {
      const { warnings } = parseExperimentConfig(input);
      const body: Json = {
        config: typeof input === 'string' ? input : toYaml(input),
        activate: o.activate !== false,
        modelDefinition: o.modelDefinition ? await modelDefinitionFiles(o.modelDefinition) : [],
      };
      if (o.projectId !== undefined) body.projectId = o.projectId;
      const r = await api.json('POST', '/api/v1/experiments', { body });
      const launch = ((r.warnings as unknown[]) ?? []).map((w) => `master: ${String(w)}`);
      return {
        experiment: toExperiment(obj(r.experiment), r.config),
        warnings: [...warnings, ...launch],
        ignored: [],
      };
    },

    async activateExperiment(id) {
      await api.json('POST', `/api/v1/experiments/${id}/activate`, { notFound: 'EXPERIMENT_NOT_FOUND' });
    },

    async killExperiment(id) {
      await api.json('POST', `/api/v1/experiments/${id}/kill`, { notFound: 'EXPERIMENT_NOT_FOUND' });
    },

    getExperiment,

    async listExperiments(o = {}) {
      const q = `/api/v1/experiments?sortBy=SORT_BY_ID&orderBy=ORDER_BY_DESC&limit=${o.limit ?? 100}`;
      const r = await api.json('GET', q);
      return ((r.experiments as Json[]) ?? []).map((e) => toExperiment(e));
    },

    async waitForExperiment(id, o = {}) {
      let last: string | undefined;
      let lastProgress = -1;
      for (;;) {
        const e = await getExperiment(id);
        if (e.state !== last) o.onEvent?.({ type: 'state', experimentId: id, state: e.state });
        if (e.progress !== lastProgress)
          o.onEvent?.({ type: 'progress', experimentId: id, progress: e.progress });
        last = e.state;
        lastProgress = e.progress;
        if (TERMINAL_STATES.includes(e.state) || o.signal?.aborted) return e;
        await new Promise<void>((r) => {
          const t = setTimeout(r, o.pollMs ?? 2000);
          o.signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              r();
            },
            { once: true },
          );
        });
      }
    },

    async listTrials(experimentId) {
      const e = await getExperiment(experimentId);
      const trials = await listAll(
        api,
        `/api/v1/experiments/${experimentId}/trials?sortBy=SORT_BY_ID&orderBy=ORDER_BY_ASC`,
        'trials',
        'EXPERIMENT_NOT_FOUND',
      );
      return trials.map((t) => toTrial(t, e.searcherMetric));
    },

    async getTrial(id) {
      const r = await api.json('GET', `/api/v1/trials/${id}`, { notFound: 'TRIAL_NOT_FOUND' });
      return toTrial(obj(r.trial));
    },

    async getTrialMetrics(trialId, group: MetricGroup): Promise<MetricsReport[]> {
      await this.getTrial(trialId);
      const pages = await api.stream<{ metrics?: Json[] }>(
        `/api/v1/trials/metrics/trial_metrics?trialIds=${trialId}&group=${group}`,
        'TRIAL_NOT_FOUND',
      );
      return pages
        .flatMap((p) => p.metrics ?? [])
        .map((m) => ({
          trialId: Number(m.trialId),
          group,
          stepsCompleted: Number(m.totalBatches ?? 0),
          metrics: avg(m.metrics),
          reportTime: String(m.endTime ?? ''),
        }));
    },

    async listCheckpoints(q) {
      const list =
        'trialId' in q
          ? await listAll(api, `/api/v1/trials/${q.trialId}/checkpoints`, 'checkpoints', 'TRIAL_NOT_FOUND')
          : await listAll(
              api,
              `/api/v1/experiments/${q.experimentId}/checkpoints`,
              'checkpoints',
              'EXPERIMENT_NOT_FOUND',
            );
      return list.map(toCheckpoint).sort((a, b) => a.reportTime.localeCompare(b.reportTime));
    },

    async getCheckpoint(uuid) {
      const r = await api.json('GET', `/api/v1/checkpoints/${enc(uuid)}`, {
        notFound: 'CHECKPOINT_NOT_FOUND',
      });
      return toCheckpoint(obj(r.checkpoint));
    },

    async downloadCheckpoint(uuid, dest) {
      const res = await api.raw('GET', `/checkpoints/${enc(uuid)}`, {
        accept: 'application/x-tar',
        notFound: 'CHECKPOINT_NOT_FOUND',
      });
      const tar = Buffer.from(await res.body.arrayBuffer());
      const out = resolve(dest);
      await mkdir(out, { recursive: true });
      await extractTar(tar, out);
      return out;
    },

    async createModel(name, o = {}) {
      const r = await api
        .json('POST', '/api/v1/models', {
          body: {
            name,
            description: o.description ?? '',
            metadata: o.metadata ?? {},
            labels: o.labels ?? [],
          },
        })
        .catch((e: unknown) => {
          if (e instanceof DeterminedError && e.code === 'CONFLICT') {
            throw new DeterminedError('MODEL_EXISTS', `model ${JSON.stringify(name)} already exists`);
          }
          throw e;
        });
      return toModel(obj(r.model));
    },

    async getModel(name) {
      const r = await api.json('GET', `/api/v1/models/${enc(name)}`, { notFound: 'MODEL_NOT_FOUND' });
      return toModel(obj(r.model));
    },

    async listModels() {
      return (
        await listAll(api, '/api/v1/models?sortBy=SORT_BY_CREATION_TIME&orderBy=ORDER_BY_ASC', 'models')
      ).map(toModel);
    },

    async registerVersion(model, checkpointUuid, o = {}) {
      await this.getModel(model);
      await this.getCheckpoint(checkpointUuid);
      const r = await api.json('POST', `/api/v1/models/${enc(model)}/versions`, {
        body: {
          modelName: model,
          checkpointUuid,
          name: o.name ?? '',
          comment: o.comment ?? '',
          metadata: o.metadata ?? {},
          labels: o.labels ?? [],
        },
        notFound: 'MODEL_NOT_FOUND',
      });
      return toVersion(obj(r.modelVersion), model);
    },

    listVersions: getVersions,

    async getVersion(model, v) {
      if (v === 'latest') {
        const all = await getVersions(model);
        const last = all[all.length - 1];
        if (!last)
          throw new NotFoundError(
            'MODEL_VERSION_NOT_FOUND',
            `model ${JSON.stringify(model)} has no versions`,
          );
        return last;
      }
      await this.getModel(model);
      const r = await api.json('GET', `/api/v1/models/${enc(model)}/versions/${v}`, {
        notFound: 'MODEL_VERSION_NOT_FOUND',
      });
      return toVersion(obj(r.modelVersion), model);
    },

    async close() {},
  };
}

export interface RemoteTrialContextOptions extends RemoteDeterminedClientOptions {
  trialId: number;
  allocationId?: string;
  taskId?: string;
  runId?: number;
  /** Where to train to; default: the searcher's full length from the experiment config. */
  target?: Length | null;
}

/** Where a `shared_fs` (or `directory`) checkpoint storage keeps checkpoints, seen from this machine. */
function storageRoot(config: ExperimentConfig): string {
  const s = config.checkpointStorage ?? {};
  if (s.type === 'shared_fs' && typeof s.host_path === 'string') {
    return join(s.host_path, typeof s.storage_path === 'string' ? s.storage_path : 'determined-checkpoint');
  }
  if (s.type === 'directory' && typeof s.container_path === 'string') return s.container_path;
  throw new DeterminedError(
    'UNSUPPORTED',
    `checkpoint_storage type ${JSON.stringify(s.type ?? null)} cannot be written by this trial`,
    'Use checkpoint_storage {type: shared_fs, host_path: ...} mounted where the trial runs.',
  );
}

/** The trial side against a Determined master: its REST Core API calls (metrics, checkpoints, progress). */
export async function createRemoteTrialContext(opts: RemoteTrialContextOptions): Promise<TrialContext> {
  const api = new Api(opts);
  const trial = obj(
    (await api.json('GET', `/api/v1/trials/${opts.trialId}`, { notFound: 'TRIAL_NOT_FOUND' })).trial,
  );
  const experimentId = Number(trial.experimentId);
  const exp = await api.json('GET', `/api/v1/experiments/${experimentId}`, {
    notFound: 'EXPERIMENT_NOT_FOUND',
  });
  const config = parseExperimentConfig(obj(exp.config ?? obj(exp.experiment).config)).config;
  const target = opts.target !== undefined ? opts.target : config.searcher.maxLength;
  const runId = opts.runId ?? Number(trial.restarts ?? 0);
  const taskIds = (trial.taskIds as string[]) ?? [];
  const taskId = opts.taskId ?? taskIds[taskIds.length - 1] ?? String(trial.taskId ?? '');

  const report = async (group: MetricGroup, steps: number, metrics: Json) => {
    await api.json('POST', `/api/v1/trials/${opts.trialId}/metrics`, {
      body: {
        metrics: {
          trialId: opts.trialId,
          trialRunId: runId,
          stepsCompleted: steps,
          metrics: { avgMetrics: metrics },
        },
        group,
      },
      notFound: 'TRIAL_NOT_FOUND',
    });
  };

  const latestCheckpoint = async (): Promise<string | null> => {
    const list = await listAll(
      api,
      `/api/v1/trials/${opts.trialId}/checkpoints`,
      'checkpoints',
      'TRIAL_NOT_FOUND',
    );
    const done = list.map(toCheckpoint).filter((c) => c.state === 'COMPLETED');
    done.sort((a, b) => a.reportTime.localeCompare(b.reportTime));
    return done[done.length - 1]?.uuid ?? config.searcher.sourceCheckpointUuid ?? null;
  };
  const initialCheckpoint = await latestCheckpoint();

  return {
    backend: 'remote',
    experimentId,
    trialId: opts.trialId,
    runId,
    hparams: obj(trial.hparams),
    config,
    target,
    latestCheckpoint: initialCheckpoint,
    report: {
      training: (steps, metrics) => report('training', steps, metrics),
      validation: (steps, metrics) => report('validation', steps, metrics),
    },
    checkpoint: {
      async store(dir, steps, metadata = {}) {
        const root = storageRoot(config);
        const uuid = randomUUID();
        await mkdir(root, { recursive: true });
        const resources = await copyDirAtomic(dir, join(root, uuid));
        const body: Json = {
          taskId,
          uuid,
          reportTime: new Date().toISOString(),
          resources: Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, String(v)])),
          metadata: { ...metadata, steps_completed: steps },
          state: 'STATE_COMPLETED',
          training: {},
        };
        if (opts.allocationId) body.allocationId = opts.allocationId;
        await api.json('POST', '/api/v1/checkpoints', { body });
        return uuid;
      },
      async restore(uuid) {
        const id = uuid ?? (await latestCheckpoint());
        if (!id) return null;
        const c = toCheckpoint(
          obj(
            (await api.json('GET', `/api/v1/checkpoints/${enc(id)}`, { notFound: 'CHECKPOINT_NOT_FOUND' }))
              .checkpoint,
          ),
        );
        let dir: string | null = null;
        try {
          const candidate = join(storageRoot(config), id);
          if (existsSync(candidate)) dir = candidate;
        } catch {}
        if (!dir) {
          dir = await mkdtemp(join(tmpdir(), `det-ckpt-${id.slice(0, 8)}-`));
          const res = await api.raw('GET', `/checkpoints/${enc(id)}`, {
            accept: 'application/x-tar',
            notFound: 'CHECKPOINT_NOT_FOUND',
          });
          await extractTar(Buffer.from(await res.body.arrayBuffer()), dir);
        }
        return { uuid: id, dir, metadata: c.metadata };
      },
    },
    searcher: {
      async *operations(): AsyncIterable<SearcherOperation> {
        const length = target?.length ?? 0;
        yield {
          length,
          reportProgress: async (steps) => {
            await api.json('POST', `/api/v1/trials/${opts.trialId}/progress`, {
              body: {
                trialId: opts.trialId,
                progress: length ? Math.min(1, steps / length) : 0,
                isRaw: false,
              },
            });
          },
          // Determined 0.38 reads the searcher metric from validation metrics; there is nothing more to send.
          reportCompleted: async () => {},
        };
      },
      async progress(fraction) {
        await api.json('POST', `/api/v1/trials/${opts.trialId}/progress`, {
          body: { trialId: opts.trialId, progress: fraction, isRaw: false },
        });
      },
    },
    async shouldPreempt() {
      if (opts.allocationId) {
        const r = await api.json(
          'GET',
          `/api/v1/allocations/${enc(opts.allocationId)}/signals/preemption?timeoutSeconds=0`,
        );
        return r.preempt === true;
      }
      const t = obj((await api.json('GET', `/api/v1/trials/${opts.trialId}`)).trial);
      return !['ACTIVE', 'RUNNING', 'QUEUED', 'PULLING', 'STARTING'].includes(state(t.state));
    },
    async close() {},
  };
}
