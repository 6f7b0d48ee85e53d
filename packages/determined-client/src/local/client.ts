import { existsSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExperimentConfig } from '../config/index.js';
import { DeterminedError, NotFoundError } from '../errors.js';
import { describeVersion } from '../internal/version.js';
import { createSearcher } from '../search.js';
import type { DeterminedClient, Experiment, ModelVersion, TrialRunner } from '../types.js';
import * as sql from './db.js';
import { isAlive, toCheckpoint, toExperiment, toMetricsReport, toModel, toTrial } from './rows.js';
import { runExperiment } from './scheduler.js';

export interface LocalDeterminedClientOptions {
  /** The fmnist home; the master keeps `<home>/determined/master.db` and `checkpoints/<uuid>/`. */
  home: string;
  /** How to start a trial process; needed only to run experiments (`waitForExperiment`). */
  trialRunner?: TrialRunner;
  /** Trial processes at once (default: one per core; the searcher's max_concurrent_trials caps it). */
  workers?: number;
  /** How often the scheduler checks for kills while trials run (ms, default 250). */
  pollMs?: number;
}

const FINISHED = ['COMPLETED', 'CANCELED', 'ERROR', 'DELETED'];

function checkOptions(opts: LocalDeterminedClientOptions) {
  if (!opts || typeof opts.home !== 'string' || !opts.home) {
    throw new DeterminedError('BAD_OPTIONS', 'createLocalDeterminedClient needs { home: <directory> }');
  }
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 1)) {
    throw new DeterminedError('BAD_OPTIONS', `workers must be a positive integer, got ${opts.workers}`);
  }
  const r = opts.trialRunner;
  if (
    r !== undefined &&
    typeof r !== 'function' &&
    (typeof r !== 'object' || typeof r.command !== 'string')
  ) {
    throw new DeterminedError(
      'BAD_OPTIONS',
      'trialRunner must be { command, args?, env?, cwd? } or a function',
    );
  }
}

