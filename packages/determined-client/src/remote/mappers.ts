// Determined's REST shapes (lowerCamelCase JSON, enums as `STATE_*` names) as the client's types.
import { describeVersion } from '../internal/version.js';
import type {
  Checkpoint,
  Experiment,
  ExperimentState,
  Model,
  ModelVersion,
  Trial,
  ValidationSummary,
} from '../types.js';
import type { Json } from './api.js';

export const state = (s: unknown): ExperimentState =>
  String(s ?? 'STATE_UNSPECIFIED').replace(/^STATE_/, '') as ExperimentState;
export const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const int = (v: unknown): number | null => (v === undefined || v === null || v === '' ? null : Number(v));
/**
 * Determined keeps metrics as {avgMetrics, batchMetrics} (common/v1/metrics.proto); callers want the
 * averages. A checkpoint taken with no report at its step comes back `{avgMetrics: null,
 * batchMetrics: []}` from a 0.38.1 master: no metrics, not that wrapper.
 */
export const avg = (m: unknown): Json => {
  const o = obj(m);
  if ('avgMetrics' in o) return obj(o.avgMetrics);
  if ('avg_metrics' in o) return obj(o.avg_metrics);
  return o;
};

/**
 * `config` is the merged config the master answers with (`GetExperimentResponse.config`); the
 * experiment's own `config` field is deprecated and may be absent from lists.
 */
export function toExperiment(e: Json, config?: unknown): Experiment {
  const cfg = obj(config ?? e.config);
  const searcher = obj(cfg.searcher);
  return {
    id: Number(e.id),
    name: String(e.name ?? ''),
    description: String(e.description ?? ''),
    state: state(e.state),
    interrupted: false,
    // The config's own words first: a 0.38.1 master answers searcherType quoted ("\"single\"") and
    // searcherMetric empty in the experiment itself.
    searcherType: String(searcher.name ?? e.searcherType ?? '').replace(/^"(.*)"$/, '$1'),
    searcherMetric: String(searcher.metric || e.searcherMetric || ''),
    smallerIsBetter: searcher.smaller_is_better !== false,
    numTrials: Number(e.numTrials ?? 0),
    trialIds: ((e.trialIds as unknown[]) ?? []).map(Number),
    progress: Number(e.progress ?? 0) || 0,
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

/** `latestCheckpoint`: Determined's Trial has only the best one, so the caller looks the latest up. */
export function toTrial(t: Json, searcherMetric: string | undefined, latestCheckpoint: string | null): Trial {
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
    latestCheckpoint,
    startTime: String(t.startTime ?? ''),
    endTime: (t.endTime as string) ?? null,
  };
}

export function toCheckpoint(c: Json): Checkpoint {
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

/** The latest COMPLETED checkpoint of a list, by report time. */
export function latestCompleted(list: Json[]): string | null {
  const done = list.map(toCheckpoint).filter((c) => c.state === 'COMPLETED');
  done.sort((a, b) => a.reportTime.localeCompare(b.reportTime));
  return done.at(-1)?.uuid ?? null;
}

export function toModel(m: Json): Model {
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

export function toVersion(v: Json, modelName: string): ModelVersion {
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
