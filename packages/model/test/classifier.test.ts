import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { bandImageSet } from '@fmnist/test-fixtures';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createClassifier,
  DEFAULT_HYPERPARAMETERS,
  initBackend,
  loadClassifier,
  MODEL_FILES,
  resetBackendChoice,
  resolveHyperparameters,
  saveClassifier,
  scorePredictions,
} from '../src/index.js';
import { WorkerPool } from '../src/parallel.js';
import { SMALL_CNN } from './helpers.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'fmnist-model-'));

afterEach(() => resetBackendChoice());

describe('training', () => {
  it('learns a separable dataset on wasm with the default CNN', async () => {
    await initBackend({ prefer: 'wasm' });
    const data = bandImageSet(320);
    const c = await createClassifier({ seed: 3 });
    const validations: number[] = [];
    const r = await c.train({
      train: data,
      validation: bandImageSet(100, { seed: 9 }),
      length: { epochs: 2 },
      workers: 1,
      onValidation: (m) => {
        validations.push(m.val_accuracy);
      },
    });
    expect(r.batches).toBe(10);
    expect(validations).toHaveLength(2);
    expect(r.validation?.val_accuracy).toBeGreaterThan(0.9);
    expect(c.metadata().backend).toBe('wasm');
  });

  it('learns on the cpu backend too', async () => {
    await initBackend({ prefer: 'cpu' });
    const c = await createClassifier({ hyperparameters: SMALL_CNN, seed: 1 });
    const r = await c.train({
      train: bandImageSet(160),
      validation: bandImageSet(60, { seed: 5 }),
      length: { epochs: 3 },
    });
    expect(r.validation?.val_accuracy).toBeGreaterThan(0.9);
    expect(c.metadata().backend).toBe('cpu');
    // The plain JavaScript cpu backend is slow, the more so on a shared machine.
  }, 300_000);

  it('trains the MLP architecture', async () => {
    await initBackend({ prefer: 'wasm' });
    const c = await createClassifier({
      hyperparameters: { architecture: 'mlp', dense1: 32, learning_rate: 0.01 },
    });
    expect(c.model.layers.map((l) => l.getClassName())).toEqual(['Flatten', 'Dense', 'Dense']);
    const r = await c.train({
      train: bandImageSet(200),
      validation: bandImageSet(50, { seed: 2 }),
      length: { epochs: 3 },
    });
    expect(r.validation?.val_accuracy).toBeGreaterThan(0.9);
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    await initBackend({ prefer: 'wasm' });
    const run = async (seed: number) => {
      const c = await createClassifier({ hyperparameters: SMALL_CNN, seed });
      await c.train({ train: bandImageSet(96), length: { batches: 4 }, workers: 1 });
      return Array.from(c.replica.weights);
    };
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
  });

  it.each([
    ['the plain recipe', {}],
    [
      'augmentation, label smoothing and a decaying learning rate',
      { augment_shift: 2, augment_flip: true, label_smoothing: 0.1, lr_decay: 0.5 },
    ],
    ['a cosine learning rate and a weight average', { lr_schedule: 'cosine', ema_decay: 0.9 }],
    ['batch normalisation and weight decay', { batch_norm: true, weight_decay: 0.1, ema_decay: 0.9 }],
  ])('gives bit-identical weights with two workers and with one: %s', async (_name, recipe) => {
    await initBackend({ prefer: 'wasm' });
    const data = bandImageSet(150);
    const run = async (workers: number) => {
      const c = await createClassifier({ hyperparameters: { ...SMALL_CNN, ...recipe }, seed: 4 });
      // 150 images in batches of 32: the last batch of each epoch is short and splits unevenly.
      const r = await c.train({ train: data, length: { batches: 7 }, workers });
      expect(r.workers).toBe(workers);
      const average = c.adam.average ? Array.from(c.adam.average) : undefined;
      // The model as saved: shown weights and, with batch_norm, the statistics measured for them.
      const model = c.model.getWeights().map((w) => Array.from(w.dataSync()));
      return { weights: Array.from(c.replica.weights), average, loss: r.training?.loss, model };
    };
    const one = await run(1);
    const two = await run(2);
    expect(two.weights).toEqual(one.weights);
    expect(two.average).toEqual(one.average);
    expect(two.loss).toBeCloseTo(one.loss as number, 10);
    expect(two.model).toEqual(one.model);
  });

  it.each([
    ['the plain recipe', {}],
    ['a cosine learning rate and a weight average', { lr_schedule: 'cosine', ema_decay: 0.9 }],
  ])('continues a run exactly where it stopped: %s', async (_name, recipe) => {
    await initBackend({ prefer: 'wasm' });
    const data = bandImageSet(96);
    const hyperparameters = { ...SMALL_CNN, ...recipe };
    const straight = await createClassifier({ hyperparameters, seed: 5 });
    await straight.train({ train: data, length: { batches: 6 }, workers: 1 });

    // A trial trains in chunks and says how long the whole run is, so the schedule spans all of it.
    const split = await createClassifier({ hyperparameters, seed: 5 });
    await split.train({ train: data, length: { batches: 2 }, runBatches: 6, workers: 1 });
    const dir = join(await tempDir(), 'ckpt');
    await saveClassifier(split, dir);
    const resumed = await loadClassifier(dir);
    expect(resumed.batchesTrained).toBe(2);
    await resumed.train({ train: data, length: { batches: 6 }, workers: 1 });
    expect(Array.from(resumed.replica.weights)).toEqual(Array.from(straight.replica.weights));
    expect(resumed.adam.average && Array.from(resumed.adam.average)).toEqual(
      straight.adam.average && Array.from(straight.adam.average),
    );
    const probe = bandImageSet(5, { seed: 77 });
    expect(Array.from(resumed.predictNormalized(probe.images, 5))).toEqual(
      Array.from(straight.predictNormalized(probe.images, 5)),
    );
  });

  it('keeps its workers for the next chunk when asked, training as one run does', async () => {
    await initBackend({ prefer: 'wasm' });
    const data = bandImageSet(96);
    const hyperparameters = { ...SMALL_CNN, lr_schedule: 'cosine', ema_decay: 0.9 };
    const straight = await createClassifier({ hyperparameters, seed: 6 });
    await straight.train({ train: data, length: { batches: 6 }, workers: 2 });

    const starts = vi.spyOn(WorkerPool, 'start');
    const chunked = await createClassifier({ hyperparameters, seed: 6 });
    try {
      for (const to of [2, 4, 6]) {
        await chunked.train({
          train: data,
          length: { batches: to },
          runBatches: 6,
          workers: 2,
          keepWorkers: true,
        });
      }
      expect(starts).toHaveBeenCalledTimes(1);
      expect(Array.from(chunked.replica.weights)).toEqual(Array.from(straight.replica.weights));
      expect(Array.from(chunked.model.getWeights()[0]!.dataSync())).toEqual(
        Array.from(straight.model.getWeights()[0]!.dataSync()),
      );
      // Another training set needs workers that hold it.
      await chunked.train({
        train: bandImageSet(96, { seed: 9 }),
        length: { batches: 7 },
        runBatches: 7,
        workers: 2,
      });
      expect(starts).toHaveBeenCalledTimes(2);
    } finally {
      starts.mockRestore();
      await chunked.closeWorkers();
    }
  });

  it('stops early when asked', async () => {
    await initBackend({ prefer: 'wasm' });
    const c = await createClassifier({ hyperparameters: SMALL_CNN });
    let calls = 0;
    const r = await c.train({
      train: bandImageSet(320),
      length: { epochs: 5 },
      workers: 1,
      shouldStop: () => ++calls > 3,
    });
    expect(r.batches).toBeLessThan(5);
  });
});

