import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Checkpoint, Experiment, MetricsReport, Model, Trial } from '../types.js';

export type Db = Database.Database;

/** Where the embedded master keeps its database, checkpoints and trial logs under the fmnist home. */
export function masterPaths(home: string) {
  const root = join(home, 'determined');
  return {
    root,
    db: join(root, 'master.db'),
    checkpoints: join(root, 'checkpoints'),
    logs: join(root, 'logs'),
  };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS experiments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  config TEXT NOT NULL,
  searcher_state TEXT,
  progress REAL NOT NULL DEFAULT 0,
  start_time TEXT NOT NULL,
  end_time TEXT,
  runner_pid INTEGER,
  op_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS trials (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  request_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  hparams TEXT NOT NULL,
  restarts INTEGER NOT NULL DEFAULT 0,
  runs INTEGER NOT NULL DEFAULT 0,
  op_pending INTEGER NOT NULL DEFAULT 0,
  op_target INTEGER,
  op_seq INTEGER NOT NULL DEFAULT 0,
  op_metric REAL,
  closed INTEGER NOT NULL DEFAULT 0,
  steps_completed INTEGER NOT NULL DEFAULT 0,
  progress REAL NOT NULL DEFAULT 0,
  best_validation TEXT,
  latest_validation TEXT,
  best_metric REAL,
  latest_checkpoint TEXT,
  start_time TEXT NOT NULL,
  end_time TEXT,
  UNIQUE (experiment_id, request_id)
);
CREATE TABLE IF NOT EXISTS metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  run_id INTEGER NOT NULL,
  grp TEXT NOT NULL,
  steps INTEGER NOT NULL,
  metrics TEXT NOT NULL,
  report_time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_trial ON metrics (trial_id, grp);
CREATE TABLE IF NOT EXISTS checkpoints (
  uuid TEXT PRIMARY KEY,
  experiment_id INTEGER,
  trial_id INTEGER,
  state TEXT NOT NULL,
  report_time TEXT NOT NULL,
  steps INTEGER,
  metadata TEXT NOT NULL,
  resources TEXT NOT NULL,
  hparams TEXT NOT NULL,
  training_metrics TEXT NOT NULL,
  validation_metrics TEXT NOT NULL,
  searcher_metric REAL
);
CREATE INDEX IF NOT EXISTS checkpoints_trial ON checkpoints (trial_id);
CREATE TABLE IF NOT EXISTS models (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  labels TEXT NOT NULL DEFAULT '[]',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,
  checkpoint_uuid TEXT NOT NULL REFERENCES checkpoints(uuid),
  name TEXT NOT NULL DEFAULT '',
  comment TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL,
  UNIQUE (model_id, version)
);
`;

/**
 * Opens (creating) the master database. WAL lets trial processes write while the master reads;
 * busy_timeout makes concurrent writers wait for each other instead of failing.
 */
export function openDb(home: string): Db {
  const paths = masterPaths(home);
  mkdirSync(paths.checkpoints, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  const db = new Database(paths.db);
  db.pragma('busy_timeout = 30000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Two processes creating the schema at once: the second waits on the lock, then finds it done.
  db.transaction(() => db.exec(SCHEMA)).immediate();
  return db;
}

/** Runs `fn` in a write transaction taken up front, so concurrent writers serialise cleanly. */
export function write<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

export const now = () => new Date().toISOString();
const json = <T>(s: string | null | undefined, fallback: T): T => (s ? (JSON.parse(s) as T) : fallback);

export interface ExperimentRow {
  id: number;
  name: string;
  description: string;
  state: string;
  config: string;
  searcher_state: string | null;
  progress: number;
  start_time: string;
  end_time: string | null;
  runner_pid: number | null;
  op_seq: number;
}

export interface TrialRow {
  id: number;
  experiment_id: number;
  request_id: number;
  state: string;
  hparams: string;
  restarts: number;
  runs: number;
  op_pending: number;
  op_target: number | null;
  op_seq: number;
  op_metric: number | null;
  closed: number;
  steps_completed: number;
  progress: number;
  best_validation: string | null;
  latest_validation: string | null;
  best_metric: number | null;
  latest_checkpoint: string | null;
  start_time: string;
  end_time: string | null;
}

export interface CheckpointRow {
  uuid: string;
  experiment_id: number | null;
  trial_id: number | null;
  state: string;
  report_time: string;
  steps: number | null;
  metadata: string;
  resources: string;
  hparams: string;
  training_metrics: string;
  validation_metrics: string;
  searcher_metric: number | null;
}

export interface ModelRow {
  id: number;
  name: string;
  description: string;
  metadata: string;
  labels: string;
  created: string;
  updated: string;
  num_versions: number;
}

export function toExperiment(r: ExperimentRow, trialIds: number[]): Experiment {
  const config = JSON.parse(r.config) as Record<string, unknown>;
  const searcher = (config.searcher ?? {}) as Record<string, unknown>;
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    state: r.state as Experiment['state'],
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

export function toMetricsReport(r: {
  trial_id: number;
  grp: string;
  steps: number;
  metrics: string;
  report_time: string;
}): MetricsReport {
  return {
    trialId: r.trial_id,
    group: r.grp as MetricsReport['group'],
    stepsCompleted: r.steps,
    metrics: JSON.parse(r.metrics),
    reportTime: r.report_time,
  };
}

export function isAlive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
