/** Adam's state: the step count and the first and second moments of every weight, flat. */
export interface AdamState {
  iterations: number;
  m: Float32Array;
  v: Float32Array;
}

/**
 * Adam over one flat weight vector, with tf.train.adam's update rule and constants. Kept in plain
 * arrays so that every replica of a data-parallel run applies bit-identical updates, and so its
 * state saves with the model.
 */
export class FlatAdam {
  iterations = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;

  constructor(
    readonly size: number,
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** Updates `weights` in place from `grads`, at the given learning rate (default: the initial one). */
  apply(weights: Float32Array, grads: Float32Array, lr = this.learningRate): void {
    this.iterations++;
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
  }

  state(): AdamState {
    return { iterations: this.iterations, m: this.m.slice(), v: this.v.slice() };
  }

  restore(state: AdamState): void {
    if (state.m.length !== this.size || state.v.length !== this.size) {
      throw new Error(`optimizer state holds ${state.m.length} values for ${this.size} weights`);
    }
    this.iterations = state.iterations;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}
