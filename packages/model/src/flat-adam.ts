import { type SimdKernels, simdWithOwnMemory } from './kernels/simd/index.js';

/** Adam's state: the step count and the first and second moments of every weight, flat. */
export interface AdamState {
  iterations: number;
  m: Float32Array;
  v: Float32Array;
}

/**
 * Adam over one flat weight vector, with tf.train.adam's update rule and constants, in float32 wasm SIMD
 * on a memory of its own. Kept apart from any backend so that every replica of a data-parallel run applies
 * bit-identical updates, and so its state saves with the model.
 */
export class FlatAdam {
  iterations = 0;
  /** Views of the moments in the optimiser's memory. */
  readonly m: Float32Array;
  readonly v: Float32Array;
  private readonly w: Float32Array;
  private readonly g: Float32Array;
  private readonly kernels: SimdKernels;

  constructor(
    readonly size: number,
    readonly learningRate: number,
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
  }

  /** Updates `weights` in place from `grads`, at the given learning rate (default: the initial one). */
  apply(weights: Float32Array, grads: Float32Array, lr = this.learningRate): void {
    if (weights.length !== this.size || grads.length !== this.size) {
      throw new Error(
        `optimizer holds ${this.size} weights, got ${weights.length} weights and ${grads.length} gradients`,
      );
    }
    this.iterations++;
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
    );
    weights.set(this.w);
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
