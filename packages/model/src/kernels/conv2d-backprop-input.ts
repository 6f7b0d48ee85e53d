import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import { convInfoNHWC } from './conv-info.js';
import { alloc, free, heap, heapIndex, runKernel, type WasmBackend } from './wasm-backend.js';

/**
 * dx is the forward convolution of (stride-dilated, padded) dy with the filter rotated
 * by 180 degrees and its channel axes swapped, so XNNPACK's forward conv does the work.
 */
function conv2DBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: WasmBackend;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const {
    inputs: { dy, filter },
    backend,
    attrs,
  } = args;
  const info = convInfoNHWC(
    Conv2DBackpropInput,
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.pad,
    attrs.dataFormat,
    attrs.dimRoundingMode,
  );
  const { batchSize: n, inHeight, inWidth, inChannels: cin, outHeight, outWidth, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const top = kh - 1 - padTop;
  const left = kw - 1 - padLeft;
  const bottom = inHeight - 1 + padTop - (outHeight - 1) * sh;
  const right = inWidth - 1 + padLeft - (outWidth - 1) * sw;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    throw new Error(`${Conv2DBackpropInput} (wasm): padding larger than the filter is not supported`);
  }

  const rotated = alloc(backend, [kh, kw, cout, cin]);
  let h = heap(backend);
  rotateFilter(h, heapIndex(backend, filter), heapIndex(backend, rotated), kh, kw, cin, cout);

  let src = dy;
  if (sh > 1 || sw > 1) {
    const dh = (outHeight - 1) * sh + 1;
    const dw = (outWidth - 1) * sw + 1;
    src = alloc(backend, [n, dh, dw, cout]);
    h = heap(backend);
    dilate(h, heapIndex(backend, dy), heapIndex(backend, src), n, outHeight, outWidth, cout, sh, sw, dh, dw);
  }

  const dx = runKernel(
    'Conv2D',
    backend,
    { x: src, filter: rotated },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
  );
  free(backend, rotated);
  if (src !== dy) free(backend, src);
  return dx;
}

/** rotated[i, j, co, ci] = filter[kh-1-i, kw-1-j, ci, co]. */
function rotateFilter(
  h: Float32Array,
  f: number,
  r: number,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
): void {
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s = f + ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout;
      const d = r + (i * kw + j) * cout * cin;
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) h[d + co * cin + ci] = h[s + ci * cout + co]!;
      }
    }
  }
}

/** Inserts stride-1 zeros between dy pixels (transposed-conv upsampling). */
function dilate(
  h: Float32Array,
  src: number,
  dst: number,
  n: number,
  oh: number,
  ow: number,
  c: number,
  sh: number,
  sw: number,
  dh: number,
  dw: number,
): void {
  h.fill(0, dst, dst + n * dh * dw * c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const s = src + ((b * oh + y) * ow + x) * c;
        h.copyWithin(dst + ((b * dh + y * sh) * dw + x * sw) * c, s, s + c);
      }
    }
  }
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
