import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { extractTar } from '@fmnist/fs-kit';
import { stringify as toYaml } from 'yaml';
import { assertRunnableByDetermined, parseExperimentConfig } from '../config/index.js';
import { DeterminedError, NotFoundError } from '../errors.js';
import type { DeterminedClient, ExperimentEvent, MetricGroup, MetricsReport } from '../types.js';
import { TERMINAL_STATES } from '../types.js';
import { Api, type Json, type RemoteDeterminedClientOptions } from './api.js';
import { readContext } from './context.js';
import {
  avg,
  latestCompleted,
  obj,
  toCheckpoint,
  toExperiment,
  toModel,
  toTrial,
  toVersion,
} from './mappers.js';

const enc = encodeURIComponent;

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
  const trialCheckpoints = (id: number) =>
    api.listAll(`/api/v1/trials/${id}/checkpoints`, 'checkpoints', 'TRIAL_NOT_FOUND');
  const listTrials = async (experimentId: number) => {
    const e = await getExperiment(experimentId);
    const trials = await api.listAll(
      `/api/v1/experiments/${experimentId}/trials?sortBy=SORT_BY_ID&orderBy=ORDER_BY_ASC`,
      'trials',
      'EXPERIMENT_NOT_FOUND',
    );
    const checkpoints = await api.listAll(
      `/api/v1/experiments/${experimentId}/checkpoints`,
      'checkpoints',
      'EXPERIMENT_NOT_FOUND',
    );
    return trials.map((t) =>
      toTrial(
        t,
        e.searcherMetric,
        latestCompleted(checkpoints.filter((c) => Number(obj(c.training).trialId) === Number(t.id))),
      ),
    );
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
      const { config, warnings } = parseExperimentConfig(input);
      // What a 0.38 master would refuse is refused here, saying why, before anything is sent.
      assertRunnableByDetermined(config);
      const body: Json = {
        config: typeof input === 'string' ? input : toYaml(input),
        activate: o.activate !== false,
        modelDefinition: o.modelDefinition ? await readContext(o.modelDefinition) : [],
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

    /** Polls the experiment and its trials, emitting the events the embedded master emits as it runs. */
    async waitForExperiment(id, o = {}) {
      const emit = (e: ExperimentEvent) => o.onEvent?.(e);
      let last: string | undefined;
      let lastProgress = -1;
      const seen = new Map<number, { steps: number; state: string }>();
      for (;;) {
        const e = await getExperiment(id);
        if (e.state !== last) emit({ type: 'state', experimentId: id, state: e.state });
        if (o.onEvent) {
          for (const t of await listTrials(id)) {
            const before = seen.get(t.id);
            if (!before)
              emit({
                type: 'trial-started',
                trialId: t.id,
                hparams: t.hparams,
                target: null,
                run: t.restarts,
              });
            const v = t.latestValidation;
            if (v && v.stepsCompleted !== before?.steps) {
              const metric = v.metrics[e.searcherMetric];
              emit({
                type: 'validation',
                trialId: t.id,
                stepsCompleted: v.stepsCompleted,
                metric: typeof metric === 'number' ? metric : null,
              });
            }
            if (TERMINAL_STATES.includes(t.state) && before?.state !== t.state) {
              emit({ type: 'trial-closed', trialId: t.id, state: t.state });
            }
            seen.set(t.id, { steps: v?.stepsCompleted ?? -1, state: t.state });
          }
        }
        if (e.progress !== lastProgress) emit({ type: 'progress', experimentId: id, progress: e.progress });
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

    listTrials,

    async getTrial(id) {
      const r = await api.json('GET', `/api/v1/trials/${id}`, { notFound: 'TRIAL_NOT_FOUND' });
      const t = obj(r.trial);
      // The trial's own searcherMetricValue is 0 until the searcher sets it (always, for an
      // unmanaged trial): read the metric from its best validation, by the experiment's metric name.
      const { searcherMetric } = await getExperiment(Number(t.experimentId));
      return toTrial(t, searcherMetric, latestCompleted(await trialCheckpoints(id)));
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
          ? await trialCheckpoints(q.trialId)
          : await api.listAll(
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
        await api.listAll('/api/v1/models?sortBy=SORT_BY_CREATION_TIME&orderBy=ORDER_BY_ASC', 'models')
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
        const last = all.at(-1);
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
