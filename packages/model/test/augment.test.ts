import { describe, expect, it } from 'vitest';
import { augmentBatch } from '../src/augment.js';

/** Images whose pixel (r, c) is 1 + r * 28 + c, on a background of 0 at the top-left. */
function numbered(n: number): Float32Array {
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n; i++) for (let p = 1; p < 784; p++) x[i * 784 + p] = 1 + p + i * 1000;
  return x;
}

describe('augmentBatch', () => {
  it('leaves images alone when off', () => {
    const x = numbered(3);
    augmentBatch(x, 3, { shift: 0, flip: false }, 1, 0);
    expect(x).toEqual(numbered(3));
  });

  it('shifts each image by at most the given pixels, filling with the background', () => {
    const x = numbered(32);
    augmentBatch(x, 32, { shift: 2, flip: false }, 1, 5);
    let moved = 0;
    for (let i = 0; i < 32; i++) {
      const img = x.subarray(i * 784, (i + 1) * 784);
      // Find the shift from where the centre pixel came from.
      const centre = img[14 * 28 + 14]! - 1 - i * 1000;
      const dr = 14 - Math.floor(centre / 28);
      const dc = 14 - (centre % 28);
      expect(Math.abs(dr)).toBeLessThanOrEqual(2);
      expect(Math.abs(dc)).toBeLessThanOrEqual(2);
      if (dr || dc) moved++;
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          const sr = r - dr;
          const sc = c - dc;
          const inside = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 && sr * 28 + sc > 0;
          expect(img[r * 28 + c]).toBe(inside ? 1 + sr * 28 + sc + i * 1000 : 0);
        }
      }
    }
    expect(moved).toBeGreaterThan(16);
  });

  it('mirrors left-right, never upside down', () => {
    const x = numbered(64);
    augmentBatch(x, 64, { shift: 0, flip: true }, 3, 0);
    let mirrored = 0;
    for (let i = 0; i < 64; i++) {
      const row5 = Array.from(x.subarray(i * 784 + 5 * 28, i * 784 + 6 * 28));
      const want = Array.from({ length: 28 }, (_, c) => 1 + 5 * 28 + c + i * 1000);
      if (row5[0] === want[27]) {
        mirrored++;
        expect(row5).toEqual([...want].reverse());
      } else {
        expect(row5).toEqual(want);
      }
    }
    expect(mirrored).toBeGreaterThan(16);
    expect(mirrored).toBeLessThan(48);
  });

  it('draws the same images for the same seed and batch, others for another batch', () => {
    const a = numbered(8);
    const b = numbered(8);
    const c = numbered(8);
    augmentBatch(a, 8, { shift: 3, flip: true }, 7, 11);
    augmentBatch(b, 8, { shift: 3, flip: true }, 7, 11);
    augmentBatch(c, 8, { shift: 3, flip: true }, 7, 12);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});
