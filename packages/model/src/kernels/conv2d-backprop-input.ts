import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import { convInfoNHWC } from './conv-info.js';
import { gemm } from './matmul.js';
import { ptr, simd } from './simd/index.js';
import { alloc, free, type WasmBackend } from './wasm-backend.js';
import { winogradApplies, winogradConv2DBackpropInput } from './winograd.js';

/**
 * 3x3 stride-1 filters with enough channels: the adjoint of the Winograd forward (winograd.ts).
 * Otherwise dx by col2im: the patch gradients dcols[N*OH*OW, KH*KW*Cin] = dy . W^T come from one XNNPACK GEMM
 * (which packs only the small W^T), and are added back onto the pixels each patch covered (wasm SIMD).
 * Unlike a full-padded forward convolution of dy, no multiply is spent on the padding, and strides
 * need no zero-dilated copy of dy.
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
  if (winogradApplies(info)) return winogradConv2DBackpropInput(backend, dy, filter, info);
  const { batchSize: n, inHeight, inWidth, inChannels: cin, outHeight, outWidth, outChannels: cout } = info;
  const k = info.filterHeight * info.filterWidth * cin;
  const kernels = simd(backend);

  const filterT = alloc(backend, [cout, k]);
  kernels.transpose2d(ptr(backend, filter), ptr(backend, filterT), k, cout);
  const cols = gemm(backend, dy, filterT, n * outHeight * outWidth, cout, k);
  free(backend, filterT);

  const dx = alloc(backend, [n, inHeight, inWidth, cin]);
  kernels.col2im(
    ptr(backend, cols),
    ptr(backend, dx),
    n,
    inHeight,
    inWidth,
    cin,
    outHeight,
    outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  free(backend, cols);
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
