import type { SeldonModel } from './types.js';

/**
 * Seldon's documented example request (`data.tensor`), filled with fixed pseudo-random images: one image
 * of `inputShape` by default, or `rows` of them as `[rows, ...inputShape]`.
 */
export function examplePayload(
  inputShape: readonly number[] = [28, 28],
  range: readonly [number, number] = [0, 255],
  rows = 1,
) {
  const size = rows * inputShape.reduce((p, d) => p * d, 1);
  let seed = 1;
  const values = Array.from({ length: size }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.round(range[0] + (seed / 2 ** 31) * (range[1] - range[0]));
  });
  const shape = rows === 1 ? [...inputShape] : [rows, ...inputShape];
  return { data: { names: ['feature1'], tensor: { shape, values } } };
}

/**
 * A model costing what a small Fashion-MNIST network costs per row (784×128 and 128×10 multiply-adds,
 * ReLU, softmax), with fixed pseudo-random weights: measures the server without TensorFlow.js.
 */
export function createDenseModel(
  options: { inputShape?: number[]; hidden?: number; classes?: number } = {},
): SeldonModel {
  const inputShape = options.inputShape ?? [28, 28];
  const hidden = options.hidden ?? 128;
  const classes = options.classes ?? 10;
  const n = inputShape.reduce((p, d) => p * d, 1);
  let seed = 7;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const w1 = Float32Array.from({ length: n * hidden }, () => rand() * 0.1);
  const w2 = Float32Array.from({ length: hidden * classes }, () => rand() * 0.1);
  return {
    inputShape,
    inputRange: [0, 255],
    classNames: Array.from({ length: classes }, (_, i) => `class ${i}`),
    predict(input, shape) {
      const rows = shape[0] as number;
      const out = new Float32Array(rows * classes);
      const h = new Float32Array(hidden);
      for (let r = 0; r < rows; r++) {
        h.fill(0);
        for (let i = 0; i < n; i++) {
          const x = (input[r * n + i] as number) / 255;
          if (x === 0) continue;
          const row = i * hidden;
          for (let j = 0; j < hidden; j++) h[j] = (h[j] as number) + x * (w1[row + j] as number);
        }
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < classes; k++) {
          let s = 0;
          for (let j = 0; j < hidden; j++) s += Math.max(0, h[j] as number) * (w2[j * classes + k] as number);
          out[r * classes + k] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let k = 0; k < classes; k++) {
          const e = Math.exp((out[r * classes + k] as number) - max);
          out[r * classes + k] = e;
          sum += e;
        }
        for (let k = 0; k < classes; k++) out[r * classes + k] = (out[r * classes + k] as number) / sum;
      }
      return out;
    },
  };
}
