import { createRandom } from '@fmnist/fs-kit';
import { INPUT_SHAPE } from './architecture.js';

const H = INPUT_SHAPE[0];
const W = INPUT_SHAPE[1];

export interface Augmentation {
  /** Largest shift, in pixels, each way. */
  shift: number;
  /** Mirror left-right half of the time. */
  flip: boolean;
}

/**
 * Shifts (and mirrors) each of the first `n` images of a batch in place, by amounts drawn from a
 * sequence fixed by the seed and the batch number, so one thread and several workers, and a rerun,
 * see the same images. Pixels shifted in take the image's top-left value: the background.
 */
export function augmentBatch(
  x: Float32Array,
  n: number,
  aug: Augmentation,
  seed: number,
  batch: number,
  scratch: Float32Array = new Float32Array(H * W),
): void {
  if (aug.shift === 0 && !aug.flip) return;
  const next = createRandom(Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(batch + 1, 0x85ebca77));
  const span = 2 * aug.shift + 1;
  for (let i = 0; i < n; i++) {
    const dy = Math.floor(next() * span) - aug.shift;
    const dx = Math.floor(next() * span) - aug.shift;
    const mirror = aug.flip && next() < 0.5;
    if (dy === 0 && dx === 0 && !mirror) continue;
    const img = x.subarray(i * H * W, (i + 1) * H * W);
    scratch.set(img);
    const background = scratch[0]!;
    for (let r = 0; r < H; r++) {
      const sr = r - dy;
      for (let c = 0; c < W; c++) {
        const sc0 = c - dx;
        const sc = mirror ? W - 1 - sc0 : sc0;
        img[r * W + c] = sr >= 0 && sr < H && sc0 >= 0 && sc0 < W ? scratch[sr * W + sc]! : background;
      }
    }
  }
}