describe('save and load', () => {
  it('loads a saved model that predicts exactly as the original', async () => {
    await initBackend({ prefer: 'wasm' });
    const c = await createClassifier({ hyperparameters: SMALL_CNN, seed: 2 });
    await c.train({ train: bandImageSet(64), length: { batches: 2 }, workers: 1 });
    const dir = join(await tempDir(), 'model');
    const meta = await saveClassifier(c, dir, {
      lineage: { dataCommit: 'abc123' },
      metrics: { test_accuracy: 0.5 },
    });
    expect(meta).toMatchObject({
      backend: 'wasm',
      lineage: { dataCommit: 'abc123' },
      metrics: { test_accuracy: 0.5 },
    });

    const loaded = await loadClassifier(dir);
    const probe = bandImageSet(5, { seed: 77 });
    expect(Array.from(loaded.predictNormalized(probe.images, 5))).toEqual(
      Array.from(c.predictNormalized(probe.images, 5)),
    );
    expect(loaded.lineage).toEqual({ dataCommit: 'abc123' });
    expect(loaded.hyperparameters).toEqual(resolveHyperparameters(SMALL_CNN));
  });

  it.each([
    ['the plain CNN', {}],
    ['with batch normalisation', { batch_norm: true }],
  ])('writes the tfjs layers format that plain loadLayersModel reads over HTTP: %s', async (_name, extra) => {
    await initBackend({ prefer: 'wasm' });
    const c = await createClassifier({ hyperparameters: { ...SMALL_CNN, ...extra }, seed: 2 });
    await c.train({ train: bandImageSet(64), length: { batches: 2 }, workers: 1 });
    const dir = join(await tempDir(), 'model');
    await saveClassifier(c, dir);
    const server = createServer(async (req, res) => {
      try {
        const body = await readFile(join(dir, (req.url ?? '/').slice(1)));
        res.writeHead(200, {
          'content-type':
            extname(req.url ?? '') === '.json' ? 'application/json' : 'application/octet-stream',
        });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const plain = await tfl.loadLayersModel(`http://127.0.0.1:${port}/${MODEL_FILES.topology}`);
      const probe = bandImageSet(3, { seed: 8 });
      const out = tf.tidy(() =>
        (plain.predict(tf.tensor4d(probe.images, [3, 28, 28, 1])) as tf.Tensor).dataSync(),
      );
      const ours = c.predictNormalized(probe.images, 3);
      for (let i = 0; i < ours.length; i++) expect(out[i]).toBeCloseTo(ours[i] as number, 6);
    } finally {
      server.close();
    }
  });

  it('names a missing weights file', async () => {
    await initBackend({ prefer: 'wasm' });
    const dir = join(await tempDir(), 'model');
    await saveClassifier(await createClassifier({ hyperparameters: SMALL_CNN }), dir);
    await writeFile(join(dir, MODEL_FILES.weights), '');
    await expect(loadClassifier(dir)).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message: expect.stringContaining('weights.bin holds 0 bytes'),
    });
  });

  it('refuses metadata that disagrees with the weights', async () => {
    await initBackend({ prefer: 'wasm' });
    const dir = join(await tempDir(), 'model');
    await saveClassifier(await createClassifier({ hyperparameters: SMALL_CNN }), dir);
    const metaFile = join(dir, MODEL_FILES.metadata);
    const meta = JSON.parse(await readFile(metaFile, 'utf8'));
    meta.hyperparameters.dense1 = 64;
    await writeFile(metaFile, JSON.stringify(meta));
    await expect(loadClassifier(dir)).rejects.toMatchObject({
      code: 'METADATA_MISMATCH',
      message: expect.stringMatching(
        /weight "dense1\/kernel" is \[200,16\] in the saved weights but .* give \[200,64\]/,
      ),
    });
  });

  it('says when the folder or its metadata is missing or damaged', async () => {
    await initBackend({ prefer: 'wasm' });
    await expect(loadClassifier('/nonexistent/model')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const dir = join(await tempDir(), 'model');
    await saveClassifier(await createClassifier({ hyperparameters: SMALL_CNN }), dir);
    await writeFile(join(dir, MODEL_FILES.metadata), '{"format": "fmnist-model", ');
    await expect(loadClassifier(dir)).rejects.toThrow(/metadata\.json is not valid JSON/);
  });
});

describe('predict', () => {
  it('takes bytes or unit floats for the same image alike', async () => {
    await initBackend({ prefer: 'wasm' });
    const c = await createClassifier({ hyperparameters: SMALL_CNN });
    const bytes = new Uint8Array(784).map((_, i) => (i * 7) % 256);
    const unit = Float32Array.from(bytes, (b) => b / 255);
    const a = c.predict(bytes, 'uint8');
    const b = c.predict(unit, 'unit');
    expect(a).toHaveLength(10);
    for (let i = 0; i < 10; i++) expect(a[i]).toBeCloseTo(b[i] as number, 5);
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
  });

  it('rejects input of the wrong size, range or kind', async () => {
    await initBackend({ prefer: 'wasm' });
    const c = await createClassifier({ hyperparameters: SMALL_CNN });
    expect(() => c.predict(new Uint8Array(100), 'uint8')).toThrow(
      /holds 100 values; expected a multiple of 784/,
    );
    expect(() => c.predict(new Float32Array(784).fill(2), 'unit')).toThrow(
      /pixel 0 is 2; unit pixels must be 0..1/,
    );
    expect(() => c.predict(new Float32Array(784).fill(Number.NaN), 'unit')).toThrow(/pixel 0 is NaN/);
    expect(() => c.predict(new Uint8Array(784), 'bytes' as never)).toThrow(/pixel range must be "uint8"/);
  });
});

describe('hyperparameters', () => {
  it('fills in the defaults of the default CNN', () => {
    expect(resolveHyperparameters({})).toEqual(DEFAULT_HYPERPARAMETERS);
    expect(DEFAULT_HYPERPARAMETERS).toMatchObject({
      filters1: 32,
      filters2: 64,
      dense1: 128,
      dropout: 0.25,
      learning_rate: 0.001,
    });
  });

  it('lists the known names when given an unknown one', () => {
    expect(() => resolveHyperparameters({ dropout_rate: 0.3 })).toThrow(
      /unknown hyperparameter "dropout_rate"; known: architecture, filters1, filters2, dense1, batch_norm, dropout, learning_rate, lr_schedule, lr_decay, ema_decay, weight_decay, label_smoothing, augment_shift, augment_flip, global_batch_size/,
    );
  });

  it('checks each value', () => {
    expect(() => resolveHyperparameters({ filters1: 2.5 })).toThrow(
      /filters1 must be a positive integer, got 2.5/,
    );
    expect(() => resolveHyperparameters({ dropout: 1 })).toThrow(/dropout must be a number from 0/);
    expect(() => resolveHyperparameters({ architecture: 'resnet' })).toThrow(/"cnn" or "mlp"/);
    expect(() => resolveHyperparameters({ lr_decay: 1.5 })).toThrow(
      /lr_decay must be a number above 0, up to 1/,
    );
    expect(() => resolveHyperparameters({ augment_shift: 1.5 })).toThrow(
      /augment_shift must be a whole number/,
    );
    expect(() => resolveHyperparameters({ augment_flip: 'yes' })).toThrow(
      /augment_flip must be true or false/,
    );
    expect(() => resolveHyperparameters({ label_smoothing: 1 })).toThrow(
      /label_smoothing must be a number from 0/,
    );
    expect(() => resolveHyperparameters({ lr_schedule: 'step' })).toThrow(
      /lr_schedule must be "exponential" or "cosine", got "step"/,
    );
    expect(() => resolveHyperparameters({ ema_decay: 1 })).toThrow(
      /ema_decay must be a number from 0 \(off\) up to \(not including\) 1, got 1/,
    );
    expect(() => resolveHyperparameters({ weight_decay: -0.1 })).toThrow(
      /weight_decay must be a number from 0 \(off\) to 1, got -0.1/,
    );
    expect(() => resolveHyperparameters({ batch_norm: 1 })).toThrow(
      /batch_norm must be true or false, got 1/,
    );
    expect(() => resolveHyperparameters({ lr_schedule: 'cosine', lr_decay: 0.8 })).toThrow(
      /lr_decay \(0.8\) applies to lr_schedule "exponential" only/,
    );
  });
});

describe('scorePredictions', () => {
  it('computes accuracy, loss, per-class precision and recall and the confusion matrix', () => {
    const names = ['a', 'b', 'c'];
    // Three images: true 0 → predicted 0, true 1 → predicted 0, true 2 → predicted 2.
    const probs = Float32Array.from([0.8, 0.1, 0.1, 0.6, 0.3, 0.1, 0.1, 0.1, 0.8]);
    const ev = scorePredictions(probs, Uint8Array.from([0, 1, 2]), names);
    expect(ev.accuracy).toBeCloseTo(2 / 3);
    expect(ev.confusion).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(ev.precision).toEqual([0.5, 0, 1]);
    expect(ev.recall).toEqual([1, 0, 1]);
    expect(ev.loss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.3) + Math.log(0.8)) / 3, 5);
  });
});
