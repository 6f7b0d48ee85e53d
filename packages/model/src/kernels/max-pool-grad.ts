import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core';
import { alloc, heap, heapIndex, type WasmBackend } from './wasm-backend.js';

/**
 * Routes each dy value to the first maximum of its window (row-major, strict '>' like
 * the cpu backend), processing all channels of a pixel together so memory is read
 * sequentially; the stock wasm kernel is ~10x slower on NHWC activations.
 */
function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: WasmBackend;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const {
    inputs: { dy, input },
    backend,
    attrs,
  } = args;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const dx = alloc(backend, [...input.shape]);
  const h = heap(backend);
  const x = heapIndex(backend, input);
  const g = heapIndex(backend, dy);
  const o = heapIndex(backend, dx);
  h.fill(0, o, o + batchSize * inHeight * inWidth * c);

  if (padTop === 0 && padLeft === 0 && sh >= fh && sw >= fw) {
    tiledMaxPoolGrad(h, x, g, o, info);
    return dx;
  }

  const best = new Float32Array(c);
  const arg = new Int32Array(c);
  const row = inWidth * c;
  let gi = g;
  for (let n = 0; n < batchSize; n++) {
    const img = n * inHeight * row;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = Math.max(0, oh * sh - padTop);
      const h1 = Math.min(inHeight, oh * sh - padTop + fh);
      for (let ow = 0; ow < outWidth; ow++, gi += c) {
        const w0 = Math.max(0, ow * sw - padLeft);
        const w1 = Math.min(inWidth, ow * sw - padLeft + fw);
        best.fill(-Infinity);
        arg.fill(-1);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const p = img + ih * row + iw * c;
            for (let ch = 0; ch < c; ch++) {
              const v = h[x + p + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                arg[ch] = p + ch;
              }
            }
          }
        }
        for (let ch = 0; ch < c; ch++) {
          const a = arg[ch]!;
          if (a >= 0) h[o + a] = h[o + a]! + h[gi + ch]!;
        }
      }
    }
  }
  return dx;
}

/**
 * Non-overlapping, unpadded windows (the usual 2x2/2 pooling): every input element is
 * in at most one window, so each gradient is written directly without accumulation.
 */
function tiledMaxPoolGrad(
  h: Float32Array,
  x: number,
  g: number,
  o: number,
  info: backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const row = inWidth * c;
  let gi = g;
  for (let n = 0; n < batchSize; n++) {
    const img = n * inHeight * row;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, gi += c) {
        const base = img + oh * sh * row + ow * sw * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let arg = -1;
          for (let i = 0; i < fh; i++) {
            let p = base + i * row + ch;
            for (let j = 0; j < fw; j++, p += c) {
              const v = h[x + p]!;
              if (v > best) {
                best = v;
                arg = p;
              }
            }
          }
          if (arg >= 0) h[o + arg] = h[gi + ch]!;
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
