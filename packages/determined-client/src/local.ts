import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExperimentConfig } from './config.js';
import { DeterminedError, NotFoundError } from './errors.js';
import { copyDirAtomic } from './internal/fs.js';
import { applyOps, runExperiment, saveSearcher } from './internal/master.js';
import {
  type CheckpointRow,
  type Db,
  type ExperimentRow,
  isAlive,
  type ModelRow,
  masterPaths,
  now,
  openDb,
  type TrialRow,
  toCheckpoint,
  toExperiment,
  toMetricsReport,
  toModel,
  toTrial,
  write,
} from './internal/store.js';
import { describeVersion } from './internal/version.js';
import { createSearcher } from './search.js';
import type {
  DeterminedClient,
  Experiment,
  ExperimentConfig,
  Length,
  Metrics,
  ModelVersion,
  SearcherOperation,
  TrialContext,
  TrialRunner,
  ValidationSummary,
} from './types.js';

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
  const paths = masterPaths(home);
  const db = openDb(home);

  const experimentRow = (id: number) => {
    const r = db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as ExperimentRow | undefined;
    if (!r) throw new NotFoundError('EXPERIMENT_NOT_FOUND', `experiment ${id} not found`);
    return r;
  };
  const trialIds = (id: number) =>
    (db.prepare('SELECT id FROM trials WHERE experiment_id = ? ORDER BY id').all(id) as { id: number }[]).map(
      (x) => x.id,
    );
  const experiment = (id: number): Experiment => toExperiment(experimentRow(id), trialIds(id));
  const checkpointRow = (uuid: string) => {
    const r = db.prepare('SELECT * FROM checkpoints WHERE uuid = ?').get(uuid) as CheckpointRow | undefined;
    if (!r) throw new NotFoundError('CHECKPOINT_NOT_FOUND', `checkpoint ${uuid} not found`);
    return r;
  };
  const modelRow = (name: string) => {
    const r = db
      .prepare(
        'SELECT m.*, (SELECT COUNT(*) FROM model_versions v WHERE v.model_id = m.id) AS num_versions FROM models m WHERE name = ?',
      )
      .get(name) as ModelRow | undefined;
    if (!r) throw new NotFoundError('MODEL_NOT_FOUND', `model ${JSON.stringify(name)} not found`);
    return r;
  };
  const version = (model: ModelRow, v: Record<string, unknown>): ModelVersion =>
    describeVersion({
      model: model.name,
      version: v.version as number,
      id: v.id as number,
      name: v.name as string,
      comment: v.comment as string,
      labels: JSON.parse(v.labels as string),
      createdAt: v.created as string,
      metadata: JSON.parse(v.metadata as string),
      checkpoint: toCheckpoint(checkpointRow(v.checkpoint_uuid as string)),
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
      const id = write(db, () => {
        const r = db
          .prepare(
            `INSERT INTO experiments (name, description, state, config, start_time) VALUES (?, ?, ?, ?, ?) RETURNING id`,
          )
          .get(
            config.name,
            config.description,
            o.activate === false ? 'PAUSED' : 'ACTIVE',
            JSON.stringify(raw),
            now(),
          ) as {
          id: number;
        };
        const searcher = createSearcher(config);
        applyOps(db, r.id, searcher.initialOperations());
        saveSearcher(db, r.id, searcher);
        return r.id;
      });
      return { experiment: experiment(id), warnings, ignored };
    },

    async activateExperiment(id) {
      write(db, () => {
        const r = experimentRow(id);
        if (['COMPLETED', 'CANCELED', 'ERROR', 'DELETED'].includes(r.state)) {
          throw new DeterminedError('CONFLICT', `experiment ${id} is ${r.state} and cannot be activated`);
        }
        if (r.runner_pid && isAlive(r.runner_pid)) return;
        db.prepare(`UPDATE experiments SET state = 'ACTIVE', runner_pid = NULL WHERE id = ?`).run(id);
        db.prepare(`UPDATE trials SET state = 'ACTIVE' WHERE experiment_id = ? AND state = 'RUNNING'`).run(
          id,
        );
      });
    },

    async killExperiment(id) {
      write(db, () => {
        const r = experimentRow(id);
        if (['COMPLETED', 'CANCELED', 'ERROR', 'DELETED'].includes(r.state)) return;
        if (r.runner_pid && isAlive(r.runner_pid)) {
          // The process running it stops its trials and marks it CANCELED.
          db.prepare(`UPDATE experiments SET state = 'STOPPING_KILLED' WHERE id = ?`).run(id);
          return;
        }
        db.prepare(
          `UPDATE trials SET state = 'CANCELED', end_time = COALESCE(end_time, ?)
           WHERE experiment_id = ? AND state NOT IN ('COMPLETED', 'ERROR', 'CANCELED')`,
        ).run(now(), id);
        db.prepare(
          `UPDATE experiments SET state = 'CANCELED', end_time = ?, runner_pid = NULL WHERE id = ?`,
        ).run(now(), id);
      });
    },

    async getExperiment(id) {
      return experiment(id);
    },

    async listExperiments(o = {}) {
      const rows = db
        .prepare('SELECT * FROM experiments ORDER BY id DESC LIMIT ?')
        .all(o.limit ?? -1) as ExperimentRow[];
      return rows.map((r) => toExperiment(r, trialIds(r.id)));
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
      const rows = db.prepare('SELECT * FROM trials WHERE experiment_id = ? ORDER BY id').all(experimentId);
      return (rows as TrialRow[]).map(toTrial);
    },

    async getTrial(id) {
      const r = db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as TrialRow | undefined;
      if (!r) throw new NotFoundError('TRIAL_NOT_FOUND', `trial ${id} not found`);
      return toTrial(r);
    },

    async getTrialMetrics(trialId, group) {
      await this.getTrial(trialId);
      const rows = db
        .prepare('SELECT * FROM metrics WHERE trial_id = ? AND grp = ? ORDER BY id')
        .all(trialId, group);
      return (rows as Parameters<typeof toMetricsReport>[0][]).map(toMetricsReport);
    },

    async listCheckpoints(q) {
      if ('trialId' in q) {
        await this.getTrial(q.trialId);
        const rows = db
          .prepare('SELECT * FROM checkpoints WHERE trial_id = ? ORDER BY report_time')
          .all(q.trialId);
        return (rows as CheckpointRow[]).map(toCheckpoint);
      }
      experimentRow(q.experimentId);
      const rows = db
        .prepare('SELECT * FROM checkpoints WHERE experiment_id = ? ORDER BY report_time')
        .all(q.experimentId);
      return (rows as CheckpointRow[]).map(toCheckpoint);
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
      write(db, () => {
        if (db.prepare('SELECT 1 FROM models WHERE name = ?').get(name)) {
          throw new DeterminedError('MODEL_EXISTS', `model ${JSON.stringify(name)} already exists`);
        }
        const t = now();
        db.prepare(
          'INSERT INTO models (name, description, metadata, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(
          name,
          o.description ?? '',
          JSON.stringify(o.metadata ?? {}),
          JSON.stringify(o.labels ?? []),
          t,
          t,
        );
      });
      return toModel(modelRow(name));
    },

    async getModel(name) {
      return toModel(modelRow(name));
    },

    async listModels() {
      const rows = db
        .prepare(
          'SELECT m.*, (SELECT COUNT(*) FROM model_versions v WHERE v.model_id = m.id) AS num_versions FROM models m ORDER BY m.id',
        )
        .all() as ModelRow[];
      return rows.map(toModel);
    },

    async registerVersion(model, checkpointUuid, o = {}) {
      const v = write(db, () => {
        const m = modelRow(model);
        const cp = checkpointRow(checkpointUuid);
        if (cp.state !== 'COMPLETED') {
          throw new DeterminedError('CONFLICT', `checkpoint ${checkpointUuid} is ${cp.state}, not COMPLETED`);
        }
        const next = (
          db
            .prepare('SELECT COALESCE(MAX(version), 0) + 1 AS n FROM model_versions WHERE model_id = ?')
            .get(m.id) as {
            n: number;
          }
        ).n;
        const t = now();
        db.prepare(
          `INSERT INTO model_versions (model_id, version, checkpoint_uuid, name, comment, labels, metadata, created)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          m.id,
          next,
          checkpointUuid,
          o.name ?? '',
          o.comment ?? '',
          JSON.stringify(o.labels ?? []),
          JSON.stringify(o.metadata ?? {}),
          t,
        );
        db.prepare('UPDATE models SET updated = ? WHERE id = ?').run(t, m.id);
        return next;
      });
      return this.getVersion(model, v);
    },

    async listVersions(model) {
      const m = modelRow(model);
      const rows = db.prepare('SELECT * FROM model_versions WHERE model_id = ? ORDER BY version').all(m.id);
      return (rows as Record<string, unknown>[]).map((v) => version(m, v));
    },

    async getVersion(model, v) {
      const m = modelRow(model);
      const row = (
        v === 'latest'
          ? db
              .prepare('SELECT * FROM model_versions WHERE model_id = ? ORDER BY version DESC LIMIT 1')
              .get(m.id)
          : db.prepare('SELECT * FROM model_versions WHERE model_id = ? AND version = ?').get(m.id, v)
      ) as Record<string, unknown> | undefined;
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

export interface LocalTrialContextOptions {
  home: string;
  trialId: number;
  /** The target the master set for this run; default: the trial's pending operation. */
  target?: Length | null;
}

/** The trial side of the embedded master (Determined's Core API over the same SQLite database). */
export function createLocalTrialContext(opts: LocalTrialContextOptions): TrialContext {
  const home = resolve(opts.home);
  const paths = masterPaths(home);
  const db: Db = openDb(home);
  const t = db.prepare('SELECT * FROM trials WHERE id = ?').get(opts.trialId) as TrialRow | undefined;
  if (!t) {
    db.close();
    throw new NotFoundError('TRIAL_NOT_FOUND', `trial ${opts.trialId} not found in ${paths.db}`);
  }
  const exp = db.prepare('SELECT * FROM experiments WHERE id = ?').get(t.experiment_id) as ExperimentRow;
  const config: ExperimentConfig = parseExperimentConfig(JSON.parse(exp.config)).config;
  const unit = config.searcher.maxLength?.unit;
  const target =
    opts.target !== undefined
      ? opts.target
      : t.op_target !== null && unit
        ? { unit, length: t.op_target }
        : null;
  const runId = Math.max(0, t.runs - 1);
  const metricName = config.searcher.metric;
  const sign = config.searcher.smallerIsBetter ? 1 : -1;

  const latestMetrics = (grp: string) => {
    const r = db
      .prepare('SELECT metrics FROM metrics WHERE trial_id = ? AND grp = ? ORDER BY id DESC LIMIT 1')
      .get(t.id, grp) as { metrics: string } | undefined;
    return r ? (JSON.parse(r.metrics) as Metrics) : {};
  };
  const report = (grp: 'training' | 'validation', steps: number, metrics: Metrics) => {
    if (!Number.isInteger(steps) || steps < 0) {
      throw new DeterminedError('BAD_REQUEST', `stepsCompleted must be a non-negative integer, got ${steps}`);
    }
    write(db, () => {
      db.prepare(
        'INSERT INTO metrics (trial_id, run_id, grp, steps, metrics, report_time) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(t.id, runId, grp, steps, JSON.stringify(metrics), now());
      const row = db
        .prepare('SELECT best_metric, steps_completed FROM trials WHERE id = ?')
        .get(t.id) as TrialRow;
      const summary: ValidationSummary = { stepsCompleted: steps, metrics };
      if (grp === 'validation') {
        db.prepare('UPDATE trials SET latest_validation = ? WHERE id = ?').run(JSON.stringify(summary), t.id);
        const m = metrics[metricName];
        if (typeof m === 'number' && (row.best_metric === null || m * sign < row.best_metric * sign)) {
          db.prepare('UPDATE trials SET best_metric = ?, best_validation = ? WHERE id = ?').run(
            m,
            JSON.stringify(summary),
            t.id,
          );
        }
      }
      if (steps > row.steps_completed)
        db.prepare('UPDATE trials SET steps_completed = ? WHERE id = ?').run(steps, t.id);
    });
  };

  const restore = async (uuid?: string) => {
    const id =
      uuid ??
      (
        db.prepare('SELECT latest_checkpoint FROM trials WHERE id = ?').get(t.id) as {
          latest_checkpoint: string | null;
        }
      ).latest_checkpoint ??
      (config.searcher.sourceCheckpointUuid || null);
    if (!id) return null;
    const row = db.prepare('SELECT * FROM checkpoints WHERE uuid = ?').get(id) as CheckpointRow | undefined;
    if (!row) throw new NotFoundError('CHECKPOINT_NOT_FOUND', `checkpoint ${id} not found`);
    return {
      uuid: id,
      dir: join(paths.checkpoints, id),
      metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    };
  };

  return {
    backend: 'local',
    experimentId: t.experiment_id,
    trialId: t.id,
    runId,
    hparams: JSON.parse(t.hparams),
    config,
    target,
    latestCheckpoint: t.latest_checkpoint,
    report: {
      training: async (steps, metrics) => report('training', steps, metrics),
      validation: async (steps, metrics) => report('validation', steps, metrics),
    },
    checkpoint: {
      async store(dir, steps, metadata = {}) {
        const uuid = randomUUID();
        const dest = join(paths.checkpoints, uuid);
        const full = { ...metadata, steps_completed: steps };
        const resources = await copyDirAtomic(dir, dest);
        write(db, () => {
          const row = db.prepare('SELECT best_metric FROM trials WHERE id = ?').get(t.id) as {
            best_metric: number | null;
          };
          const validation = latestMetrics('validation');
          const m = validation[metricName];
          db.prepare(
            `INSERT INTO checkpoints (uuid, experiment_id, trial_id, state, report_time, steps, metadata, resources, hparams,
               training_metrics, validation_metrics, searcher_metric)
             VALUES (?, ?, ?, 'COMPLETED', ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            uuid,
            t.experiment_id,
            t.id,
            now(),
            steps,
            JSON.stringify(full),
            JSON.stringify(resources),
            t.hparams,
            JSON.stringify(latestMetrics('training')),
            JSON.stringify(validation),
            typeof m === 'number' ? m : (row.best_metric ?? null),
          );
          db.prepare('UPDATE trials SET latest_checkpoint = ? WHERE id = ?').run(uuid, t.id);
        });
        return uuid;
      },
      restore,
    },
    searcher: {
      async *operations(): AsyncIterable<SearcherOperation> {
        const op: SearcherOperation = {
          length: target?.length ?? 0,
          async reportProgress(steps) {
            const p = target?.length ? Math.min(1, steps / target.length) : 0;
            write(db, () => db.prepare('UPDATE trials SET progress = ? WHERE id = ?').run(p, t.id));
          },
          async reportCompleted(metric) {
            write(db, () => db.prepare('UPDATE trials SET op_metric = ? WHERE id = ?').run(metric, t.id));
          },
        };
        yield op;
      },
      async progress(fraction) {
        write(db, () => db.prepare('UPDATE trials SET progress = ? WHERE id = ?').run(fraction, t.id));
      },
    },
    async shouldPreempt() {
      const r = db.prepare('SELECT state FROM experiments WHERE id = ?').get(t.experiment_id) as {
        state: string;
      };
      return r.state !== 'ACTIVE';
    },
    async close() {
      db.close();
    },
  };
}
