import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bandImageSet } from '@fmnist/test-fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createClassifier,
  initBackend,
  loadClassifier,
  MODEL_FILES,
  resetBackendChoice,
  resolveHyperparameters,
  saveClassifier,
} from '../src/index.js';
import { averageDecayAt, learningRateAt } from '../src/schedule.js';
import { SMALL_CNN } from './helpers.js';

afterEach(() => resetBackendChoice());

describe('learning-rate schedules', () => {
  it('decays exponentially at every epoch boundary by default', () => {
    const hp = resolveHyperparameters({ learning_rate: 0.01, lr_decay: 0.5 });
    expect(hp.lr_schedule).toBe('exponential');
    // 10 batches to an epoch: batches 0..9 at the initial rate, 10..19 at half of it.
    expect(learningRateAt(hp, 0, 10, 80)).toBe(0.01);
    expect(learningRateAt(hp, 9, 10, 80)).toBe(0.01);
    expect(learningRateAt(hp, 10, 10, 80)).toBe(0.005);
    expect(learningRateAt(hp, 35, 10, 80)).toBe(0.00125);
    // The run's length does not matter to it.
    expect(learningRateAt(hp, 35, 10, 1000)).toBe(0.00125);
  });

  it('follows half a cosine over the whole run, from the initial rate to 0', () => {
    const hp = resolveHyperparameters({ learning_rate: 0.002, lr_schedule: 'cosine' });
    expect(learningRateAt(hp, 0, 10, 80)).toBe(0.002);
    expect(learningRateAt(hp, 40, 10, 80)).toBeCloseTo(0.001, 15);
    expect(learningRateAt(hp, 20, 10, 80)).toBeCloseTo(0.001 * (1 + Math.SQRT1_2), 15);
    expect(learningRateAt(hp, 79, 10, 80)).toBeGreaterThan(0);
    expect(learningRateAt(hp, 80, 10, 80)).toBe(0);
    expect(learningRateAt(hp, 95, 10, 80)).toBe(0);
    // Epoch boundaries mean nothing to it: it moves every batch.
    expect(learningRateAt(hp, 11, 10, 80)).toBeLessThan(learningRateAt(hp, 10, 10, 80));
  });

  it('averages the first batches with a lower decay, then with ema_decay', () => {
    expect(averageDecayAt(0.999, 0)).toBe(0.1);
    expect(averageDecayAt(0.999, 90)).toBe(0.91);
    expect(averageDecayAt(0.999, 100_000)).toBe(0.999);
  });
});

describe('training with a schedule and a weight average', () => {
  it('refuses a run length shorter than the batches a cosine run trains to', async () => {
    await initBackend({ prefer: 'wasm' });
    const c = await createClassifier({ hyperparameters: { ...SMALL_CNN, lr_schedule: 'cosine' } });
    await expect(
      c.train({ train: bandImageSet(64), length: { batches: 4 }, runBatches: 3, workers: 1 }),
    ).rejects.toThrow(/runBatches must be a whole number of batches, at least the 4 trained to, got 3/);
  });

  it('trains in chunks of one run exactly as in one go', async () => {
    await initBackend({ prefer: 'wasm' });
    const data = bandImageSet(96);
    const hyperparameters = { ...SMALL_CNN, lr_schedule: 'cosine' };
    const whole = await createClassifier({ hyperparameters, seed: 3 });
    await whole.train({ train: data, length: { batches: 6 }, workers: 1 });
    const chunked = await createClassifier({ hyperparameters, seed: 3 });
    for (const to of [1, 4, 6]) {
      await chunked.train({ train: data, length: { batches: to }, runBatches: 6, workers: 1 });
    }
    expect(Array.from(chunked.replica.weights)).toEqual(Array.from(whole.replica.weights));
    // Without the run's length each call would be a run of its own, with a curve of its own.
    const restarted = await createClassifier({ hyperparameters, seed: 3 });
    for (const to of [1, 4, 6]) await restarted.train({ train: data, length: { batches: to }, workers: 1 });
    expect(Array.from(restarted.replica.weights)).not.toEqual(Array.from(whole.replica.weights));
  });

  it('validates, predicts and saves the averaged weights, and resumes from the trained ones', async () => {
    await initBackend({ prefer: 'wasm' });
    const data = bandImageSet(160);
    const validation = bandImageSet(60, { seed: 5 });
    const c = await createClassifier({ hyperparameters: { ...SMALL_CNN, ema_decay: 0.9 }, seed: 2 });
    let validated: number | undefined;
    await c.train({
      train: data,
      validation,
      length: { epochs: 2 },
      workers: 1,
      onValidation: (m) => {
        validated = m.val_accuracy;
      },
    });
    const average = c.adam.average as Float32Array;
    expect(Array.from(average)).not.toEqual(Array.from(c.replica.weights));
    // The model holds the average outside training: its evaluation is the last validation's.
    expect(c.evaluate(validation).accuracy).toBe(validated);

    const dir = join(await mkdtemp(join(tmpdir(), 'fmnist-ema-')), 'model');
    await saveClassifier(c, dir);
    const meta = JSON.parse(await readFile(join(dir, MODEL_FILES.optimizer), 'utf8'));
    expect(meta).toMatchObject({ trainedWeights: true });
    const loaded = await loadClassifier(dir);
    expect(Array.from(loaded.replica.weights)).toEqual(Array.from(c.replica.weights));
    expect(Array.from(loaded.adam.average as Float32Array)).toEqual(Array.from(average));
    expect(loaded.evaluate(validation).accuracy).toBe(validated);

    // Saved without the optimiser, the model is the average alone, and averaging starts from it.
    const servingDir = join(dir, '..', 'serving');
    await saveClassifier(c, servingDir, { optimizer: false });
    const serving = await loadClassifier(servingDir);
    expect(Array.from(serving.replica.weights)).toEqual(Array.from(average));
    expect(Array.from(serving.adam.average as Float32Array)).toEqual(Array.from(average));
  });

  it('says what is wrong with a checkpoint whose optimiser state lacks the trained weights', async () => {
    await initBackend({ prefer: 'wasm' });
    const plain = await createClassifier({ hyperparameters: SMALL_CNN, seed: 2 });
    await plain.train({ train: bandImageSet(64), length: { batches: 2 }, workers: 1 });
    const dir = join(await mkdtemp(join(tmpdir(), 'fmnist-ema-')), 'model');
    await saveClassifier(plain, dir);
    // The same files, relabelled as a model that averages its weights.
    const metadataFile = join(dir, MODEL_FILES.metadata);
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8'));
    metadata.hyperparameters.ema_decay = 0.9;
    await writeFile(metadataFile, JSON.stringify(metadata));
    await expect(loadClassifier(dir)).rejects.toThrow(/optimizer.json does not describe this model/);
  });
});
