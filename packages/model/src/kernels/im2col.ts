import type { backend_util } from '@tensorflow/tfjs-core';

/**
 * Transposed NHWC im2col: colsT is [KH*KW*Cin, N*OH*OW], rows ordered like the filter's
 * [KH, KW, Cin] axes, so colsT . dy is directly the filter gradient [KH*KW*Cin, Cout].
 * xT must hold x channel-major ([Cin, N, H, W]) so each row segment reads x sequentially.
 */
export function im2colT(h: Float32Array, xT: number, colsT: number, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: cin, outHeight, outWidth } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const plane = inHeight * inWidth;
  let d = colsT;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // Output columns whose tap (i, j) lands inside the image horizontally.
      const owLo = Math.max(0, Math.ceil((padLeft - j) / sw));
      const owHi = Math.min(outWidth, Math.floor((inWidth - 1 + padLeft - j) / sw) + 1);
      for (let c = 0; c < cin; c++) {
        const xc = xT + c * batchSize * plane;
        for (let n = 0; n < batchSize; n++) {
          const xn = xc + n * plane;
          for (let oh = 0; oh < outHeight; oh++, d += outWidth) {
            const ih = oh * sh - padTop + i;
            if (ih < 0 || ih >= inHeight || owHi <= owLo) {
              h.fill(0, d, d + outWidth);
              continue;
            }
            for (let ow = 0; ow < owLo; ow++) h[d + ow] = 0;
            let s = xn + ih * inWidth + owLo * sw - padLeft + j;
            for (let ow = owLo; ow < owHi; ow++, s += sw) h[d + ow] = h[s]!;
            for (let ow = owHi; ow < outWidth; ow++) h[d + ow] = 0;
          }
        }
      }
    }
  }
}
