import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { MaxPoolGrad } from '@tensorflow/tfjs-core';
import { isTiled2x2, poolInfo } from './pool-info.js';
import { ptr, simd } from './simd/index.js';
import { alloc, type WasmBackend } from './wasm-backend.js';

/**
 * Routes each dy value to the first maximum of its window (row-major, strict '>' like the cpu
 * backend), all channels of a pixel together so memory is read sequentially; the stock wasm kernel is
 * ~10x slower on NHWC activations. Unpadded 2x2 windows of stride 2 take a SIMD path that writes each
 * gradient directly, since no input element is in two windows.
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
  const info = poolInfo(input.shape, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const dx = alloc(backend, [...input.shape]);
  const kernels = simd(backend);
  const [x, g, o] = [ptr(backend, input), ptr(backend, dy), ptr(backend, dx)];
  if (isTiled2x2(info)) {
    kernels.max_pool_grad_2x2(x, g, o, n, h, w, c, oh, ow);
  } else {
    kernels.max_pool_grad(x, g, o, n, h, w, c, oh, ow, fh, fw, sh, sw, top, left);
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
