import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlatAdam } from '../src/flat-adam.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Weights and gradients that vary in sign and size, from a fixed recurrence. */
function series(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out[i] = (s / 2 ** 31 - 0.5) * (i % 3 === 0 ? 10 : 0.01);
  }
  return out;
}

describe('FlatAdam', () => {
  // 7 weights: one SIMD block of four and a scalar tail of three.
  it.each([1, 7, 64])('follows tf.train.adam step for step (%i weights)', (n) => {
    const lr = 0.01;
    const adam = new FlatAdam(n, lr);
    const weights = series(n, 1);
    const variable = tf.variable(tf.tensor1d(weights.slice()));
    const reference = tf.train.adam(lr, 0.9, 0.999, 1e-7);
    for (let step = 0; step < 5; step++) {
      const grads = series(n, 100 + step);
      adam.apply(weights, grads);
      reference.applyGradients([{ name: variable.name, tensor: tf.tensor1d(grads) }]);
    }
    const expected = variable.dataSync();
    for (let i = 0; i < n; i++) expect(weights[i]).toBeCloseTo(expected[i]!, 5);
    expect(adam.iterations).toBe(5);
  });

  // AdamW (Loshchilov & Hutter): w ← w·(1 − lr·λ) − lr·m̂/(√v̂ + ε), the decay apart from the moments.
  it.each([1, 7])(
    'with weight decay shrinks each weight before the Adam step, as AdamW (%i weights)',
    (n) => {
      const lr = 0.01;
      const decay = 0.1;
      const adam = new FlatAdam(n, lr, 0, decay);
      const plain = new FlatAdam(n, lr);
      const weights = series(n, 3);
      const shrunk = weights.map((w) => w * (1 - lr * decay));
      const grads = series(n, 200);
      adam.apply(weights, grads);
      plain.apply(shrunk, grads);
      for (let i = 0; i < n; i++) expect(weights[i]).toBeCloseTo(shrunk[i]!, 6);
      expect(Array.from(adam.m)).toEqual(Array.from(plain.m));
    },
  );

  it('resumes exactly from its saved state', () => {
    const n = 9;
    const straight = new FlatAdam(n, 1e-3);
    const first = new FlatAdam(n, 1e-3);
    const w1 = series(n, 2);
    const w2 = w1.slice();
    for (let step = 0; step < 4; step++) {
      straight.apply(w1, series(n, 10 + step));
      if (step < 2) first.apply(w2, series(n, 10 + step));
    }
    const resumed = new FlatAdam(n, 1e-3);
    resumed.restore(first.state());
    for (let step = 2; step < 4; step++) resumed.apply(w2, series(n, 10 + step));
    expect(Array.from(w2)).toEqual(Array.from(w1));
  });

  it('refuses vectors of another size', () => {
    const adam = new FlatAdam(4, 1e-3);
    expect(() => adam.apply(new Float32Array(5), new Float32Array(5))).toThrow(/holds 4 weights/);
    expect(() => adam.restore({ iterations: 1, m: new Float32Array(3), v: new Float32Array(3) })).toThrow(
      /3 values for 4/,
    );
  });
});
