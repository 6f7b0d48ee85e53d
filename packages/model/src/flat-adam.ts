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
 * Adam over one flat weight vector, with tf.train.adam's update rule and constants. Kept in plain
 * arrays so that every replica of a data-parallel run applies bit-identical updates, and so its
 * state saves with the model. With an `emaDecay`, it also keeps an exponential moving average of the
 * weights, updated after every step; it starts as the weights given to `startAverage`.
 */
export class FlatAdam {
  iterations = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly average: Float32Array | undefined;

  constructor(
    readonly size: number,
    readonly learningRate: number,
    readonly emaDecay = 0,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
    this.average = emaDecay > 0 ? new Float32Array(size) : undefined;
  }

  /** Sets the average to these weights (a new model's initial ones). */
  startAverage(weights: Float32Array): void {
    this.average?.set(weights);
  }

  /** Updates `weights` in place from `grads`, at the given learning rate (default: the initial one). */
  apply(weights: Float32Array, grads: Float32Array, lr = this.learningRate): void {
    const t = this.iterations++;
    const { beta1: b1, beta2: b2, epsilon: eps, m, v } = this;
    const c1 = 1 / (1 - b1 ** this.iterations);
    const c2 = 1 / (1 - b2 ** this.iterations);
    for (let j = 0; j < weights.length; j++) {
      const g = grads[j]!;
      const mj = b1 * m[j]! + (1 - b1) * g;
      const vj = b2 * v[j]! + (1 - b2) * g * g;
      m[j] = mj;
      v[j] = vj;
      weights[j] = weights[j]! - (lr * mj * c1) / (Math.sqrt(vj * c2) + eps);
    }
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
