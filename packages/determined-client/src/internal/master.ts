import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperimentConfig } from '../config.js';
import { DeterminedError } from '../errors.js';
import { createSearcher, type Searcher, type SearchOp } from '../search.js';
import type { ExperimentConfig, ExperimentEvent, TrialRunner, ValidationSummary } from '../types.js';
import { TRIAL_ENV } from './env.js';
import { type Db, type ExperimentRow, isAlive, masterPaths, now, type TrialRow, write } from './store.js';

const TERMINAL = new Set(['COMPLETED', 'CANCELED', 'ERROR', 'DELETED']);
const STOPPING = new Set(['STOPPING_KILLED', 'STOPPING_CANCELED']);

/** Applies searcher operations to the trials table; call inside a write transaction. */
export function applyOps(db: Db, experimentId: number, ops: SearchOp[]): void {
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

export function saveSearcher(db: Db, experimentId: number, searcher: Searcher): void {
  db.prepare('UPDATE experiments SET searcher_state = ?, progress = ? WHERE id = ?').run(
    JSON.stringify(searcher.snapshot()),
    searcher.progress(),
    experimentId,
  );
}

export interface RunOptions {
  db: Db;
  home: string;
  experimentId: number;
  runner: TrialRunner | undefined;
  workers: number;
  onEvent?: (e: ExperimentEvent) => void;
  signal?: AbortSignal;
  pollMs: number;
}

interface Running {
  child: ChildProcess;
  trialId: number;
  exit: Promise<{ trialId: number; code: number | null; signal: string | null }>;
}

/** Experiments this process is running, so two waits in one process do not both schedule. */
const runningHere = new Set<number>();

// The abort listener goes when the sleep ends: a long experiment polls thousands of times.
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function getExperimentRow(db: Db, id: number): ExperimentRow {
  return db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as ExperimentRow;
}

/** Waits for an experiment another process is running to end (or stop being run). */
async function watch(opts: RunOptions): Promise<void> {
  let last = '';
  for (;;) {
    const r = getExperimentRow(opts.db, opts.experimentId);
    if (r.state !== last) opts.onEvent?.({ type: 'state', experimentId: r.id, state: r.state as never });
    last = r.state;
    if (TERMINAL.has(r.state) || r.state === 'PAUSED' || opts.signal?.aborted) return;
    if (!isAlive(r.runner_pid)) return runExperiment(opts);
    await sleep(opts.pollMs, opts.signal);
  }
}

/**
 * The embedded master's scheduler for one experiment: starts trial processes for pending searcher
 * operations (at most `workers` at once), feeds their results to the searcher, restarts failed trials
 * from their latest checkpoint, and finishes the experiment. Returns when the experiment ends, is
 * killed, or `signal` aborts (the experiment then stays ACTIVE and resumes on the next run).
 */
export async function runExperiment(opts: RunOptions): Promise<void> {
  const { db, experimentId: id } = opts;
  if (runningHere.has(id)) return watch({ ...opts, runner: undefined });
  const claimed = write(db, () => {
    const r = getExperimentRow(db, id);
    if (TERMINAL.has(r.state) || r.state === 'PAUSED') return 'done';
    if (r.runner_pid && r.runner_pid !== process.pid && isAlive(r.runner_pid)) return 'other';
    db.prepare('UPDATE experiments SET runner_pid = ? WHERE id = ?').run(process.pid, id);
    // Trials a dead master left running go back to the queue; they resume from their latest checkpoint.
    db.prepare(`UPDATE trials SET state = 'ACTIVE' WHERE experiment_id = ? AND state = 'RUNNING'`).run(id);
    return 'mine';
  });
  if (claimed === 'done') return;
  if (claimed === 'other') return watch(opts);
  if (!opts.runner) {
    write(db, () => db.prepare('UPDATE experiments SET runner_pid = NULL WHERE id = ?').run(id));
    throw new DeterminedError(
      'BAD_OPTIONS',
      `experiment ${id} has trials to run but the client has no trialRunner`,
      'Create the local client with { trialRunner: { command, args } } to run trials.',
    );
  }
  runningHere.add(id);
  try {
    await schedule(opts, opts.runner);
  } finally {
    runningHere.delete(id);
  }
}

async function schedule(opts: RunOptions, runner: TrialRunner): Promise<void> {
  const { db, experimentId: id, onEvent } = opts;
  const row = getExperimentRow(db, id);
  const { config } = parseExperimentConfig(JSON.parse(row.config));
  const searcher = createSearcher(config, row.searcher_state ? JSON.parse(row.searcher_state) : undefined);
  const cap = config.searcher.maxConcurrentTrials || Number.POSITIVE_INFINITY;
  const workers = Math.max(1, Math.min(opts.workers, cap));
  const running = new Map<number, Running>();
  onEvent?.({ type: 'state', experimentId: id, state: 'ACTIVE' });

  const stopAll = async () => {
    for (const r of running.values()) r.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const r of running.values()) r.child.kill('SIGKILL');
    }, 5000);
    await Promise.all([...running.values()].map((r) => r.exit));
    clearTimeout(timer);
    running.clear();
  };

  for (;;) {
    if (opts.signal?.aborted) {
      await stopAll();
      write(db, () => {
        db.prepare(`UPDATE trials SET state = 'ACTIVE' WHERE experiment_id = ? AND state = 'RUNNING'`).run(
          id,
        );
        db.prepare('UPDATE experiments SET runner_pid = NULL WHERE id = ?').run(id);
      });
      return;
    }
    const state = getExperimentRow(db, id).state;
    if (STOPPING.has(state)) {
      await stopAll();
      write(db, () => {
        db.prepare(
          `UPDATE trials SET state = 'CANCELED', end_time = COALESCE(end_time, ?)
           WHERE experiment_id = ? AND state NOT IN ('COMPLETED', 'ERROR', 'CANCELED')`,
        ).run(now(), id);
        db.prepare(
          `UPDATE experiments SET state = 'CANCELED', end_time = ?, runner_pid = NULL WHERE id = ?`,
        ).run(now(), id);
      });
      onEvent?.({ type: 'state', experimentId: id, state: 'CANCELED' });
      return;
    }
    while (running.size < workers) {
      const next = db
        .prepare(
          `SELECT * FROM trials WHERE experiment_id = ? AND state = 'ACTIVE' AND op_pending = 1 ORDER BY op_seq LIMIT 1`,
        )
        .get(id) as TrialRow | undefined;
      if (!next) break;
      running.set(next.id, launch(opts, runner, config, next));
    }
    if (running.size === 0) {
      finish(db, id);
      onEvent?.({ type: 'state', experimentId: id, state: getExperimentRow(db, id).state as never });
      return;
    }
    const done = await Promise.race([
      ...[...running.values()].map((r) => r.exit),
      sleep(opts.pollMs, opts.signal).then(() => null),
    ]);
    if (!done) continue;
    running.delete(done.trialId);
    onEvent?.({ type: 'trial-exited', trialId: done.trialId, exitCode: done.code, signal: done.signal });
    if (STOPPING.has(getExperimentRow(db, id).state) || opts.signal?.aborted) continue;
    trialExited(opts, config, searcher, done.trialId, done.code);
  }
}

