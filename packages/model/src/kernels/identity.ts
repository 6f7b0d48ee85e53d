import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Identity } from '@tensorflow/tfjs-core';
import { kernelFunc } from './wasm-backend.js';

interface RefCounted {
  incRef(dataId: object): void;
}

/**
 * Tensors are immutable, so a clone can share storage (as the cpu backend does) instead
 * of copying; optimizers and the gradient tape clone every variable on every step.
 */
function identity(args: { inputs: { x: TensorInfo }; backend: RefCounted }): TensorInfo {
  const {
    inputs: { x },
    backend,
  } = args;
  if (x.dtype === 'string') return kernelFunc(Identity)(args as never) as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
