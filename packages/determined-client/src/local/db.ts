// The embedded master's SQLite database: its schema, its migrations, and every statement it runs,
// each as a named function, so "where is the SQL?" has one answer.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SearchOp } from '../search.js';
import { MIGRATIONS } from './schema.js';

export { MIGRATIONS };

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

/**
 * Opens (creating or upgrading) the master database. WAL lets trial processes write while the master
 * reads; busy_timeout makes concurrent writers wait for each other instead of failing.
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
  migrate(db);
  return db;
}

/** Applies the migrations a database lacks; two processes at once: the second waits, then finds it done. */
export function migrate(db: Db): void {
  write(db, () => {
    const have = db.pragma('user_version', { simple: true }) as number;
    if (have > MIGRATIONS.length) {
      throw new Error(
        `the database is from a newer fmnist (schema ${have}, this one knows ${MIGRATIONS.length})`,
      );
    }
    for (let v = have; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
}

/** Runs `fn` in a write transaction taken up front, so concurrent writers serialise cleanly. */
export function write<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

export const now = () => new Date().toISOString();

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
  checkpoint_steps: number | null;
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

export interface VersionRow {
  id: number;
  model_id: number;
  version: number;
  checkpoint_uuid: string;
  name: string;
  comment: string;
  labels: string;
  metadata: string;
  created: string;
}

export interface MetricsRow {
  trial_id: number;
  grp: string;
  steps: number;
  metrics: string;
  report_time: string;
}

const UNFINISHED = `state NOT IN ('COMPLETED', 'ERROR', 'CANCELED')`;

// Experiments

export function insertExperiment(
  db: Db,
  e: { name: string; description: string; state: string; config: string },
): number {
  const r = db
    .prepare(
      'INSERT INTO experiments (name, description, state, config, start_time) VALUES (?, ?, ?, ?, ?) RETURNING id',
    )
    .get(e.name, e.description, e.state, e.config, now()) as { id: number };
  return r.id;
}

export function getExperimentRow(db: Db, id: number): ExperimentRow | undefined {
  return db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as ExperimentRow | undefined;
}

export function listExperimentRows(db: Db, limit = -1): ExperimentRow[] {
  return db.prepare('SELECT * FROM experiments ORDER BY id DESC LIMIT ?').all(limit) as ExperimentRow[];
}

export function setExperimentState(db: Db, id: number, state: string): void {
  db.prepare('UPDATE experiments SET state = ? WHERE id = ?').run(state, id);
}

export function setRunner(db: Db, id: number, pid: number | null): void {
  db.prepare('UPDATE experiments SET runner_pid = ? WHERE id = ?').run(pid, id);
}

/** Ends an experiment: its state, the end time, and no process running it. */
export function endExperiment(db: Db, id: number, state: string, progress?: number): void {
  db.prepare(
    'UPDATE experiments SET state = ?, end_time = ?, runner_pid = NULL, progress = COALESCE(?, progress) WHERE id = ?',
  ).run(state, now(), progress ?? null, id);
}

export function saveSearcherState(db: Db, id: number, state: unknown, progress: number): void {
  db.prepare('UPDATE experiments SET searcher_state = ?, progress = ? WHERE id = ?').run(
    JSON.stringify(state),
    progress,
    id,
  );
}

// Trials

export function trialIdsOf(db: Db, experimentId: number): number[] {
  return (
    db.prepare('SELECT id FROM trials WHERE experiment_id = ? ORDER BY id').all(experimentId) as {
      id: number;
    }[]
  ).map((x) => x.id);
}

export function getTrialRow(db: Db, id: number): TrialRow | undefined {
  return db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as TrialRow | undefined;
}

export function listTrialRows(db: Db, experimentId: number): TrialRow[] {
  return db
    .prepare('SELECT * FROM trials WHERE experiment_id = ? ORDER BY id')
    .all(experimentId) as TrialRow[];
}

/** Applies searcher operations to the trials table; call inside a write transaction. */
export function applySearchOps(db: Db, experimentId: number, ops: SearchOp[]): void {
  for (const op of ops) {
    if (op.type === 'create') {
      db.prepare(
        `INSERT INTO trials (experiment_id, request_id, state, hparams, start_time) VALUES (?, ?, 'ACTIVE', ?, ?)`,
      ).run(experimentId, op.requestId, JSON.stringify(op.hparams), now());
    } else if (op.type === 'train') {
      const seq = db
        .prepare('UPDATE experiments SET op_seq = op_seq + 1 WHERE id = ? RETURNING op_seq')
        .get(experimentId) as { op_seq: number };
      db.prepare(
        'UPDATE trials SET op_pending = 1, op_target = ?, op_seq = ?, op_metric = NULL WHERE experiment_id = ? AND request_id = ?',
      ).run(op.length, seq.op_seq, experimentId, op.requestId);
    } else {
      db.prepare(
        `UPDATE trials SET closed = 1,
           state = CASE WHEN state = 'ACTIVE' THEN 'COMPLETED' ELSE state END,
           end_time = COALESCE(end_time, ?)
         WHERE experiment_id = ? AND request_id = ?`,
      ).run(now(), experimentId, op.requestId);
    }
  }
}

/** The next trial with work to do, in the order the searcher asked for it. */
export function nextPendingTrial(db: Db, experimentId: number): TrialRow | undefined {
  return db
    .prepare(
      `SELECT * FROM trials WHERE experiment_id = ? AND state = 'ACTIVE' AND op_pending = 1 ORDER BY op_seq LIMIT 1`,
    )
    .get(experimentId) as TrialRow | undefined;
}

/** Marks a trial RUNNING for a new run; returns how many runs it has had, this one included. */
export function startTrialRun(db: Db, trialId: number): number {
  return (
    db
      .prepare(`UPDATE trials SET state = 'RUNNING', runs = runs + 1 WHERE id = ? RETURNING runs`)
      .get(trialId) as {
      runs: number;
    }
  ).runs;
}

/** Trials left RUNNING (by a master that stopped or died) go back to the queue. */
export function requeueRunningTrials(db: Db, experimentId: number): void {
  db.prepare(`UPDATE trials SET state = 'ACTIVE' WHERE experiment_id = ? AND state = 'RUNNING'`).run(
    experimentId,
  );
}

export function cancelUnfinishedTrials(db: Db, experimentId: number): void {
  db.prepare(
    `UPDATE trials SET state = 'CANCELED', end_time = COALESCE(end_time, ?) WHERE experiment_id = ? AND ${UNFINISHED}`,
  ).run(now(), experimentId);
}

export function completeActiveTrials(db: Db, experimentId: number): void {
  db.prepare(
    `UPDATE trials SET state = 'COMPLETED', closed = 1, end_time = COALESCE(end_time, ?)
     WHERE experiment_id = ? AND state = 'ACTIVE'`,
  ).run(now(), experimentId);
}

export function countTrialErrors(db: Db, experimentId: number): { n: number; errors: number } {
  const r = db
    .prepare(`SELECT COUNT(*) AS n, SUM(state = 'ERROR') AS errors FROM trials WHERE experiment_id = ?`)
    .get(experimentId) as { n: number; errors: number | null };
  return { n: r.n, errors: r.errors ?? 0 };
}

/** The trial finished its operation: back to ACTIVE, waiting for the searcher's next word. */
export function completeTrialOp(db: Db, trialId: number): void {
  db.prepare(`UPDATE trials SET state = 'ACTIVE', op_pending = 0, op_metric = NULL WHERE id = ?`).run(
    trialId,
  );
}

export function restartTrial(db: Db, trialId: number): void {
  db.prepare(`UPDATE trials SET state = 'ACTIVE', restarts = restarts + 1 WHERE id = ?`).run(trialId);
}

export function failTrial(db: Db, trialId: number): void {
  db.prepare(`UPDATE trials SET state = 'ERROR', op_pending = 0, closed = 1, end_time = ? WHERE id = ?`).run(
    now(),
    trialId,
  );
}

export function setTrialProgress(db: Db, trialId: number, progress: number): void {
  db.prepare('UPDATE trials SET progress = ? WHERE id = ?').run(progress, trialId);
}

export function setTrialOpMetric(db: Db, trialId: number, metric: number): void {
  db.prepare('UPDATE trials SET op_metric = ? WHERE id = ?').run(metric, trialId);
}

export function setLatestValidation(db: Db, trialId: number, summary: unknown): void {
  db.prepare('UPDATE trials SET latest_validation = ? WHERE id = ?').run(JSON.stringify(summary), trialId);
}

export function setBestValidation(db: Db, trialId: number, metric: number, summary: unknown): void {
  db.prepare('UPDATE trials SET best_metric = ?, best_validation = ? WHERE id = ?').run(
    metric,
    JSON.stringify(summary),
    trialId,
  );
}

export function raiseStepsCompleted(db: Db, trialId: number, steps: number): void {
  db.prepare('UPDATE trials SET steps_completed = MAX(steps_completed, ?) WHERE id = ?').run(steps, trialId);
}

export function setLatestCheckpoint(db: Db, trialId: number, uuid: string, steps: number): void {
  db.prepare('UPDATE trials SET latest_checkpoint = ?, checkpoint_steps = ? WHERE id = ?').run(
    uuid,
    steps,
    trialId,
  );
}

// Metrics

export function insertMetrics(
  db: Db,
  m: { trialId: number; runId: number; group: string; steps: number; metrics: unknown },
): void {
  db.prepare(
    'INSERT INTO metrics (trial_id, run_id, grp, steps, metrics, report_time) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(m.trialId, m.runId, m.group, m.steps, JSON.stringify(m.metrics), now());
}

export function listMetricsRows(db: Db, trialId: number, group: string): MetricsRow[] {
  return db
    .prepare('SELECT * FROM metrics WHERE trial_id = ? AND grp = ? ORDER BY id')
    .all(trialId, group) as MetricsRow[];
}

export function latestMetricsRow(db: Db, trialId: number, group: string): MetricsRow | undefined {
  return db
    .prepare('SELECT * FROM metrics WHERE trial_id = ? AND grp = ? ORDER BY id DESC LIMIT 1')
    .get(trialId, group) as MetricsRow | undefined;
}

// Checkpoints

export function insertCheckpoint(db: Db, c: Omit<CheckpointRow, 'state' | 'report_time'>): void {
  db.prepare(
    `INSERT INTO checkpoints (uuid, experiment_id, trial_id, state, report_time, steps, metadata, resources, hparams,
       training_metrics, validation_metrics, searcher_metric)
     VALUES (?, ?, ?, 'COMPLETED', ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    c.uuid,
    c.experiment_id,
    c.trial_id,
    now(),
    c.steps,
    c.metadata,
    c.resources,
    c.hparams,
    c.training_metrics,
    c.validation_metrics,
    c.searcher_metric,
  );
}

export function getCheckpointRow(db: Db, uuid: string): CheckpointRow | undefined {
  return db.prepare('SELECT * FROM checkpoints WHERE uuid = ?').get(uuid) as CheckpointRow | undefined;
}

export function listCheckpointRows(
  db: Db,
  by: { trialId: number } | { experimentId: number },
): CheckpointRow[] {
  return 'trialId' in by
    ? (db
        .prepare('SELECT * FROM checkpoints WHERE trial_id = ? ORDER BY report_time')
        .all(by.trialId) as CheckpointRow[])
    : (db
        .prepare('SELECT * FROM checkpoints WHERE experiment_id = ? ORDER BY report_time')
        .all(by.experimentId) as CheckpointRow[]);
}

// The model registry

const MODEL_SELECT =
  'SELECT m.*, (SELECT COUNT(*) FROM model_versions v WHERE v.model_id = m.id) AS num_versions FROM models m';

export function getModelRow(db: Db, name: string): ModelRow | undefined {
  return db.prepare(`${MODEL_SELECT} WHERE name = ?`).get(name) as ModelRow | undefined;
}

export function listModelRows(db: Db): ModelRow[] {
  return db.prepare(`${MODEL_SELECT} ORDER BY m.id`).all() as ModelRow[];
}

export function insertModel(
  db: Db,
  m: { name: string; description: string; metadata: unknown; labels: string[] },
): void {
  const t = now();
  db.prepare(
    'INSERT INTO models (name, description, metadata, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(m.name, m.description, JSON.stringify(m.metadata), JSON.stringify(m.labels), t, t);
}

/** Adds the model's next version; returns its number. */
export function insertVersion(
  db: Db,
  modelId: number,
  v: { checkpointUuid: string; name: string; comment: string; labels: string[]; metadata: unknown },
): number {
  const next = (
    db
      .prepare('SELECT COALESCE(MAX(version), 0) + 1 AS n FROM model_versions WHERE model_id = ?')
      .get(modelId) as {
      n: number;
    }
  ).n;
  const t = now();
  db.prepare(
    `INSERT INTO model_versions (model_id, version, checkpoint_uuid, name, comment, labels, metadata, created)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    modelId,
    next,
    v.checkpointUuid,
    v.name,
    v.comment,
    JSON.stringify(v.labels),
    JSON.stringify(v.metadata),
    t,
  );
  db.prepare('UPDATE models SET updated = ? WHERE id = ?').run(t, modelId);
  return next;
}

export function listVersionRows(db: Db, modelId: number): VersionRow[] {
  return db
    .prepare('SELECT * FROM model_versions WHERE model_id = ? ORDER BY version')
    .all(modelId) as VersionRow[];
}

export function getVersionRow(db: Db, modelId: number, version: number | 'latest'): VersionRow | undefined {
  return (
    version === 'latest'
      ? db
          .prepare('SELECT * FROM model_versions WHERE model_id = ? ORDER BY version DESC LIMIT 1')
          .get(modelId)
      : db.prepare('SELECT * FROM model_versions WHERE model_id = ? AND version = ?').get(modelId, version)
  ) as VersionRow | undefined;
}
