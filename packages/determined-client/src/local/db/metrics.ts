// Training and validation reports.
import { type Db, now } from './connection.js';

export interface MetricsRow {
  trial_id: number;
  grp: string;
  steps: number;
  metrics: string;
  report_time: string;
}

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
