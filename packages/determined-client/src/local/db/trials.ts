// The trials table: the searcher's operations, runs, progress and summaries.
import type { SearchOp } from '../../search.js';
import { type Db, now } from './connection.js';

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

const UNFINISHED = `state NOT IN ('COMPLETED', 'ERROR', 'CANCELED')`;

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
