// The checkpoints table.
import { type Db, now } from './connection.js';

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
