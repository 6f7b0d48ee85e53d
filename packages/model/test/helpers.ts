import type { ImageSet } from '../src/index.js';

/**
 * A small separable dataset: each class lights up its own band of rows, with seeded noise, so a
 * model that learns anything gets nearly all of it right.
 */
export function bandsDataset(count: number, seed = 1): ImageSet {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const images = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    labels[i] = label;
    for (let p = 0; p < 784; p++) {
      const row = Math.floor(p / 28);
      const lit = row >= label * 2 + 4 && row < label * 2 + 6;
      images[i * 784 + p] = (lit ? 0.8 : 0.1) + rand() * 0.2;
    }
  }
  return { images, labels, count, height: 28, width: 28 };
}

/** A small CNN that trains quickly even on the slow cpu backend. */
export const SMALL_CNN = {
  filters1: 4,
  filters2: 8,
  dense1: 16,
  dropout: 0.25,
  global_batch_size: 32,
  learning_rate: 0.01,
};
