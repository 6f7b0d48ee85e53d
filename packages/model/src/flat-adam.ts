import { type SimdKernels, simdWithOwnMemory } from './kernels/simd/index.js';
import { averageDecayAt } from './schedule.js';

/** Adam's state: the step count, the first and second moments of every weight, and their average. */
export interface AdamState {
  iterations: number;
  m: Float32Array;
  v: Float32Array;
  /** The moving average of the weights (when `ema_decay` is on). */
  average?: Float32Array;
}

/**
 * Adam over one flat weight vector, with tf.train.adam's update rule and constants, in float32 wasm SIMD
 * on a memory of its own. Kept apart from any backend so that every replica of a data-parallel run applies
 * bit-identical updates, and so its state saves with the model. With an `emaDecay`, it also keeps an
 * exponential moving average of the weights, updated after every step; it starts as the weights given to
 * `startAverage`. A `weightDecay` shrinks the weights towards 0 apart from the gradient, as AdamW does.
 */
export class FlatAdam {
  iterations = 0;
  /** Views of the moments in the optimiser's memory. */
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly average: Float32Array | undefined;
  private readonly w: Float32Array;
  private readonly g: Float32Array;
  private readonly kernels: SimdKernels;

  constructor(
    readonly size: number,
    readonly learningRate: number,
    readonly emaDecay = 0,
    /** Decoupled weight decay (AdamW): each step first scales the weights by 1 - lr · weightDecay. */
    readonly weightDecay = 0,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    // Four vectors, each starting on a 16-byte boundary.
    const stride = Math.ceil(size / 4) * 4;
    const { kernels, heap } = simdWithOwnMemory(4 * stride * 4);
    this.kernels = kernels;
    this.w = heap.subarray(0, size);
    this.g = heap.subarray(stride, stride + size);
    this.m = heap.subarray(2 * stride, 2 * stride + size);
    this.v = heap.subarray(3 * stride, 3 * stride + size);
    this.average = emaDecay > 0 ? new Float32Array(size) : undefined;
  }

  /** Sets the average to these weights (a new model's initial ones). */
  startAverage(weights: Float32Array): void {
    this.average?.set(weights);
  }

  /** Updates `weights` in place from `grads`, at the given learning rate (default: the initial one). */
  apply(weights: Float32Array, grads: Float32Array, lr = this.learningRate): void {
    if (weights.length !== this.size || grads.length !== this.size) {
      throw new Error(
        `optimizer holds ${this.size} weights, got ${weights.length} weights and ${grads.length} gradients`,
      );
    }
    const t = this.iterations++;
    const c1 = 1 / (1 - this.beta1 ** this.iterations);
    const c2 = 1 / (1 - this.beta2 ** this.iterations);
    this.w.set(weights);
    this.g.set(grads);
    const at = (view: Float32Array) => view.byteOffset;
    this.kernels.adam_step(
      at(this.w),
      at(this.g),
      at(this.m),
      at(this.v),
      this.size,
      this.beta1,
      this.beta2,
      lr * c1,
      c2,
      this.epsilon,
      1 - lr * this.weightDecay,
    );
    weights.set(this.w);
    const avg = this.average;
    if (avg) {
      const d = averageDecayAt(this.emaDecay, t);
      for (let j = 0; j < weights.length; j++) avg[j] = d * avg[j]! + (1 - d) * weights[j]!;
    }
  }

  state(): AdamState {
    const s: AdamState = { iterations: this.iterations, m: this.m.slice(), v: this.v.slice() };
    if (this.average) s.average = this.average.slice();
    return s;
  }

  restore(state: AdamState): void {
    if (state.m.length !== this.size || state.v.length !== this.size) {
      throw new Error(`optimizer state holds ${state.m.length} values for ${this.size} weights`);
    }
    if (this.average && state.average?.length !== this.size) {
      throw new Error(`optimizer state lacks the weight average of ${this.size} weights`);
    }
    this.iterations = state.iterations;
    this.m.set(state.m);
    this.v.set(state.v);
    if (this.average && state.average) this.average.set(state.average);
  }
}
