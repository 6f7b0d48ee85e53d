import type { KernelConfig, KernelFunc, MaxPoolAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { MaxPool } from '@tensorflow/tfjs-core';
import { isTiled2x2, poolInfo } from './pool-info.js';
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
  const info = poolInfo(x.shape, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  if (!isTiled2x2(info)) return kernelFunc(MaxPool)(args as never) as TensorInfo;
  const y = alloc(backend, [n, oh, ow, c]);
  simd(backend).max_pool_2x2(ptr(backend, x), ptr(backend, y), n, h, w, c, oh, ow);
  return y;
}

export const maxPoolConfig: KernelConfig = {
  kernelName: MaxPool,
  backendName: 'wasm',
  kernelFunc: maxPool as unknown as KernelFunc,
};
