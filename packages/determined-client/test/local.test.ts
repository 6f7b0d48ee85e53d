import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeterminedClient, createLocalDeterminedClient, TRIAL_ENV } from '../src/index.js';
import { testDeterminedClient } from './contract.js';
import { bundleFixture } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

testDeterminedClient('local', async () => {
  const home = await mkdtemp(join(tmpdir(), 'det-local-'));
  return {
    client: createLocalDeterminedClient({ home }),
    trialEnv: (trialId) => ({ [TRIAL_ENV.home]: home, [TRIAL_ENV.trialId]: String(trialId) }),
    extraConfig: '',
    stop: () => rm(home, { recursive: true, force: true }),
  };
});

describe('local master specifics', () => {
  let home: string;
  let writer: string;
  let trialScript: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'det-local2-'));
    writer = await bundleFixture('writer');
    trialScript = await bundleFixture('fake-trial');
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(writer, { force: true });
    await rm(trialScript, { force: true });
  });

  it('keeps its database and checkpoints under <home>/determined', async () => {
    const client = createLocalDeterminedClient({ home });
    expect(existsSync(join(home, 'determined', 'master.db'))).toBe(true);
    expect(existsSync(join(home, 'determined', 'checkpoints'))).toBe(true);
    await client.close();
  });

  it('is chosen by createDeterminedClient when no master is set', async () => {
    const client = createDeterminedClient({ home, master: '' });
    expect(client.backend).toBe('local');
    await client.close();
  });

  it('checks its options when built', () => {
    expect(() => createLocalDeterminedClient({ home: '' })).toThrow(/needs \{ home/);
    expect(() => createLocalDeterminedClient({ home, workers: 0 })).toThrow(/workers/);
  });

  it('takes metrics and checkpoints from several trial processes writing at once', async () => {
    const client = createLocalDeterminedClient({ home });
    const { experiment } = await client.createExperiment(
      'hyperparameters: {lr: 0.1}\nsearcher: {name: random, metric: acc, max_trials: 4, max_length: {batches: 50}}\n',
      { activate: false },
    );
    const trials = await client.listTrials(experiment.id);
    const children: ChildProcess[] = trials.map((t) =>
      spawn(process.execPath, [writer], {
        env: { ...process.env, [TRIAL_ENV.home]: home, [TRIAL_ENV.trialId]: String(t.id), WRITES: '50' },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    const codes = await Promise.all(children.map((c) => new Promise((r) => c.on('exit', r))));
    expect(codes).toEqual([0, 0, 0, 0]);
    for (const t of trials) {
      const v = await client.getTrialMetrics(t.id, 'validation');
      expect(v.map((m) => m.stepsCompleted)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await client.listCheckpoints({ trialId: t.id })).toHaveLength(5);
      expect((await client.getTrial(t.id)).stepsCompleted).toBe(50);
    }
    await client.close();
  });

  it('resumes an interrupted experiment where it stopped (activateExperiment)', async () => {
    const hang = { command: process.execPath, args: [trialScript], env: { FAKE_TRIAL_HANG_AT: '2' } };
    const first = createLocalDeterminedClient({ home, workers: 1, pollMs: 20, trialRunner: hang });
    const { experiment } = await first.createExperiment(
      'hyperparameters: {lr: 0.003}\nreproducibility: {experiment_seed: 3}\nsearcher: {name: random, metric: validation_accuracy, smaller_is_better: false, max_trials: 2, max_length: {epochs: 4}}\n',
    );
    const [firstTrial] = await first.listTrials(experiment.id);
    const stop = new AbortController();
    const running = first.waitForExperiment(experiment.id, { signal: stop.signal });
    // Interrupt once the first trial has checkpointed epoch 2 (it then waits to be stopped).
    while ((await first.listCheckpoints({ trialId: firstTrial!.id })).length < 2) await sleep(20);
    stop.abort();
    const interrupted = await running;
    expect(interrupted.state).toBe('ACTIVE');
    expect((await first.getTrial(firstTrial!.id)).stepsCompleted).toBe(2);
    await first.close();

    const second = createLocalDeterminedClient({
      home,
      workers: 1,
      pollMs: 20,
      trialRunner: { command: process.execPath, args: [trialScript] },
    });
    await second.activateExperiment(experiment.id);
    const done = await second.waitForExperiment(experiment.id);
    expect(done.state).toBe('COMPLETED');
    const trials = await second.listTrials(experiment.id);
    expect(trials.map((t) => [t.state, t.stepsCompleted])).toEqual([
      ['COMPLETED', 4],
      ['COMPLETED', 4],
    ]);
    // The first trial went on from its checkpoint: each epoch validated once.
    const steps = (await second.getTrialMetrics(firstTrial!.id, 'validation')).map((m) => m.stepsCompleted);
    expect(steps).toEqual([1, 2, 3, 4]);
    await second.close();
  });

  it('stops a running experiment killed from another client', async () => {
    const runner = { command: process.execPath, args: [trialScript], env: { FAKE_TRIAL_HANG_AT: '1' } };
    const a = createLocalDeterminedClient({ home, workers: 2, pollMs: 20, trialRunner: runner });
    const b = createLocalDeterminedClient({ home });
    const { experiment } = await a.createExperiment(
      'hyperparameters: {lr: 0.003}\nsearcher: {name: random, metric: validation_accuracy, max_trials: 2, max_length: {epochs: 20}}\n',
    );
    const running = a.waitForExperiment(experiment.id, {
      onEvent: (e) => {
        if (e.type === 'trial-started') void b.killExperiment(experiment.id);
      },
    });
    const done = await running;
    expect(done.state).toBe('CANCELED');
    expect((await b.listTrials(experiment.id)).every((t) => t.state === 'CANCELED')).toBe(true);
    await a.close();
    await b.close();
  });
});
