import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { batchNorm, CALIBRATION_IMAGES, calibrateBatchNorm } from '../src/batch-norm.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  await tf.setBackend('cpu');
});

/** Values that vary in sign and size per channel, from a fixed recurrence. */
function series(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out[i] = (s / 2 ** 31 - 0.3) * (1 + (i % 3)) + (i % 5);
  }
  return tf.tensor(out, shape);
}

/** The layer's output and the gradients of sum(output · weights) for its input, gamma and beta. */
function trainingPass(layer: tfl.layers.Layer, x: tf.Tensor, weights: tf.Tensor) {
  const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const input = tf.variable(x);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, weights)) as tf.Scalar,
    [input, gamma!, beta!],
  );
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  return {
    value: value.dataSync()[0]!,
    y: Array.from(y.dataSync()),
    dx: Array.from(grads[input.name]!.dataSync()),
    dGamma: Array.from(grads[gamma!.name]!.dataSync()),
    dBeta: Array.from(grads[beta!.name]!.dataSync()),
  };
}

function expectClose(actual: number[], expected: number[], digits: number) {
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, digits);
}

/** Equal within `rel` of the larger of 1 and the expected value's size. */
function expectNear(actual: number[], expected: number[], rel: number) {
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(
      rel * Math.max(1, Math.abs(expected[i]!)),
    );
  }
}

describe('batch normalisation', () => {
  // Shapes as the CNN has them (pooled activations) and odd ones: batch 1, one channel, a rank-2 input.
  it.each([[[4, 5, 5, 3]], [[1, 3, 3, 2]], [[6, 2, 2, 1]], [[7, 4]]])(
    'trains as tfjs BatchNormalization does, output and gradients (%j)',
    (shape) => {
      const ours = batchNorm('ours');
      const theirs = tfl.layers.batchNormalization({ name: 'theirs', epsilon: 1e-3 });
      ours.build(shape);
      theirs.build(shape);
      const channels = shape.at(-1)!;
      const gamma = series([channels], 3);
      const beta = series([channels], 4);
      for (const layer of [ours, theirs]) {
        const [, , mean, variance] = layer.getWeights();
        layer.setWeights([gamma, beta, mean!, variance!]);
      }
      const x = series(shape, 1);
      const w = series(shape, 2);
      const a = trainingPass(ours, x, w);
      const b = trainingPass(theirs, x, w);
      expect(a.value).toBeCloseTo(b.value, 3);
      expectClose(a.y, b.y, 4);
      expectClose(a.dx, b.dx, 4);
      expectClose(a.dGamma, b.dGamma, 3);
      expectClose(a.dBeta, b.dBeta, 4);
    },
  );

  // The CNN's channel counts (multiples of four, SIMD only) and others (a scalar tail), batch 1, rank 2.
  it.each([[[16, 13, 13, 32]], [[1, 5, 5, 64]], [[3, 4, 4, 7]], [[5, 2, 2, 1]], [[9, 6]]])(
    'trains with its wasm kernels as with tfjs ops on cpu (%j)',
    async (shape) => {
      const channels = shape.at(-1)!;
      const pass = async (backend: string) => {
        await tf.setBackend(backend);
        const layer = batchNorm(`on_${backend}`);
        layer.build(shape);
        const [, , mean, variance] = layer.getWeights();
        layer.setWeights([series([channels], 5), series([channels], 6), mean!, variance!]);
        let result: ReturnType<typeof trainingPass> | undefined;
        const profile = await tf.profile(() => {
          result = trainingPass(layer, series(shape, 7), series(shape, 8));
        });
        return { ...result!, kernels: profile.kernelNames };
      };
      try {
        const wasm = await pass('wasm');
        const cpu = await pass('cpu');
        expect(wasm.kernels).toEqual(
          expect.arrayContaining(['FmnistBatchNormTrain', 'FmnistBatchNormTrainGrad']),
        );
        expect(cpu.kernels).not.toContain('FmnistBatchNormTrain');
        // Float32 sums in another order: equal to a few units in the sixth digit.
        expectNear(wasm.y, cpu.y, 1e-4);
        expectNear(wasm.dx, cpu.dx, 1e-4);
        expectNear(wasm.dGamma, cpu.dGamma, 1e-4);
        expectNear(wasm.dBeta, cpu.dBeta, 1e-4);
      } finally {
        await tf.setBackend('cpu');
      }
    },
  );

  it('infers with the moving statistics and saves as a plain BatchNormalization', () => {
    const layer = batchNorm('norm');
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [2] }), layer] });
    layer.setWeights([tf.tensor1d([2, 1]), tf.tensor1d([0, 1]), tf.tensor1d([1, 0]), tf.tensor1d([4, 1])]);
    const y = model.predict(tf.tensor2d([[3, 2]])) as tf.Tensor;
    // (3 - 1) / √(4 + ε) · 2 + 0 and (2 - 0) / √(1 + ε) · 1 + 1
    expectClose(Array.from(y.dataSync()), [(2 / Math.sqrt(4.001)) * 2, 2 / Math.sqrt(1.001) + 1], 5);
    expect(layer.getClassName()).toBe('BatchNormalization');
    const saved = model.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
    expect(saved.config.layers.map((l) => l.class_name)).toEqual(['InputLayer', 'BatchNormalization']);
  });

  it('calibrates each layer on training images spread through the set, the later with the earlier set', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.inputLayer({ inputShape: [28, 28, 1] }),
        batchNorm('norm1'),
        tfl.layers.dense({ units: 2, kernelInitializer: 'ones', name: 'mix' }),
        batchNorm('norm2'),
      ],
    });
    // A set sorted by class, as the files may be: the first images alone would give other statistics.
    const count = 3 * CALIBRATION_IMAGES + 5;
    const sorted = new Float32Array(count * 784);
    for (let i = 0; i < count; i++) sorted.fill(i < count / 2 ? 0 : 1, i * 784, (i + 1) * 784);
    calibrateBatchNorm(model, sorted, count);
    const [, , mean1, var1] = model.getLayer('norm1').getWeights();
    const picked = Array.from({ length: CALIBRATION_IMAGES }, (_, i) =>
      Math.floor((i * count) / CALIBRATION_IMAGES),
    );
    const share = picked.filter((i) => i >= count / 2).length / CALIBRATION_IMAGES;
    expect(mean1!.dataSync()[0]).toBeCloseTo(share, 6);
    expect(var1!.dataSync()[0]).toBeCloseTo(share * (1 - share), 5);
    // norm2 sees norm1's output as inference gives it (mean 0, variance v / (v + ε)), not the raw pixels.
    const [, , mean2, var2] = model.getLayer('norm2').getWeights();
    const v = share * (1 - share);
    expectClose(Array.from(mean2!.dataSync()), [0, 0], 4);
    expectClose(Array.from(var2!.dataSync()), [v / (v + 1e-3), v / (v + 1e-3)], 4);
  });

  it('leaves a model without normalisation as it is', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [784], units: 2 })] });
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    calibrateBatchNorm(model, new Float32Array(784 * 3), 3);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
  });
});
