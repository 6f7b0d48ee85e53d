import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { INPUT_SHAPE, NUM_CLASSES, setDropoutStream } from './architecture.js';

/** Values in one input image. */
export const PIXELS = INPUT_SHAPE[0] * INPUT_SHAPE[1] * INPUT_SHAPE[2];

/**
 * Every batch is split into this many shards whose gradients are summed in a fixed order, whether
 * one thread computes them all or each worker computes its own: the result is the same either way.
 */
export const SHARDS = 2;

export interface ShardResult {
  lossSum: number;
  hits: number;
}

/** One copy of the model that computes gradients on shards and holds its weights as one flat vector. */
export class Replica {
  readonly vars: tf.Variable[];
  readonly size: number;
  readonly weights: Float32Array;

  constructor(readonly model: tfl.LayersModel) {
    this.vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    this.size = this.vars.reduce((s, v) => s + v.size, 0);
    this.weights = new Float32Array(this.size);
    this.readWeights();
  }

  /** Copies the model's variables into `weights`. */
  readWeights(): void {
    let off = 0;
    for (const v of this.vars) {
      this.weights.set(v.dataSync() as Float32Array, off);
      off += v.size;
    }
  }

  /** Copies `weights` (or another vector of the same layout) into the model's variables. */
  writeWeights(from: Float32Array = this.weights): void {
    let off = 0;
    tf.tidy(() => {
      for (const v of this.vars) {
        v.assign(tf.tensor(from.subarray(off, off + v.size), v.shape));
        off += v.size;
      }
    });
  }

  /**
   * Adds to `grads` the gradient of (sum of the shard's losses) / batchSize, so that shard gradients
   * add up to the batch's mean-loss gradient. With label smoothing the targets are
   * (1 - s) · one-hot + s / classes.
   */
  accumulateShard(
    x: Float32Array,
    labels: ArrayLike<number>,
    batchSize: number,
    dropoutStream: number,
    labelSmoothing: number,
    grads: Float32Array,
  ): ShardResult {
    const n = labels.length;
    if (n === 0) return { lossSum: 0, hits: 0 };
    setDropoutStream(this.model, dropoutStream);
    return tf.tidy(() => {
      const xs = tf.tensor4d(x, [n, ...INPUT_SHAPE]);
      const oneHot = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), NUM_CLASSES);
      const ys =
        labelSmoothing > 0
          ? tf.add(tf.mul(tf.cast(oneHot, 'float32'), 1 - labelSmoothing), labelSmoothing / NUM_CLASSES)
          : oneHot;
      let predicted: tf.Tensor | undefined;
      let lossSum: tf.Tensor | undefined;
      const { grads: g } = tf.variableGrads(() => {
        const probs = this.model.apply(xs, { training: true }) as tf.Tensor;
        predicted = tf.keep(tf.argMax(probs, -1));
        const perExample = tf.neg(tf.sum(tf.mul(ys, tf.log(tf.clipByValue(probs, 1e-7, 1 - 1e-7))), -1));
        lossSum = tf.keep(tf.sum(perExample));
        return tf.div(lossSum, batchSize) as tf.Scalar;
      }, this.vars);
      let off = 0;
      for (const v of this.vars) {
        addInto(grads, off, (g[v.name] as tf.Tensor).dataSync() as Float32Array);
        off += v.size;
      }
      const p = (predicted as tf.Tensor).dataSync();
      let hits = 0;
      for (let i = 0; i < n; i++) if (p[i] === labels[i]) hits++;
      const loss = (lossSum as tf.Tensor).dataSync()[0]!;
      tf.dispose([predicted as tf.Tensor, lossSum as tf.Tensor]);
      return { lossSum: loss, hits };
    });
  }
}

/**
 * grads[off + j] += d[j]. A small function of its own so that the engine optimises the loop: inlined in the
 * tidy callback above it ran several times slower.
 */
function addInto(grads: Float32Array, off: number, d: Float32Array): void {
  for (let j = 0; j < d.length; j++) grads[off + j] = grads[off + j]! + d[j]!;
}

/** Rows of shard `s` of a batch of `n`: contiguous, sizes differing by at most one. */
export function shardRange(n: number, s: number): [number, number] {
  const base = Math.floor(n / SHARDS);
  const extra = n % SHARDS;
  const from = s * base + Math.min(s, extra);
  return [from, from + base + (s < extra ? 1 : 0)];
}

/** Gathers batch rows `order[from..from+n)` of a dataset into `x` and `y`. */
export function gatherBatch(
  images: Float32Array,
  labels: Uint8Array,
  order: Uint32Array,
  from: number,
  n: number,
  x: Float32Array,
  y: Uint8Array,
): void {
  for (let i = 0; i < n; i++) {
    const src = order[from + i]!;
    x.set(images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    y[i] = labels[src]!;
  }
}
