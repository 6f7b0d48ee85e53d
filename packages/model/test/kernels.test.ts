import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerWasmTrainingKernels } from '../src/kernels/index.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid';

/** Seeded LCG so failures are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
function randArray(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

/** Runs one kernel on a backend with plain arrays in and out. */
async function onBackend(
  backend: string,
  name: string,
  inputs: Record<string, [Float32Array, number[]]>,
  attrs: object,
): Promise<{ data: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, [v, s]] of Object.entries(inputs)) ts[k] = tf.tensor(v, s);
    const out = tf.engine().runKernel(name, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
    return { data: out.dataSync() as Float32Array, shape: out.shape };
  });
}

/** max |a-b| / max |b|: insensitive to individual near-zero entries. */
function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

async function compare(
  name: string,
  inputs: Record<string, [Float32Array, number[]]>,
  attrs: object,
): Promise<void> {
  const want = await onBackend('cpu', name, inputs, attrs);
  const got = await onBackend('wasm', name, inputs, attrs);
  expect(got.shape).toEqual(want.shape);
  expect(relErr(got.data, want.data)).toBeLessThan(1e-4);
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  s: number;
  pad: Pad;
}

function convCases(): ConvCase[] {
  const r = rng(7);
  const cases: ConvCase[] = [];
  for (const n of [1, 64]) {
    for (const cin of [1, 3, 32]) {
      for (const s of [1, 2]) {
        for (const pad of ['same', 'valid'] as const) {
          // Large cases are kept small because the cpu reference is slow.
          const big = n === 64;
          const k = 1 + Math.floor(r() * (big ? 3 : 5));
          const h = k + 2 + Math.floor(r() * (big ? 6 : 20));
          const w = k + 2 + Math.floor(r() * (big ? 6 : 20));
          const cout = 1 + Math.floor(r() * (big ? 12 : 40));
          cases.push({ n, h, w, cin, cout, k, s, pad });
        }
      }
    }
  }
  // The default CNN's own layers (second one at a reduced batch: the cpu reference is slow).
  cases.push({ n: 64, h: 28, w: 28, cin: 1, cout: 32, k: 3, s: 1, pad: 'valid' });
  cases.push({ n: 4, h: 13, w: 13, cin: 32, cout: 64, k: 3, s: 1, pad: 'valid' });
  // Few input channels with cout a multiple of 4 take the direct filter gradient: blocks of 8 and of 4
  // output channels, filter rows of 1, 2, 3 and 5 taps (a triple and a pair), strides, padding, batch 1.
  cases.push({ n: 1, h: 9, w: 11, cin: 1, cout: 12, k: 5, s: 1, pad: 'same' });
  cases.push({ n: 3, h: 10, w: 7, cin: 3, cout: 4, k: 2, s: 2, pad: 'same' });
  cases.push({ n: 2, h: 12, w: 12, cin: 2, cout: 20, k: 3, s: 2, pad: 'valid' });
  cases.push({ n: 1, h: 6, w: 5, cin: 3, cout: 8, k: 1, s: 1, pad: 'valid' });
  return cases;
}

function outSize(i: number, k: number, s: number, pad: Pad): number {
  return pad === 'same' ? Math.ceil(i / s) : Math.floor((i - k) / s) + 1;
}

const label = (c: ConvCase): string =>
  `n${c.n} ${c.h}x${c.w}x${c.cin} k${c.k} s${c.s} ${c.pad} cout${c.cout}`;

// These tests compute synchronously; between them the worker's event loop takes a turn, so vitest's own
// messages to its main process are answered (they time out after a minute without one).
afterEach(() => new Promise<void>((done) => setImmediate(done)));
// The cpu reference for the default CNN's layers takes seconds, many more on a busy shared machine.
vi.setConfig({ testTimeout: 60_000 });

beforeAll(async () => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // idempotent
  await tf.setBackend('wasm');
});

describe('Conv2DBackpropFilter', () => {
  it.each(convCases().map((c) => [label(c), c] as const))('%s', async (_l, c) => {
    const r = rng(c.n * 1000 + c.h);
    const oh = outSize(c.h, c.k, c.s, c.pad);
    const ow = outSize(c.w, c.k, c.s, c.pad);
    const x = randArray(c.n * c.h * c.w * c.cin, r);
    const dy = randArray(c.n * oh * ow * c.cout, r);
    await compare(
      'Conv2DBackpropFilter',
      { x: [x, [c.n, c.h, c.w, c.cin]], dy: [dy, [c.n, oh, ow, c.cout]] },
      {
        strides: [c.s, c.s],
        pad: c.pad,
        dataFormat: 'NHWC',
        filterShape: [c.k, c.k, c.cin, c.cout],
      },
    );
  });
});

