import {
  type DeterminedClient,
  type Experiment,
  parseExperimentConfig,
  planSearch,
  TERMINAL_STATES,
  type Trial,
} from '@fmnist/determined-client';
import { type Router, Router as router } from 'express';
import type { ExperimentDetail, ExperimentRow, Rung, TrialDetail } from '../../shared/api.js';
import { ask, type Engines } from '../engines.js';
import type { LiveHub } from '../live.js';
import type { Runs } from '../runs.js';
import { wholeNumber } from './params.js';

function bestOf(e: Experiment, trials: Trial[]): number | null {
  const values = trials.map((t) => t.searcherMetricValue).filter((v): v is number => typeof v === 'number');
  if (values.length === 0) return null;
  return e.smallerIsBetter ? Math.min(...values) : Math.max(...values);
}

function row(e: Experiment, trials: Trial[]): ExperimentRow {
  const end = e.endTime ? Date.parse(e.endTime) : Date.now();
  const start = Date.parse(e.startTime);
  return {
    ...e,
    bestMetric: bestOf(e, trials),
    durationSeconds: Number.isFinite(start) ? Math.max(0, (end - start) / 1000) : null,
  };
}

/**
 * ASHA's rungs by length, and for each the trials that reached it and those that stopped there: a
 * finished trial stopped at the highest rung its training reached.
 */
export function ashaRungs(e: Experiment, trials: Trial[]): { unit: string | null; rungs: Rung[] } {
  let plan: ReturnType<typeof planSearch>;
  try {
    plan = planSearch(parseExperimentConfig(e.config).config);
  } catch {
    return { unit: null, rungs: [] };
  }
  if (plan.searcher !== 'adaptive_asha' || !plan.brackets) return { unit: plan.unit, rungs: [] };
  const lengths = [...new Set(plan.brackets.flatMap((b) => b.rungs.map((r) => r.length)))].sort(
    (a, b) => a - b,
  );
  const rungs: Rung[] = lengths.map((length, index) => ({ index, length, reached: [], stopped: [] }));
  for (const t of trials) {
    const reached = rungs.filter((r) => t.stepsCompleted >= r.length);
    for (const r of reached) r.reached.push(t.id);
    const top = reached.at(-1);
    if (top && TERMINAL_STATES.includes(t.state)) top.stopped.push(t.id);
  }
  return { unit: plan.unit, rungs };
}

/** An experiment's page data: its row, trials, validation curves and (ASHA) rungs. */
export async function experimentDetail(master: DeterminedClient, id: number): Promise<ExperimentDetail> {
  const e = await ask('master', () => master.getExperiment(id));
  const trials = await ask('master', () => master.listTrials(id));
  const curves: ExperimentDetail['curves'] = {};
  for (const t of trials) {
    const reports = await ask('master', () => master.getTrialMetrics(t.id, 'validation'));
    curves[t.id] = reports
      .map((m) => ({ steps: m.stepsCompleted, value: Number(m.metrics[e.searcherMetric]) }))
      .filter((p) => Number.isFinite(p.value));
  }
  const { unit, rungs } = ashaRungs(e, trials);
  return {
    experiment: row(e, trials),
    trials,
    curves,
    unit,
    rungs,
    terminal: TERMINAL_STATES.includes(e.state),
  };
}

export function experimentRoutes(engines: Engines, runs: Runs, live: LiveHub): Router {
  const r = router();
  const { master } = engines;

  r.get('/experiments', async (_req, res) => {
    const list = await ask('master', () => master.listExperiments({ limit: 200 }));
    const rows: ExperimentRow[] = [];
    for (const e of list) rows.push(row(e, await ask('master', () => master.listTrials(e.id))));
    res.json(rows);
  });

  r.get('/experiments/:id', async (req, res) => {
    res.json(await experimentDetail(master, wholeNumber(req.params.id, 'experiment id')));
  });

  // The experiment page's live updates: a snapshot whenever it changes, until the experiment ends.
  r.get('/experiments/:id/events', async (req, res) => {
    const id = wholeNumber(req.params.id, 'experiment id');
    await ask('master', () => master.getExperiment(id)); // an unknown id is a 404, not an empty stream
    live.subscribe(String(id), req, res);
  });

  r.post('/experiments/:id/kill', async (req, res) => {
    const id = wholeNumber(req.params.id, 'experiment id');
    await ask('master', () => master.killExperiment(id));
    res.json(await ask('master', () => master.getExperiment(id)));
  });

  // Resumes a paused or interrupted experiment; the embedded master runs its trials in this process.
  r.post('/experiments/:id/activate', async (req, res) => {
    const id = wholeNumber(req.params.id, 'experiment id');
    await ask('master', () => runs.activate(id));
    res.json(await ask('master', () => master.getExperiment(id)));
  });

  r.get('/trials/:id', async (req, res) => {
    const id = wholeNumber(req.params.id, 'trial id');
    const trial = await ask('master', () => master.getTrial(id));
    const [experiment, training, validation, checkpoints, models] = await Promise.all([
      ask('master', () => master.getExperiment(trial.experimentId)),
      ask('master', () => master.getTrialMetrics(id, 'training')),
      ask('master', () => master.getTrialMetrics(id, 'validation')),
      ask('master', () => master.listCheckpoints({ trialId: id })),
      ask('master', () => master.listModels()),
    ]);
    const registered: TrialDetail['registered'] = {};
    for (const m of models) {
      for (const v of await ask('master', () => master.listVersions(m.name))) {
        if (v.trialId !== id && v.checkpoint.trialId !== id) continue;
        const labels = registered[v.checkpoint.uuid] ?? [];
        labels.push(`${m.name} v${v.version}`);
        registered[v.checkpoint.uuid] = labels;
      }
    }
    const answer: TrialDetail = {
      trial,
      experiment,
      training,
      validation,
      checkpoints,
      registered,
      models: models.map((m) => m.name),
    };
    res.json(answer);
  });

  return r;
}
