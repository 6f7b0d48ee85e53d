import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDeterminedClient } from '../src/index.js';
import { bundleFixture } from './helpers.js';

describe('an experiment whose process is SIGKILLed', () => {
  let home: string;
  let trialScript: string;
  let runner: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'det-kill-'));
    trialScript = await bundleFixture('fake-trial');
    runner = await bundleFixture('run-experiment');
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(trialScript, { force: true });
    await rm(runner, { force: true });
  });

  it('shows as interrupted, not ACTIVE, and resumes from the latest checkpoint on activate', async () => {
    const client = createLocalDeterminedClient({
      home,
      pollMs: 50,
      trialRunner: { command: process.execPath, args: [trialScript] },
    });
    const { experiment } = await client.createExperiment(
      'hyperparameters: {lr: 0.01}\nsearcher: {name: single, metric: validation_accuracy, smaller_is_better: false, max_length: {epochs: 3}}\n',
    );
    // The master process and its trial in their own process group, killed together as a crash would.
    const child = spawn(process.execPath, [runner], {
      env: {
        ...process.env,
        FMNIST_HOME: home,
        EXPERIMENT_ID: String(experiment.id),
        TRIAL_SCRIPT: trialScript,
      },
      detached: true,
      stdio: 'ignore',
    });
    const [trial] = await client.listTrials(experiment.id);
    for (;;) {
      if ((await client.listCheckpoints({ trialId: trial!.id })).length > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;

    const interrupted = await client.getExperiment(experiment.id);
    expect(interrupted).toMatchObject({ state: 'PAUSED', interrupted: true });

    await client.activateExperiment(experiment.id);
    const done = await client.waitForExperiment(experiment.id);
    expect(done).toMatchObject({ state: 'COMPLETED', interrupted: false });
    const log = await readFile(join(home, 'determined', 'logs', `trial-${trial!.id}.log`), 'utf8');
    expect(log).toMatch(/resumed from .* at epoch 1/);
    const steps = (await client.getTrialMetrics(trial!.id, 'validation')).map((m) => m.stepsCompleted);
    expect(steps).toEqual([1, 2, 3]);
    await client.close();
  }, 60_000);
});
