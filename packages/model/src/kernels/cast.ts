import type { CastAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Cast } from '@tensorflow/tfjs-core';
import { kernelFunc } from './wasm-backend.js';

interface RefCounted {
  incRef(dataId: object): void;
}

/**
 * A cast to the dtype a tensor already has is a clone, and tensors are immutable: share the
 * storage. The gradients of ReLU and of the loss cast float32 to float32 on every step; the
 * stock kernel copies.
 */
function cast(args: { inputs: { x: TensorInfo }; backend: RefCounted; attrs: CastAttrs }): TensorInfo {
  const {
    inputs: { x },
    backend,
    attrs: { dtype },
  } = args;
  if (x.dtype !== dtype || dtype === 'string') return kernelFunc(Cast)(args as never) as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

export const castConfig: KernelConfig = {
  kernelName: Cast,
  backendName: 'wasm',
  kernelFunc: cast as unknown as KernelFunc,
};