describe('Conv2DBackpropInput', () => {
  it.each(convCases().map((c) => [label(c), c] as const))('%s', async (_l, c) => {
    const r = rng(c.n * 1000 + c.w);
    const oh = outSize(c.h, c.k, c.s, c.pad);
    const ow = outSize(c.w, c.k, c.s, c.pad);
    const f = randArray(c.k * c.k * c.cin * c.cout, r);
    const dy = randArray(c.n * oh * ow * c.cout, r);
    await compare(
      'Conv2DBackpropInput',
      { dy: [dy, [c.n, oh, ow, c.cout]], filter: [f, [c.k, c.k, c.cin, c.cout]] },
      {
        strides: [c.s, c.s],
        pad: c.pad,
        dataFormat: 'NHWC',
        inputShape: [c.n, c.h, c.w, c.cin] as Shape4,
      },
    );
  });

  it('rejects NCHW instead of computing garbage', async () => {
    await tf.setBackend('wasm');
    const dy = tf.zeros([1, 4, 4, 2]);
    const f = tf.zeros([3, 3, 2, 2]);
    expect(() =>
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy, filter: f },
        {
          strides: 1,
          pad: 'same',
          dataFormat: 'NCHW',
          inputShape: [1, 2, 4, 4],
        },
      ),
    ).toThrow(/NCHW/);
    tf.dispose([dy, f]);
  });
});

describe('MaxPoolGrad', () => {
  const cases: Array<[Shape4, number, number, Pad]> = [
    [[64, 26, 26, 32], 2, 2, 'valid'],
    [[64, 11, 11, 64], 2, 2, 'valid'],
    [[2, 9, 7, 3], 3, 2, 'same'],
    [[1, 8, 8, 5], 3, 1, 'valid'],
    // The SIMD 2x2 path: batch 1, odd sizes (uncovered last row and column), channels not a multiple of 4.
    [[1, 5, 7, 6], 2, 2, 'valid'],
    [[3, 4, 6, 1], 2, 2, 'valid'],
    // 'same' pads only bottom and right here: windows that leave the image take the general path.
    [[2, 5, 5, 4], 2, 2, 'same'],
    [[1, 6, 6, 8], 2, 1, 'valid'],
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_l, [shape, f, s, pad]) => {
    const r = rng(shape[1] * 7 + f);
    // ReLU-like input with many exact ties (zeros), where the choice of maximum matters.
    const x = randArray(
      shape.reduce((p, d) => p * d, 1),
      r,
    ).map((v) => Math.max(0, v));
    await tf.setBackend('cpu');
    const out = tf.tidy(() => {
      const y = tf.maxPool(tf.tensor4d(x, shape), f, s, pad);
      return { data: y.dataSync() as Float32Array, shape: y.shape };
    });
    const dy = randArray(out.data.length, r);
    await compare(
      'MaxPoolGrad',
      { dy: [dy, out.shape], input: [x, shape], output: [out.data, out.shape] },
      {
        filterSize: f,
        strides: s,
        pad,
      },
    );
  });
});

describe('MaxPool', () => {
  const cases: Array<[Shape4, number, number, Pad]> = [
    [[64, 26, 26, 32], 2, 2, 'valid'],
    [[1, 11, 11, 64], 2, 2, 'valid'], // batch 1, odd sizes: the last row and column are dropped
    [[3, 6, 8, 6], 2, 2, 'valid'], // channels not a multiple of 4
    [[2, 5, 5, 4], 2, 2, 'same'], // windows leave the image: stock path
    [[2, 9, 7, 3], 3, 2, 'valid'], // other windows: stock path
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_l, [shape, f, s, pad]) => {
    const x = randArray(
      shape.reduce((p, d) => p * d, 1),
      rng(shape[1] * 13 + f),
    );
    await compare('MaxPool', { x: [x, shape] }, { filterSize: f, strides: s, pad });
  });
});

describe('Sum', () => {
  const cases: Array<[number[], number[], boolean]> = [
    [[64, 26, 26, 32], [0, 1, 2], false],
    [[64, 128], [0], true],
    [[5, 7, 3], [1], false], // not leading: stock path
    [[17, 3], [0, 1], false],
    [[9, 5], [0], false], // columns not a multiple of 4
    [[1, 6], [0], true], // batch 1
    [[2, 3, 3, 7], [0, 1, 2], true],
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_l, [shape, axis, keepDims]) => {
    const x = randArray(
      shape.reduce((p, d) => p * d, 1),
      rng(shape[0]!),
    );
    await compare('Sum', { x: [x, shape] }, { axis, keepDims });
  });
});

describe('Identity', () => {
  it('shares storage and survives disposal of the source', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
  });
});

describe('Cast', () => {
  it('shares storage when the dtype is unchanged and converts otherwise', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor([1.5, -2.25, 3]);
    const same = tf.cast(a, 'float32');
    const asInt = tf.cast(a, 'int32');
    a.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(asInt.dtype).toBe('int32');
    expect(Array.from(asInt.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([same, asInt]);
  });
});

describe('Add', () => {
  const cases: Array<[number[], number[]]> = [
    [[4, 26, 26, 32], [32]], // the first layer's bias (a small batch: the cpu reference is slow)
    [[1, 11, 11, 64], [64]], // batch 1
    [[5, 7], [7]], // columns not a multiple of 4
    [
      [3, 4],
      [3, 4],
    ], // same shapes: stock path
    [[4], [4]], // rank 1: stock path
    [[2, 3, 1], [1]], // one column: stock path
    [
      [6, 1],
      [6, 5],
    ], // broadcast both ways: stock path
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', async (_l, [as, bs]) => {
    const r = rng(as.length * 17 + bs[0]!);
    const a = randArray(
      as.reduce((p, d) => p * d, 1),
      r,
    );
    const b = randArray(
      bs.reduce((p, d) => p * d, 1),
      r,
    );
    await compare('Add', { a: [a, as], b: [b, bs] }, {});
  });
});

