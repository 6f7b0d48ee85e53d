import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalDeterminedClient } from '@fmnist/determined-client';
import { loadClassifier, readModelMetadata } from '@fmnist/model';
import { describe, expect, it } from 'vitest';
import { TRIAL_ENTRYPOINT } from '../src/index.js';
import { homeWithData } from './fixtures.js';

const entrypoint = fileURLToPath(TRIAL_ENTRYPOINT).replace(/src[/\\]main\.js$/, join('dist', 'main.js'));

/** The embedded master, running this app's trial entrypoint. */
function masterFor(home: string) {
  return createLocalDeterminedClient({
    home,
    trialRunner: {
      command: process.execPath,
      args: [entrypoint],
      env: { FMNIST_HOME: home, FMNIST_WORKERS: '1' },
    },
  });
}

describe('a const experiment on the embedded master', () => {
  it('trains, validates, checkpoints with lineage and registers a loadable version', async () => {
    const { home, commits } = await homeWithData();
    const master = masterFor(home);
    const config = `
name: tiny-const
hyperparameters: { global_batch_size: 32, learning_rate: 0.003, filters1: 8, filters2: 16, dense1: 32 }
searcher: { name: single, metric: val_accuracy, smaller_is_better: false, max_length: { batches: 24 } }
min_validation_period: { batches: 8 }
max_restarts: 0
`;
    const { experiment } = await master.createExperiment(config);
    const done = await master.waitForExperiment(experiment.id);
    expect(done.state).toBe('COMPLETED');

    const [trial] = await master.listTrials(experiment.id);
    const validations = await master.getTrialMetrics(trial!.id, 'validation');
    expect(validations.map((v) => v.stepsCompleted)).toEqual([8, 16, 24]);
    expect(trial!.searcherMetricValue).toBeGreaterThan(0.9);

    const checkpoints = await master.listCheckpoints({ experimentId: experiment.id });
    expect(checkpoints.length).toBeGreaterThan(0);
    const last = checkpoints.at(-1)!;
    expect(last.metadata).toMatchObject({
      data_commits: { train: commits['fmnist-train-raw'], test: commits['fmnist-test-raw'] },
      backend: 'wasm',
    });

    await master.createModel('fashion-classifier');
    const version = await master.registerVersion('fashion-classifier', last.uuid);
    expect(version).toMatchObject({
      version: 1,
      experimentId: experiment.id,
      trialId: trial!.id,
      backend: 'wasm',
    });
    expect(version.dataCommits.train).toBe(commits['fmnist-train-raw']);

    const dir = await master.downloadCheckpoint(last.uuid, join(home, 'v1'));
    expect((await readModelMetadata(dir)).lineage).toMatchObject({
      experiment_id: experiment.id,
      trial_id: trial!.id,
    });
    const model = await loadClassifier(dir);
    expect(model.batchesTrained).toBe(24);
    model.dispose();
    await master.close();
  });

  it('fails the trial with a clear reason for an unknown hyperparameter', async () => {
    const { home } = await homeWithData();
    const master = masterFor(home);
    const { experiment } = await master.createExperiment(`
name: bad-hparam
hyperparameters: { global_batch_size: 32, n_filters1: 8 }
searcher: { name: single, metric: val_accuracy, smaller_is_better: false, max_length: { batches: 4 } }
max_restarts: 0
`);
    const done = await master.waitForExperiment(experiment.id);
    expect(done.state).toBe('ERROR');
    await master.close();
  });
});
