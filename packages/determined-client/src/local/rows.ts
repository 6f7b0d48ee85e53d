// Rows of the embedded master's database as the client's types.
import type { Checkpoint, Experiment, MetricsReport, Model, Trial } from '../types.js';
import type { CheckpointRow, ExperimentRow, MetricsRow, ModelRow, TrialRow } from './db.js';

const json = <T>(s: string | null | undefined, fallback: T): T => (s ? (JSON.parse(s) as T) : fallback);

/** Whether a process is alive (EPERM: alive, owned by someone else). */
export function isAlive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An experiment as stored. One whose running process died mid-way (crash, SIGKILL, reboot) is shown
 * PAUSED and `interrupted`: nothing runs it until `activateExperiment` + `waitForExperiment`.
 */
export function toExperiment(r: ExperimentRow, trialIds: number[]): Experiment {
  const config = JSON.parse(r.config) as Record<string, unknown>;
  const searcher = (config.searcher ?? {}) as Record<string, unknown>;
  const interrupted = r.state === 'ACTIVE' && r.runner_pid !== null && !isAlive(r.runner_pid);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    state: interrupted ? 'PAUSED' : (r.state as Experiment['state']),
    interrupted,
    searcherType: String(searcher.name ?? ''),
    searcherMetric: String(searcher.metric ?? ''),
    smallerIsBetter: searcher.smaller_is_better !== false,
    numTrials: trialIds.length,
    trialIds,
    progress: r.progress,
    startTime: r.start_time,
    endTime: r.end_time,
    config,
  };
}

export function toTrial(r: TrialRow): Trial {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    state: r.state as Trial['state'],
    hparams: JSON.parse(r.hparams),
    restarts: r.restarts,
    stepsCompleted: r.steps_completed,
    bestValidation: json(r.best_validation, null),
    latestValidation: json(r.latest_validation, null),
    searcherMetricValue: r.best_metric,
    latestCheckpoint: r.latest_checkpoint,
    startTime: r.start_time,
    endTime: r.end_time,
  };
}

export function toCheckpoint(r: CheckpointRow): Checkpoint {
  return {
    uuid: r.uuid,
    experimentId: r.experiment_id,
    trialId: r.trial_id,
    state: r.state as Checkpoint['state'],
    reportTime: r.report_time,
    stepsCompleted: r.steps,
    metadata: JSON.parse(r.metadata),
    resources: JSON.parse(r.resources),
    hparams: JSON.parse(r.hparams),
    trainingMetrics: JSON.parse(r.training_metrics),
    validationMetrics: JSON.parse(r.validation_metrics),
    searcherMetric: r.searcher_metric,
  };
}

export function toModel(r: ModelRow): Model {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    metadata: JSON.parse(r.metadata),
    labels: JSON.parse(r.labels),
    numVersions: r.num_versions,
    createdAt: r.created,
    updatedAt: r.updated,
  };
}

export function toMetricsReport(r: MetricsRow): MetricsReport {
  return {
    trialId: r.trial_id,
    group: r.grp as MetricsReport['group'],
    stepsCompleted: r.steps,
    metrics: JSON.parse(r.metrics),
    reportTime: r.report_time,
  };
}