/** The embedded master: experiments, trials and the registry in SQLite under the fmnist home. */
export function createLocalDeterminedClient(opts: LocalDeterminedClientOptions): DeterminedClient {
  checkOptions(opts);
  const home = resolve(opts.home);
  const paths = sql.masterPaths(home);
  const db = sql.openDb(home);

  const experimentRow = (id: number) => {
    const r = sql.getExperimentRow(db, id);
    if (!r) throw new NotFoundError('EXPERIMENT_NOT_FOUND', `experiment ${id} not found`);
    return r;
  };
  const experiment = (id: number): Experiment => toExperiment(experimentRow(id), sql.trialIdsOf(db, id));
  const trialRow = (id: number) => {
    const r = sql.getTrialRow(db, id);
    if (!r) throw new NotFoundError('TRIAL_NOT_FOUND', `trial ${id} not found`);
    return r;
  };
  const checkpointRow = (uuid: string) => {
    const r = sql.getCheckpointRow(db, uuid);
    if (!r) throw new NotFoundError('CHECKPOINT_NOT_FOUND', `checkpoint ${uuid} not found`);
    return r;
  };
  const modelRow = (name: string) => {
    const r = sql.getModelRow(db, name);
    if (!r) throw new NotFoundError('MODEL_NOT_FOUND', `model ${JSON.stringify(name)} not found`);
    return r;
  };
  const version = (model: sql.ModelRow, v: sql.VersionRow): ModelVersion =>
    describeVersion({
      model: model.name,
      version: v.version,
      id: v.id,
      name: v.name,
      comment: v.comment,
      labels: JSON.parse(v.labels),
      createdAt: v.created,
      metadata: JSON.parse(v.metadata),
      checkpoint: toCheckpoint(checkpointRow(v.checkpoint_uuid)),
    });

  return {
    backend: 'local',

    async createExperiment(input, o = {}) {
      const { config, warnings, ignored } = parseExperimentConfig(input);
      // The seed is fixed at creation so a resumed search samples the same trials.
      const raw = {
        ...config.raw,
        reproducibility: { ...((config.raw.reproducibility as object) ?? {}), experiment_seed: config.seed },
      };
      const id = sql.write(db, () => {
        const id = sql.insertExperiment(db, {
          name: config.name,
          description: config.description,
          state: o.activate === false ? 'PAUSED' : 'ACTIVE',
          config: JSON.stringify(raw),
        });
        const searcher = createSearcher(config);
        sql.applySearchOps(db, id, searcher.initialOperations());
        sql.saveSearcherState(db, id, searcher.snapshot(), searcher.progress());
        return id;
      });
      return { experiment: experiment(id), warnings, ignored };
    },

    async activateExperiment(id) {
      sql.write(db, () => {
        const r = experimentRow(id);
        if (FINISHED.includes(r.state)) {
          throw new DeterminedError('CONFLICT', `experiment ${id} is ${r.state} and cannot be activated`);
        }
        if (r.runner_pid && isAlive(r.runner_pid)) return;
        sql.setExperimentState(db, id, 'ACTIVE');
        sql.setRunner(db, id, null);
        sql.requeueRunningTrials(db, id);
      });
    },

    async killExperiment(id) {
      sql.write(db, () => {
        const r = experimentRow(id);
        if (FINISHED.includes(r.state)) return;
        if (r.runner_pid && isAlive(r.runner_pid)) {
          // The process running it stops its trials and marks it CANCELED.
          sql.setExperimentState(db, id, 'STOPPING_KILLED');
          return;
        }
        sql.cancelUnfinishedTrials(db, id);
        sql.endExperiment(db, id, 'CANCELED');
      });
    },

    async getExperiment(id) {
      return experiment(id);
    },

    async listExperiments(o = {}) {
      return sql.listExperimentRows(db, o.limit).map((r) => toExperiment(r, sql.trialIdsOf(db, r.id)));
    },

    async waitForExperiment(id, o = {}) {
      experimentRow(id);
      await runExperiment({
        db,
        home,
        experimentId: id,
        runner: opts.trialRunner,
        workers: opts.workers ?? availableParallelism(),
        onEvent: o.onEvent,
        signal: o.signal,
        pollMs: o.pollMs ?? opts.pollMs ?? 250,
      });
      return experiment(id);
    },

    async listTrials(experimentId) {
      experimentRow(experimentId);
      return sql.listTrialRows(db, experimentId).map(toTrial);
    },

    async getTrial(id) {
      return toTrial(trialRow(id));
    },

    async getTrialMetrics(trialId, group) {
      trialRow(trialId);
      return sql.listMetricsRows(db, trialId, group).map(toMetricsReport);
    },

    async listCheckpoints(q) {
      if ('trialId' in q) trialRow(q.trialId);
      else experimentRow(q.experimentId);
      return sql.listCheckpointRows(db, q).map(toCheckpoint);
    },

    async getCheckpoint(uuid) {
      return toCheckpoint(checkpointRow(uuid));
    },

    async downloadCheckpoint(uuid, dest) {
      checkpointRow(uuid);
      const src = join(paths.checkpoints, uuid);
      if (!existsSync(src)) {
        throw new NotFoundError(
          'CHECKPOINT_NOT_FOUND',
          `the files of checkpoint ${uuid} are missing from ${src}`,
        );
      }
      await mkdir(dest, { recursive: true });
      await cp(src, dest, { recursive: true });
      return resolve(dest);
    },

    async createModel(name, o = {}) {
      if (!name || typeof name !== 'string' || /^\d+$/.test(name)) {
        throw new DeterminedError(
          'BAD_REQUEST',
          `model name must be a non-numeric, non-empty string, got ${JSON.stringify(name)}`,
        );
      }
      sql.write(db, () => {
        if (sql.getModelRow(db, name)) {
          throw new DeterminedError('MODEL_EXISTS', `model ${JSON.stringify(name)} already exists`);
        }
        sql.insertModel(db, {
          name,
          description: o.description ?? '',
          metadata: o.metadata ?? {},
          labels: o.labels ?? [],
        });
      });
      return toModel(modelRow(name));
    },

    async getModel(name) {
      return toModel(modelRow(name));
    },

    async listModels() {
      return sql.listModelRows(db).map(toModel);
    },

    async registerVersion(model, checkpointUuid, o = {}) {
      const v = sql.write(db, () => {
        const m = modelRow(model);
        const cp = checkpointRow(checkpointUuid);
        if (cp.state !== 'COMPLETED') {
          throw new DeterminedError('CONFLICT', `checkpoint ${checkpointUuid} is ${cp.state}, not COMPLETED`);
        }
        return sql.insertVersion(db, m.id, {
          checkpointUuid,
          name: o.name ?? '',
          comment: o.comment ?? '',
          labels: o.labels ?? [],
          metadata: o.metadata ?? {},
        });
      });
      return this.getVersion(model, v);
    },

    async listVersions(model) {
      const m = modelRow(model);
      return sql.listVersionRows(db, m.id).map((v) => version(m, v));
    },

    async getVersion(model, v) {
      const m = modelRow(model);
      const row = sql.getVersionRow(db, m.id, v);
      if (!row) {
        throw new NotFoundError(
          'MODEL_VERSION_NOT_FOUND',
          `model ${JSON.stringify(model)} has no version ${v}`,
        );
      }
      return version(m, row);
    },

    async close() {
      db.close();
    },
  };
}
