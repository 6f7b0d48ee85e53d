import type { KernelConfig, KernelFunc, MaxPoolAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, MaxPool } from '@tensorflow/tfjs-core';
import { ptr, simd } from './simd/index.js';
import { alloc, kernelFunc, type WasmBackend } from './wasm-backend.js';

/**
 * The usual 2x2 pooling of stride 2 (unpadded windows inside the image) in wasm SIMD; the stock
 * kernel takes ~13% of a forward pass of the default CNN. Any other pooling goes to the stock kernel.
 */
function maxPool(args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: MaxPoolAttrs }): TensorInfo {
  const {
    inputs: { x },
    backend,
    attrs,
  } = args;
  if (x.dtype !== 'float32' || x.shape.length !== 4) return kernelFunc(MaxPool)(args as never) as TensorInfo;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const simple =
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    oh * 2 <= h &&
    ow * 2 <= w;
  if (!simple) return kernelFunc(MaxPool)(args as never) as TensorInfo;
  const y = alloc(backend, [n, oh, ow, c]);
  simd(backend).max_pool_2x2(ptr(backend, x), ptr(backend, y), n, h, w, c, oh, ow);
  return y;
}

export const maxPoolConfig: KernelConfig = {
  kernelName: MaxPool,
  backendName: 'wasm',
  kernelFunc: maxPool as unknown as KernelFunc,
};
