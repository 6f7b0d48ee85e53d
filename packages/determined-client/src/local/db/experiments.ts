// The experiments table.
import { type Db, now } from './connection.js';

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
