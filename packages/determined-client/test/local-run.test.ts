import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDeterminedClient, type DeterminedClient, type ExperimentEvent } from '../src/index.js';
import { bundleFixture } from './helpers.js';

let trialScript: string;
let home: string;
let client: DeterminedClient;

beforeAll(async () => {
  trialScript = await bundleFixture('fake-trial');
  home = await mkdtemp(join(tmpdir(), 'det-run-'));
  client = createLocalDeterminedClient({
    home,
    workers: 2,
    pollMs: 50,
    trialRunner: { command: process.execPath, args: [trialScript] },
  });
});
afterAll(async () => {
  await client.close();
  await rm(home, { recursive: true, force: true });
  await rm(trialScript, { force: true });
});

const base = `
name: fake
hyperparameters:
  lr: {type: log, minval: -4, maxval: -1, base: 10}
  hidden: {type: categorical, vals: [32, 64, 128]}
reproducibility: {experiment_seed: 7}
`;

describe('local master runs experiments end to end with a trial process', () => {
  it('single: one trial trains to max_length, validates and checkpoints every epoch', async () => {
    const { experiment } = await client.createExperiment(
      `${base}searcher: {name: single, metric: validation_accuracy, smaller_is_better: false, max_length: {epochs: 3}}\n`,
    );
    const events: ExperimentEvent[] = [];
    const done = await client.waitForExperiment(experiment.id, { onEvent: (e) => events.push(e) });
    expect(done.state).toBe('COMPLETED');
    const [trial, ...rest] = await client.listTrials(experiment.id);
    expect(rest).toHaveLength(0);
    expect(trial).toMatchObject({ state: 'COMPLETED', stepsCompleted: 3, restarts: 0 });
    expect((await client.getTrialMetrics(trial!.id, 'validation')).map((m) => m.stepsCompleted)).toEqual([
      1, 2, 3,
    ]);
    const ckpts = await client.listCheckpoints({ trialId: trial!.id });
    expect(ckpts.map((c) => c.stepsCompleted)).toEqual([1, 2, 3]);
    expect(await readdir(join(home, 'determined', 'checkpoints', ckpts[2]!.uuid))).toEqual(['state.json']);
    expect(events.some((e) => e.type === 'trial-started')).toBe(true);
  });

  it('grid: one trial per grid point, each with its point', async () => {
    const { experiment } = await client.createExperiment(`
name: grid
hyperparameters:
  lr: {type: log, minval: -3, maxval: -2, base: 10, count: 2}
  hidden: {type: categorical, vals: [32, 64]}
searcher: {name: grid, metric: validation_accuracy, smaller_is_better: false, max_length: {epochs: 2}}
`);
    const done = await client.waitForExperiment(experiment.id);
    expect(done.state).toBe('COMPLETED');
    const trials = await client.listTrials(experiment.id);
    expect(trials.map((t) => t.hparams)).toEqual([
      { lr: 0.001, hidden: 32 },
      { lr: 0.001, hidden: 64 },
      { lr: 0.01, hidden: 32 },
      { lr: 0.01, hidden: 64 },
    ]);
    expect(trials.every((t) => t.state === 'COMPLETED' && t.stepsCompleted === 2)).toBe(true);
  });

  it('random: max_trials trials, reproducible from the seed', async () => {
    const cfg = `${base}searcher: {name: random, metric: validation_accuracy, smaller_is_better: false, max_trials: 3, max_length: {epochs: 2}}\n`;
    const a = await client.createExperiment(cfg);
    const b = await client.createExperiment(cfg);
    await client.waitForExperiment(a.experiment.id);
    const ta = await client.listTrials(a.experiment.id);
    const tb = await client.listTrials(b.experiment.id);
    expect(ta).toHaveLength(3);
    expect(ta.map((t) => t.hparams)).toEqual(tb.map((t) => t.hparams));
    expect(new Set(ta.map((t) => JSON.stringify(t.hparams))).size).toBe(3);
  });

  it('adaptive_asha: trials stop at rungs, the ones that go on resume from their checkpoint', async () => {
    const { experiment } = await client.createExperiment(
      `${base}searcher: {name: adaptive_asha, metric: validation_accuracy, smaller_is_better: false, max_trials: 8, time_metric: epochs, max_time: 4, divisor: 2, mode: aggressive, max_rungs: 3}\n`,
    );
    const done = await client.waitForExperiment(experiment.id);
    expect(done.state).toBe('COMPLETED');
    const trials = await client.listTrials(experiment.id);
    expect(trials).toHaveLength(8);
    const lengths = trials.map((t) => t.stepsCompleted).sort((x, y) => x - y);
    // Rungs at 1, 2 and 4 epochs; a trial stops at the first rung where it arrives outside the top
    // half. How many stop early depends on the order results arrive in (0.38's stopping ASHA); the
    // first arrival at each rung always goes on, so one trial at least trains to the end.
    expect(lengths.every((l) => [1, 2, 4].includes(l))).toBe(true);
    expect(lengths.filter((l) => l === 4).length).toBeGreaterThanOrEqual(1);
    // A trial that went on continued from its rung checkpoint instead of starting over.
    const finished = trials.find((t) => t.stepsCompleted === 4)!;
    const log = await readFile(join(home, 'determined', 'logs', `trial-${finished.id}.log`), 'utf8');
    expect(log).toMatch(/resumed from .* at epoch 2/);
    expect((await client.getTrialMetrics(finished.id, 'validation')).map((m) => m.stepsCompleted)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('restarts a crashed trial from its latest checkpoint', async () => {
    const crashDir = await mkdtemp(join(tmpdir(), 'det-crash-'));
    const crashy = createLocalDeterminedClient({
      home,
      workers: 1,
      pollMs: 50,
      trialRunner: {
        command: process.execPath,
        args: [trialScript],
        env: { FAKE_TRIAL_CRASH_DIR: crashDir },
      },
    });
    const { experiment } = await crashy.createExperiment(
      `${base}max_restarts: 2\nsearcher: {name: single, metric: validation_accuracy, smaller_is_better: false, max_length: {epochs: 3}}\n`,
    );
    const done = await crashy.waitForExperiment(experiment.id);
    expect(done.state).toBe('COMPLETED');
    const [trial] = await crashy.listTrials(experiment.id);
    expect(trial).toMatchObject({ state: 'COMPLETED', restarts: 1, stepsCompleted: 3 });
    const log = await readFile(join(home, 'determined', 'logs', `trial-${trial!.id}.log`), 'utf8');
    expect(log).toMatch(/resumed from .* at epoch 1/);
    await crashy.close();
    await rm(crashDir, { recursive: true, force: true });
  });

  it('a trial that fails more than max_restarts times errors, and the experiment with it', async () => {
    const failing = createLocalDeterminedClient({
      home,
      workers: 1,
      pollMs: 50,
      trialRunner: { command: process.execPath, args: ['-e', 'process.exit(5)'] },
    });
    const { experiment } = await failing.createExperiment(
      `${base}max_restarts: 1\nsearcher: {name: single, metric: validation_accuracy, max_length: {epochs: 3}}\n`,
    );
    const done = await failing.waitForExperiment(experiment.id);
    expect(done.state).toBe('ERROR');
    const [trial] = await failing.listTrials(experiment.id);
    expect(trial).toMatchObject({ state: 'ERROR', restarts: 1 });
    await failing.close();
  });
});