function launch(opts: RunOptions, runner: TrialRunner, config: ExperimentConfig, t: TrialRow): Running {
  const { db, experimentId, home } = opts;
  const runs = write(db, () => {
    const r = db
      .prepare(`UPDATE trials SET state = 'RUNNING', runs = runs + 1 WHERE id = ? RETURNING runs`)
      .get(t.id) as { runs: number };
    return r.runs;
  });
  const cmd = typeof runner === 'function' ? runner({ experimentId, trialId: t.id }) : runner;
  const unit = config.searcher.maxLength?.unit;
  const target = t.op_target !== null && unit ? { unit, length: t.op_target } : null;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...cmd.env,
    [TRIAL_ENV.home]: home,
    [TRIAL_ENV.experimentId]: String(experimentId),
    [TRIAL_ENV.trialId]: String(t.id),
    [TRIAL_ENV.runId]: String(runs - 1),
    [TRIAL_ENV.hparams]: t.hparams,
    [TRIAL_ENV.target]: JSON.stringify(target),
    [TRIAL_ENV.latestCheckpoint]: t.latest_checkpoint ?? '',
  };
  // A local trial reports to this master, never to a remote one the parent happens to point at.
  delete env[TRIAL_ENV.master];
  delete env[TRIAL_ENV.token];
  const log = openSync(join(masterPaths(home).logs, `trial-${t.id}.log`), 'a');
  const child = spawn(cmd.command, cmd.args ?? [], { env, cwd: cmd.cwd, stdio: ['ignore', log, log] });
  closeSync(log);
  opts.onEvent?.({
    type: 'trial-started',
    trialId: t.id,
    hparams: JSON.parse(t.hparams),
    target,
    run: runs - 1,
  });
  const exit = new Promise<{ trialId: number; code: number | null; signal: string | null }>((resolve) => {
    child.once('error', () => resolve({ trialId: t.id, code: null, signal: null }));
    child.once('exit', (code, signal) => resolve({ trialId: t.id, code, signal }));
  });
  return { child, trialId: t.id, exit };
}

