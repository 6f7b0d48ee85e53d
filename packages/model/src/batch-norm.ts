import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/batch-norm-train.js';

const EPSILON = 1e-3;

type LayerCtor = new (args: Record<string, unknown>) => tfl.layers.Layer;
const NormBase = Object.getPrototypeOf(tfl.layers.batchNormalization({})).constructor as LayerCtor;

/**
 * Batch normalisation over the last axis whose training pass is one op with a closed-form gradient:
 * tfjs's own runs the moments' and the normalisation's gradients apart, through a Tile of the whole
 * activation, and updates moving averages that `calibrateBatchNorm` replaces anyway. Inference and the
 * saved form are tfjs's BatchNormalization's.
 */
class ShardBatchNorm extends NormBase {
  static readonly className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    if (!kwargs.training) return super.call(inputs, kwargs);
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const [gamma, beta] = this.trainableWeights.map((w) => w.read());
    return normalizeBatch(x, gamma!, beta!);
  }
}

/**
 * y = γ · (x − μ) / √(σ² + ε) + β with μ, σ² the batch's per-channel mean and variance, and its gradient
 * dx = γ / √(σ² + ε) · (dy − Σdy / M − x̂ · Σ(dy·x̂) / M), dγ = Σ(dy·x̂), dβ = Σdy over the M values of a
 * channel. On the wasm backend each direction is one kernel of this package's; elsewhere, tfjs ops.
 */
const normalizeBatch = tf.customGrad((...args: unknown[]) => {
  const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const fused = useKernels(x);
  const [y, xhat, rstd] = fused
    ? (tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon: EPSILON }) as tf.Tensor[])
    : normalizeWithOps(x, gamma, beta);
  save([xhat!, rstd!, gamma]);
  return {
    value: y!,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [xhat, rstd, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      return fused
        ? (tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy: g, xhat, rstd, gamma: scale }) as tf.Tensor[])
        : gradientWithOps(g, xhat, rstd, scale);
    },
  };
}) as unknown as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

function useKernels(x: tf.Tensor): boolean {
  return (
    tf.getBackend() === 'wasm' && x.dtype === 'float32' && tf.getKernel(BATCH_NORM_TRAIN, 'wasm') != null
  );
}

/** The axes a channel's statistics run over (all but the last) and how many values that is. */
function perChannel(shape: readonly number[]): { axes: number[]; count: number } {
  const axes = shape.slice(0, -1).map((_, i) => i);
  return { axes, count: tf.util.sizeFromShape(shape.slice(0, -1)) };
}

function normalizeWithOps(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor[] {
  const { axes, count } = perChannel(x.shape);
  // Sums scaled rather than tf.mean: the wasm backend's Mean transposes the activation first.
  const centred = tf.sub(x, tf.mul(tf.sum(x, axes), 1 / count));
  const rstd = tf.rsqrt(tf.add(tf.mul(tf.sum(tf.square(centred), axes), 1 / count), EPSILON));
  const xhat = tf.mul(centred, rstd);
  return [tf.add(tf.mul(xhat, gamma), beta), xhat, rstd];
}

function gradientWithOps(dy: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, gamma: tf.Tensor): tf.Tensor[] {
  const { axes, count } = perChannel(xhat.shape);
  const dBeta = tf.sum(dy, axes);
  const dGamma = tf.sum(tf.mul(dy, xhat), axes);
  const inner = tf.sub(tf.sub(dy, tf.mul(dBeta, 1 / count)), tf.mul(xhat, tf.mul(dGamma, 1 / count)));
  return [tf.mul(inner, tf.mul(gamma, rstd)), dGamma, dBeta];
}

/** A batch-normalisation layer for the CNN (named; saved as tfjs's BatchNormalization). */
export function batchNorm(name: string): tfl.layers.Layer {
  return new ShardBatchNorm({ name, epsilon: EPSILON });
}

/** Training images whose activations give the normalisation statistics. */
export const CALIBRATION_IMAGES = 2048;

/**
 * Sets each batch-normalisation layer's moving mean and variance to the mean and variance of its input
 * over `CALIBRATION_IMAGES` training images spread evenly through the set (which may be sorted by
 * class), layer by layer, each measured with the layers before it already set. The statistics then
 * belong to the weights the model holds now: the moving averages a layer keeps while training mix
 * weights of many steps (and of one worker's shards only), and none of the weight average's.
 * Deterministic: the same weights and images give the same statistics.
 */
export function calibrateBatchNorm(model: tfl.LayersModel, images: Float32Array, count: number): void {
  const norms = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  if (norms.length === 0 || count === 0) return;
  const image = model.inputs[0]!.shape.slice(1) as number[];
  const pixels = tf.util.sizeFromShape(image);
  const n = Math.min(CALIBRATION_IMAGES, count);
  const sample = new Float32Array(n * pixels);
  for (let i = 0; i < n; i++) {
    const src = Math.floor((i * count) / n);
    sample.set(images.subarray(src * pixels, (src + 1) * pixels), i * pixels);
  }
  for (const norm of norms) {
    const probe = tfl.model({ inputs: model.inputs, outputs: norm.input as tfl.SymbolicTensor });
    const [, ...rest] = (norm.input as tfl.SymbolicTensor).shape as number[];
    const channels = rest.at(-1)!;
    const values = n * perChannel(rest).count;
    const sum = new Float64Array(channels);
    const squares = new Float64Array(channels);
    for (let from = 0; from < n; from += 256) {
      const rows = Math.min(256, n - from);
      // Per-channel sums of each chunk by the backend; the chunks' sums add up in float64 here.
      const sums = tf.tidy(() => {
        const xs = tf.tensor(sample.subarray(from * pixels, (from + rows) * pixels), [rows, ...image]);
        const act = probe.predict(xs) as tf.Tensor;
        const { axes } = perChannel(act.shape);
        return tf.stack([tf.sum(act, axes), tf.sum(tf.square(act), axes)]);
      });
      const both = sums.dataSync() as Float32Array;
      sums.dispose();
      for (let c = 0; c < channels; c++) {
        sum[c] = sum[c]! + both[c]!;
        squares[c] = squares[c]! + both[channels + c]!;
      }
    }
    const mean = Float32Array.from(sum, (s) => s / values);
    const variance = Float32Array.from(squares, (q, c) => Math.max(q / values - (sum[c]! / values) ** 2, 0));
    setMoving(norm, 'moving_mean', mean);
    setMoving(norm, 'moving_variance', variance);
  }
}

/** Writes one of a batch-normalisation layer's moving statistics (the variable keeps its own reference). */
function setMoving(norm: tfl.layers.Layer, name: string, value: Float32Array): void {
  const variable = norm.weights.find((w) => w.originalName.endsWith(name));
  if (!variable) throw new Error(`layer ${norm.name} has no ${name}`);
  const t = tf.tensor1d(value);
  variable.write(t);
  t.dispose();
}
