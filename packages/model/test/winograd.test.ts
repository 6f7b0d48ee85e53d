import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Gradients of the ops (tfjs-layers loads these too).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerWasmTrainingKernels } from '../src/kernels/index.js';

// The Winograd F(2x2, 3x3) convolution and its adjoints (wasm/winograd.c) against the cpu backend's direct
// convolution: the forward pass and both gradients through tf.grad, as training calls them.

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  pad: Pad;
  k?: number;
  stride?: number;
  dilation?: number;
}

const cases: Case[] = [
  { n: 4, h: 13, w: 13, cin: 32, cout: 64, pad: 'valid' }, // the default CNN's second layer
  { n: 1, h: 13, w: 13, cin: 32, cout: 64, pad: 'valid' }, // batch 1 (inference)
  { n: 2, h: 8, w: 10, cin: 8, cout: 8, pad: 'same' }, // even sizes
  { n: 3, h: 7, w: 9, cin: 12, cout: 20, pad: 'same' }, // odd sizes
  { n: 2, h: 11, w: 6, cin: 9, cout: 13, pad: 'valid' }, // channels not multiples of 4
  { n: 1, h: 5, w: 5, cin: 10, cout: 11, pad: 'same' },
  { n: 2, h: 3, w: 4, cin: 16, cout: 8, pad: 'valid' }, // a single row of outputs
  { n: 1, h: 1, w: 1, cin: 8, cout: 8, pad: 'same' }, // one pixel, all but the centre tap on padding
  {
    n: 2,
    h: 9,
    w: 7,
    cin: 8,
    cout: 12,
    pad: [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ],
  }, // explicit, uneven
  { n: 67, h: 6, w: 6, cin: 8, cout: 8, pad: 'same' }, // more tiles than one block, a partial last block
  // Shapes that keep the stock path.
  { n: 2, h: 9, w: 9, cin: 1, cout: 32, pad: 'valid' },
  { n: 2, h: 9, w: 9, cin: 16, cout: 4, pad: 'same' },
  { n: 2, h: 9, w: 9, cin: 16, cout: 16, pad: 'same', k: 5 },
  { n: 2, h: 9, w: 9, cin: 16, cout: 16, pad: 'same', stride: 2 },
  { n: 2, h: 9, w: 9, cin: 16, cout: 16, pad: 'valid', dilation: 2 },
];

const label = (c: Case): string =>
  `n${c.n} ${c.h}x${c.w} ${c.cin}->${c.cout} ${typeof c.pad === 'string' ? c.pad : 'explicit'}` +
  `${c.k ? ` k${c.k}` : ''}${c.stride ? ` stride ${c.stride}` : ''}${c.dilation ? ` dilation ${c.dilation}` : ''}`;

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

/** y = conv(x, w) and the gradients of sum(y * r) for a fixed random r, on one backend. */
async function run(backend: string, c: Case): Promise<Result> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const k = c.k ?? 3;
    const x = tf.randomUniform([c.n, c.h, c.w, c.cin], -1, 1, 'float32', 1);
    const w = tf.randomUniform([k, k, c.cin, c.cout], -1, 1, 'float32', 2);
    const conv = (xi: tf.Tensor4D, wi: tf.Tensor4D) =>
      tf.conv2d(xi, wi, c.stride ?? 1, c.pad, 'NHWC', c.dilation ?? 1);
    const y = conv(x as tf.Tensor4D, w as tf.Tensor4D);
    // tfjs has no gradient for dilated convolutions: those cases check the forward pass only.
    if (c.dilation)
      return { y: y.dataSync() as Float32Array, dx: new Float32Array(), dw: new Float32Array() };
    const r = tf.randomUniform(y.shape, -1, 1, 'float32', 3);
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
      tf.sum(tf.mul(conv(xi as tf.Tensor4D, wi as tf.Tensor4D), r)),
    )([x, w]);
    return {
      y: y.dataSync() as Float32Array,
      dx: dx!.dataSync() as Float32Array,
      dw: dw!.dataSync() as Float32Array,
    };
  });
}

/** Largest difference relative to the largest reference value. */
function maxRelDiff(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 1e-30;
  want.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(got[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / scale;
}

afterEach(() => new Promise<void>((done) => setImmediate(done)));
vi.setConfig({ testTimeout: 60_000 });

beforeAll(() => registerWasmTrainingKernels());

describe('Winograd 3x3 convolution on wasm', () => {
  it.each(cases.map((c) => [label(c), c] as const))('%s matches the cpu backend', async (_l, c) => {
    const want = await run('cpu', c);
    const got = await run('wasm', c);
    // F(2x2, 3x3) rounds a little differently from the direct sum: a few float32 ulps of the largest value.
    expect(maxRelDiff(got.y, want.y)).toBeLessThan(1e-5);
    expect(maxRelDiff(got.dx, want.dx)).toBeLessThan(1e-5);
    expect(maxRelDiff(got.dw, want.dw)).toBeLessThan(1e-5);
  });

  it.each([
    ['relu', true],
    ['linear', true],
    ['relu', false],
    ['elu', true], // not fused by Winograd: the stock kernel
  ] as const)(
    'fused with %s activation (bias: %s), as layers infer, matches the cpu backend',
    async (activation, withBias) => {
      const fused = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const x = tf.randomUniform([3, 13, 11, 32], -1, 1, 'float32', 4) as tf.Tensor4D;
          const w = tf.randomUniform([3, 3, 32, 20], -1, 1, 'float32', 5) as tf.Tensor4D;
          const bias = withBias ? tf.randomUniform([20], -1, 1, 'float32', 6) : undefined;
          const y = tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias, activation });
          return y.dataSync() as Float32Array;
        });
      };
      expect(maxRelDiff(await fused('wasm'), await fused('cpu'))).toBeLessThan(1e-5);
    },
  );

  it('gives bit-identical results for the same inputs, call after call', async () => {
    const c = cases[0]!;
    const a = await run('wasm', c);
    const b = await run('wasm', c);
    expect(Buffer.from(a.y.buffer).equals(Buffer.from(b.y.buffer))).toBe(true);
    expect(Buffer.from(a.dx.buffer).equals(Buffer.from(b.dx.buffer))).toBe(true);
    expect(Buffer.from(a.dw.buffer).equals(Buffer.from(b.dw.buffer))).toBe(true);
  });
});
