const BLOCK = 32;

/** dst[c * rows + r] = src[r * cols + c], blocked for cache locality; indices are heap float offsets. */
export function transpose2d(h: Float32Array, src: number, dst: number, rows: number, cols: number): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(r0 + BLOCK, rows);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(c0 + BLOCK, cols);
      for (let r = r0; r < r1; r++) {
        let s = src + r * cols + c0;
        let d = dst + c0 * rows + r;
        for (let c = c0; c < c1; c++) {
          h[d] = h[s++]!;
          d += rows;
        }
      }
    }
  }
}
