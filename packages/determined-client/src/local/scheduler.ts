import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperimentConfig } from '../config/index.js';
import { DeterminedError } from '../errors.js';
import { TRIAL_ENV } from '../internal/env.js';
import { createSearcher, type Searcher } from '../search.js';
import type { ExperimentConfig, ExperimentEvent, TrialRunner, ValidationSummary } from '../types.js';
import * as sql from './db.js';
import { isAlive } from './rows.js';

const TERMINAL = new Set(['COMPLETED', 'CANCELED', 'ERROR', 'DELETED']);
const STOPPING = new Set(['STOPPING_KILLED', 'STOPPING_CANCELED']);

export interface RunOptions {
  db: sql.Db;
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

const experimentRow = (db: sql.Db, id: number) => sql.getExperimentRow(db, id)!;

/** Waits for an experiment another process is running to end (or stop being run). */
async function watch(opts: RunOptions): Promise<void> {
  let last = '';
  for (;;) {
    const r = experimentRow(opts.db, opts.experimentId);
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
  const claimed = sql.write(db, () => {
    const r = experimentRow(db, id);
    if (TERMINAL.has(r.state) || r.state === 'PAUSED') return 'done';
    if (r.runner_pid && r.runner_pid !== process.pid && isAlive(r.runner_pid)) return 'other';
    sql.setRunner(db, id, process.pid);
    // Trials a dead master left running go back to the queue; they resume from their latest checkpoint.
    sql.requeueRunningTrials(db, id);
    return 'mine';
  });
  if (claimed === 'done') return;
  if (claimed === 'other') return watch(opts);
  if (!opts.runner) {
    sql.write(db, () => sql.setRunner(db, id, null));
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
  const row = experimentRow(db, id);
  const { config } = parseExperimentConfig(JSON.parse(row.config));
  const searcher = createSearcher(config, row.searcher_state ? JSON.parse(row.searcher_state) : undefined);
  const cap = config.searcher.maxConcurrentTrials || Number.POSITIVE_INFINITY;
  const workers = Math.max(1, Math.min(opts.workers, cap));
  const running = new Map<number, Running>();
  const validations = new ValidationEvents(db, config, onEvent);
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
      sql.write(db, () => {
        sql.requeueRunningTrials(db, id);
        sql.setRunner(db, id, null);
      });
      return;
    }
    if (STOPPING.has(experimentRow(db, id).state)) {
      await stopAll();
      sql.write(db, () => {
        sql.cancelUnfinishedTrials(db, id);
        sql.endExperiment(db, id, 'CANCELED');
      });
      onEvent?.({ type: 'state', experimentId: id, state: 'CANCELED' });
      return;
    }
    while (running.size < workers) {
      const next = sql.nextPendingTrial(db, id);
      if (!next) break;
      validations.started(next);
      running.set(next.id, launch(opts, runner, config, next));
    }
    if (running.size === 0) {
      finish(db, id);
      onEvent?.({ type: 'state', experimentId: id, state: experimentRow(db, id).state as never });
      return;
    }
    const done = await Promise.race([
      ...[...running.values()].map((r) => r.exit),
      sleep(opts.pollMs, opts.signal).then(() => null),
    ]);
    for (const trialId of running.keys()) validations.check(trialId);
    if (!done) continue;
    running.delete(done.trialId);
    validations.check(done.trialId);
    onEvent?.({ type: 'trial-exited', trialId: done.trialId, exitCode: done.code, signal: done.signal });
    if (STOPPING.has(experimentRow(db, id).state) || opts.signal?.aborted) continue;
    trialExited(opts, config, searcher, done.trialId, done.code);
  }
}

/** Emits a `validation` event for each validation a trial reports, once (the remote client emits the same). */
class ValidationEvents {
  private readonly seen = new Map<number, string>();
  constructor(
    private readonly db: sql.Db,
    private readonly config: ExperimentConfig,
    private readonly onEvent: RunOptions['onEvent'],
  ) {}
  check(trialId: number) {
    if (!this.onEvent) return;
    const latest = sql.getTrialRow(this.db, trialId)?.latest_validation;
    if (!latest || this.seen.get(trialId) === latest) return;
    const first = !this.seen.has(trialId);
    this.seen.set(trialId, latest);
    // The validation a resumed trial had before this run started is not news.
    if (first && this.startedWith.get(trialId) === latest) return;
    const v = JSON.parse(latest) as ValidationSummary;
    const metric = v.metrics[this.config.searcher.metric];
    this.onEvent({
      type: 'validation',
      trialId,
      stepsCompleted: v.stepsCompleted,
      metric: typeof metric === 'number' ? metric : null,
    });
  }
  private readonly startedWith = new Map<number, string | null>();
  started(t: sql.TrialRow) {
    if (!this.seen.has(t.id)) this.startedWith.set(t.id, t.latest_validation);
  }
}

function launch(opts: RunOptions, runner: TrialRunner, config: ExperimentConfig, t: sql.TrialRow): Running {
  const { db, experimentId, home } = opts;
  const runs = sql.write(db, () => sql.startTrialRun(db, t.id));
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
    [TRIAL_ENV.stepsCompleted]: String(t.checkpoint_steps ?? 0),
  };
  // A local trial reports to this master, never to a remote one the parent happens to point at.
  for (const name of [TRIAL_ENV.master, TRIAL_ENV.token, TRIAL_ENV.userToken, TRIAL_ENV.allocationId]) {
    delete env[name];
  }
  const log = openSync(join(sql.masterPaths(home).logs, `trial-${t.id}.log`), 'a');
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

/**
 * How far a validation says the trial got, in the searcher's unit: the time metric reported with it
 * (as a 0.38 ASHA reads it, master/pkg/searcher/asha_stopping.go), else its batch count.
 */
function trainedInUnits(config: ExperimentConfig, v: ValidationSummary): number {
  const unit = config.searcher.maxLength?.unit;
  const t = unit ? v.metrics[unit] : undefined;
  // A float epoch count a hair under the rung (59999/60000 batches) still reached it.
  return typeof t === 'number' ? t + 1e-9 : v.stepsCompleted;
}

function searcherMetric(config: ExperimentConfig, t: sql.TrialRow): number | null {
  if (t.op_metric !== null) return t.op_metric;
  const latest = t.latest_validation ? (JSON.parse(t.latest_validation) as ValidationSummary) : null;
  const v = latest?.metrics[config.searcher.metric];
  if (!latest || typeof v !== 'number') return null;
  if (t.op_target !== null && trainedInUnits(config, latest) < t.op_target) return null;
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
  sql.write(db, () => {
    const t = sql.getTrialRow(db, trialId)!;
    const metric = code === 0 ? searcherMetric(config, t) : null;
    if (metric !== null) {
      sql.completeTrialOp(db, trialId);
      sql.applySearchOps(db, id, searcher.validationCompleted(t.request_id, metric));
    } else if (t.restarts < config.maxRestarts) {
      sql.restartTrial(db, trialId);
      onEvent?.({ type: 'trial-restarting', trialId, restarts: t.restarts + 1 });
    } else {
      sql.failTrial(db, trialId);
      onEvent?.({ type: 'trial-closed', trialId, state: 'ERROR' });
      sql.applySearchOps(db, id, searcher.trialExitedEarly(t.request_id));
    }
    sql.saveSearcherState(db, id, searcher.snapshot(), searcher.progress());
  });
  onEvent?.({ type: 'progress', experimentId: id, progress: searcher.progress() });
}

function finish(db: sql.Db, id: number) {
  sql.write(db, () => {
    sql.completeActiveTrials(db, id);
    const { n, errors } = sql.countTrialErrors(db, id);
    sql.endExperiment(db, id, n > 0 && errors === n ? 'ERROR' : 'COMPLETED', 1);
  });
}
