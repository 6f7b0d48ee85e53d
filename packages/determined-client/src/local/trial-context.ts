import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseExperimentConfig } from '../config/index.js';
import { DeterminedError, NotFoundError } from '../errors.js';
import { copyCheckpointDir } from '../internal/checkpoint-dir.js';
import { checkTimeMetric } from '../internal/time-metric.js';
import type { Length, Metrics, SearcherOperation, TrialContext, ValidationSummary } from '../types.js';
import * as sql from './db.js';

export interface LocalTrialContextOptions {
  home: string;
  trialId: number;
  /** The target the master set for this run; default: the trial's pending operation. */
  target?: Length | null;
}

/** The trial side of the embedded master (Determined's Core API over the same SQLite database). */
export function createLocalTrialContext(opts: LocalTrialContextOptions): TrialContext {
  const home = resolve(opts.home);
  const paths = sql.masterPaths(home);
  const db: sql.Db = sql.openDb(home);
  const t = sql.getTrialRow(db, opts.trialId);
  if (!t) {
    db.close();
    throw new NotFoundError('TRIAL_NOT_FOUND', `trial ${opts.trialId} not found in ${paths.db}`);
  }
  const exp = sql.getExperimentRow(db, t.experiment_id)!;
  const config = parseExperimentConfig(JSON.parse(exp.config)).config;
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

  const latestMetrics = (grp: string): Metrics => {
    const r = sql.latestMetricsRow(db, t.id, grp);
    return r ? (JSON.parse(r.metrics) as Metrics) : {};
  };
  const report = (grp: 'training' | 'validation', steps: number, metrics: Metrics) => {
    // The same rule as Determined's: steps_completed is an int32 count of batches (trial.proto).
    if (!Number.isInteger(steps) || steps < 0) {
      throw new DeterminedError('BAD_REQUEST', `stepsCompleted must be a non-negative integer, got ${steps}`);
    }
    if (grp === 'validation') checkTimeMetric(config, metrics);
    sql.write(db, () => {
      sql.insertMetrics(db, { trialId: t.id, runId, group: grp, steps, metrics });
      if (grp === 'validation') {
        const row = sql.getTrialRow(db, t.id)!;
        const summary: ValidationSummary = { stepsCompleted: steps, metrics };
        sql.setLatestValidation(db, t.id, summary);
        const m = metrics[metricName];
        if (typeof m === 'number' && (row.best_metric === null || m * sign < row.best_metric * sign)) {
          sql.setBestValidation(db, t.id, m, summary);
        }
      }
      sql.raiseStepsCompleted(db, t.id, steps);
    });
  };

  const restore = async (uuid?: string) => {
    const id =
      uuid ?? sql.getTrialRow(db, t.id)!.latest_checkpoint ?? (config.searcher.sourceCheckpointUuid || null);
    if (!id) return null;
    const row = sql.getCheckpointRow(db, id);
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
        if (!Number.isInteger(steps) || steps < 0) {
          throw new DeterminedError(
            'BAD_REQUEST',
            `steps_completed must be a non-negative integer, got ${steps}`,
          );
        }
        const uuid = randomUUID();
        const resources = await copyCheckpointDir(dir, join(paths.checkpoints, uuid));
        sql.write(db, () => {
          const best = sql.getTrialRow(db, t.id)!.best_metric;
          const validation = latestMetrics('validation');
          const m = validation[metricName];
          sql.insertCheckpoint(db, {
            uuid,
            experiment_id: t.experiment_id,
            trial_id: t.id,
            steps,
            metadata: JSON.stringify({ ...metadata, steps_completed: steps }),
            resources: JSON.stringify(resources),
            hparams: t.hparams,
            training_metrics: JSON.stringify(latestMetrics('training')),
            validation_metrics: JSON.stringify(validation),
            searcher_metric: typeof m === 'number' ? m : (best ?? null),
          });
          sql.setLatestCheckpoint(db, t.id, uuid, steps);
        });
        return uuid;
      },
      restore,
    },
    searcher: {
      async *operations(): AsyncIterable<SearcherOperation> {
        const op: SearcherOperation = {
          length: target?.length ?? null,
          async reportProgress(steps) {
            const p = target?.length ? Math.min(1, steps / target.length) : 0;
            sql.write(db, () => sql.setTrialProgress(db, t.id, p));
          },
          async reportCompleted(metric) {
            sql.write(db, () => sql.setTrialOpMetric(db, t.id, metric));
          },
        };
        yield op;
      },
      async progress(fraction) {
        sql.write(db, () => sql.setTrialProgress(db, t.id, fraction));
      },
    },
    async shouldPreempt() {
      return sql.getExperimentRow(db, t.experiment_id)!.state !== 'ACTIVE';
    },
    async close() {
      db.close();
    },
  };
}