function searcherMetric(config: ExperimentConfig, t: TrialRow): number | null {
  if (t.op_metric !== null) return t.op_metric;
  const latest = t.latest_validation ? (JSON.parse(t.latest_validation) as ValidationSummary) : null;
  const v = latest?.metrics[config.searcher.metric];
  if (typeof v !== 'number') return null;
  if (t.op_target !== null && (latest?.stepsCompleted ?? 0) < t.op_target) return null;
  return v;
}

function trialExited(
  opts: RunOptions,
  config: ExperimentConfig,
  searcher: Searcher,
  trialId: number,
  code: number | null,
) {
  const { db, experimentId: id, onEvent } = opts;
  write(db, () => {
    const t = db.prepare('SELECT * FROM trials WHERE id = ?').get(trialId) as TrialRow;
    const metric = code === 0 ? searcherMetric(config, t) : null;
    if (metric !== null) {
      db.prepare(`UPDATE trials SET state = 'ACTIVE', op_pending = 0, op_metric = NULL WHERE id = ?`).run(
        trialId,
      );
      onEvent?.({ type: 'validation', trialId, stepsCompleted: t.op_target ?? t.steps_completed, metric });
      applyOps(db, id, searcher.validationCompleted(t.request_id, metric));
    } else if (t.restarts < config.maxRestarts) {
      db.prepare(`UPDATE trials SET state = 'ACTIVE', restarts = restarts + 1 WHERE id = ?`).run(trialId);
      onEvent?.({ type: 'trial-restarting', trialId, restarts: t.restarts + 1 });
    } else {
      db.prepare(
        `UPDATE trials SET state = 'ERROR', op_pending = 0, closed = 1, end_time = ? WHERE id = ?`,
      ).run(now(), trialId);
      onEvent?.({ type: 'trial-closed', trialId, state: 'ERROR' });
      applyOps(db, id, searcher.trialExitedEarly(t.request_id));
    }
    saveSearcher(db, id, searcher);
  });
  onEvent?.({ type: 'progress', experimentId: id, progress: searcher.progress() });
}

function finish(db: Db, id: number) {
  write(db, () => {
    db.prepare(
      `UPDATE trials SET state = 'COMPLETED', closed = 1, end_time = COALESCE(end_time, ?)
       WHERE experiment_id = ? AND state = 'ACTIVE'`,
    ).run(now(), id);
    const counts = db
      .prepare(`SELECT COUNT(*) AS n, SUM(state = 'ERROR') AS errors FROM trials WHERE experiment_id = ?`)
      .get(id) as { n: number; errors: number | null };
    const state = counts.n > 0 && counts.errors === counts.n ? 'ERROR' : 'COMPLETED';
    db.prepare(
      'UPDATE experiments SET state = ?, progress = 1, end_time = ?, runner_pid = NULL WHERE id = ?',
    ).run(state, now(), id);
  });
}
