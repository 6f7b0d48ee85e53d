import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import { convInfoNHWC } from './conv-info.js';
import { gemm } from './matmul.js';
import { ptr, simd } from './simd/index.js';
import { alloc, free, type WasmBackend } from './wasm-backend.js';
import { winogradApplies, winogradConv2DBackpropFilter } from './winograd.js';

/** Below this many input channels the patch matrix is too thin for a GEMM to pay for packing dy. */
const DIRECT_MAX_CIN = 4;

/**
 * 3x3 stride-1 filters with enough channels: the adjoint of the Winograd forward (winograd.ts).
 * Few input channels (the first layer): accumulate dW straight from x and dy in wasm SIMD.
 * Otherwise dW[K, Cout] = im2col(x)^T . dy. The patch matrix is built already transposed so that
 * dy (the small operand) is the one XNNPACK has to pack, and no output transpose is needed.
 */
function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WasmBackend;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const {
    inputs: { x, dy },
    backend,
    attrs,
  } = args;
  const info = convInfoNHWC(
    Conv2DBackpropFilter,
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.pad,
    attrs.dataFormat,
    attrs.dimRoundingMode,
  );
  if (winogradApplies(info)) return winogradConv2DBackpropFilter(backend, x, dy, info);
  const kernels = simd(backend);
  if (info.inChannels < DIRECT_MAX_CIN && info.outChannels % 4 === 0) {
    const dw = alloc(backend, [...attrs.filterShape]);
    kernels.conv2d_backprop_filter_direct(
      ptr(backend, x),
      ptr(backend, dy),
      ptr(backend, dw),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.outChannels,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    );
    return dw;
  }
  const p = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const cin = info.inChannels;
  const pixels = info.batchSize * info.inHeight * info.inWidth;

  const colsT = alloc(backend, [k, p]);
  const xT = cin > 1 ? alloc(backend, [cin, pixels]) : x;
  if (xT !== x) kernels.transpose2d(ptr(backend, x), ptr(backend, xT), pixels, cin);
  kernels.im2col_t(
    ptr(backend, xT),
    ptr(backend, colsT),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    cin,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  if (xT !== x) free(backend, xT);

  const dw = gemm(backend, colsT, dy, k, p, info.outChannels);
  free(backend, colsT);
  return { ...dw, shape: [...attrs.filterShape] };
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