describe('default CNN gradients', () => {
  it('match the cpu backend', async () => {
    const r = rng(99);
    // A small batch: the cpu reference runs synchronously, and a test that blocks its worker for a minute
    // loses vitest's own messages ("Timeout calling onTaskUpdate").
    const n = 6;
    const x = randArray(n * 784, r).map((v) => (v + 1) / 2);
    const labels = new Float32Array(n * 10);
    for (let i = 0; i < n; i++) labels[i * 10 + (i % 10)] = 1;
    const grads = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const layers = [
        tfl.layers.conv2d({
          inputShape: [28, 28, 1],
          kernelSize: 3,
          filters: 32,
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({
          kernelSize: 3,
          filters: 64,
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
        }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({
          units: 128,
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
        }),
        tfl.layers.dense({
          units: 10,
          activation: 'softmax',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
        }),
      ];
      const model = tfl.sequential({ layers });
      const xs = tf.tensor4d(x, [n, 28, 28, 1]);
      const ys = tf.tensor2d(labels, [n, 10]);
      const { grads: g } = tf.variableGrads(
        () => tf.mean(tfl.metrics.categoricalCrossentropy(ys, model.apply(xs) as tf.Tensor)) as tf.Scalar,
      );
      const out = Object.keys(g)
        .sort()
        .map((k) => g[k]!.dataSync() as Float32Array);
      tf.dispose([xs, ys, ...Object.values(g)]);
      model.dispose();
      return out;
    };
    const want = await grads('cpu');
    const got = await grads('wasm');
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(relErr(got[i]!, want[i]!)).toBeLessThan(1e-4);
    // The plain JavaScript cpu backend is slow, the more so on a shared machine.
  }, 300_000);
});

describe('Relu gradient', () => {
  // Negative, zero and positive inputs and gradients, and a length that leaves a scalar tail of 3.
  it.each([[7], [64, 5, 5, 3], [1]])('matches dy * step(x) exactly for shape %j', async (...shape) => {
    const size = shape.reduce((p, d) => p * d, 1);
    const r = rng(size);
    const x = randArray(size, r).map((v, i) => (i % 5 === 0 ? 0 : v));
    const dy = randArray(size, r);
    const grad = () =>
      tf.tidy(() => {
        const [g] = tf.grads((t: tf.Tensor) => tf.relu(t))([tf.tensor(x, shape)], tf.tensor(dy, shape));
        return Array.from(g!.dataSync());
      });
    const { kernelNames } = await tf.profile(grad);
    expect(kernelNames).toContain('FmnistReluGrad');
    expect(kernelNames).not.toContain('Step');
    const got = grad();
    await tf.setBackend('cpu');
    const want = grad();
    await tf.setBackend('wasm');
    expect(got).toEqual(want);
  });
});

describe('BatchMatMul', () => {
  const shapes: Array<[number[], number[], boolean, boolean]> = [
    [[64, 1600], [64, 128], true, false],
    [[64, 128], [1600, 128], false, true], // dense input gradient: computed as (W . dy^T)^T
    [[32, 10], [128, 10], false, true],
    [[37, 5], [19, 37], true, true],
    [[3, 40], [50, 3], true, true], // the transposed product moves less
    [[9, 2], [9, 30], true, false],
    [[1, 6], [5, 6], false, true], // batch 1
    [[1, 7, 9], [1, 11, 9], false, true],
    [[3, 7, 9], [3, 7, 4], true, false], // batched: stock path
    [[8, 9], [9, 3], false, false],
    [[32, 1600], [1600, 128], false, false], // dense forward: six-row blocks, weights read in place
    [[7, 13], [13, 10], false, false], // a row block of one, eight columns then a column tail of two
    [[1, 1600], [1600, 128], false, false], // batch 1
    [[5, 3], [3, 1], false, false], // one column
    [[12, 6], [6, 4], false, false], // exactly two row blocks of a four-column block
  ];
  it.each(shapes.map((s) => [JSON.stringify(s), s] as const))('%s', async (_l, [as, bs, ta, tb]) => {
    const r = rng(as[0]! * 31 + bs[0]!);
    const a = randArray(
      as.reduce((p, d) => p * d, 1),
      r,
    );
    const b = randArray(
      bs.reduce((p, d) => p * d, 1),
      r,
    );
    await compare('BatchMatMul', { a: [a, as], b: [b, bs] }, { transposeA: ta, transposeB: tb });
  });
});
