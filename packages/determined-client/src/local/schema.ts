// The embedded master's SQLite schema, as the migrations that build it.

/**
 * Schema versions, in order; `PRAGMA user_version` says how many have been applied. Append, never edit:
 * a home written by an older fmnist opens by running the ones it lacks. Version 1 is the schema homes had
 * before versions were counted (their user_version is 0), so it is written to apply on top of itself.
 */
export const MIGRATIONS: readonly string[] = [
  `
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
);`,
  // 2: lists by experiment no longer scan every row; a trial remembers the steps of its latest checkpoint
  // (what a restarted run resumes from, and what min_checkpoint_period counts from).
  `
CREATE INDEX IF NOT EXISTS trials_experiment ON trials (experiment_id);
CREATE INDEX IF NOT EXISTS checkpoints_experiment ON checkpoints (experiment_id);
ALTER TABLE trials ADD COLUMN checkpoint_steps INTEGER;`,
];
