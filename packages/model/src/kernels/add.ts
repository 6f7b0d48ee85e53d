import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Add, util } from '@tensorflow/tfjs-core';
import { ptr, simd } from './simd/index.js';
import { alloc, kernelFunc, type WasmBackend } from './wasm-backend.js';

/**
 * A bias add (x[..., C] + bias[C]) in one SIMD pass; the stock kernel takes its general
 * broadcasting loop for it. Every other Add goes to the stock kernel.
 */
function add(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmBackend }): TensorInfo {
  const {
    inputs: { a, b },
    backend,
  } = args;
  const cols = b.shape.length === 1 ? b.shape[0]! : 0;
  if (
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    a.shape.length < 2 ||
    cols < 2 ||
    a.shape[a.shape.length - 1] !== cols
  ) {
    return kernelFunc(Add)(args as never) as TensorInfo;
  }
  const out = alloc(backend, a.shape);
  const rows = util.sizeFromShape(a.shape) / cols;
  simd(backend).add_bias(ptr(backend, a), ptr(backend, b), ptr(backend, out), rows, cols);
  return out;
}

export const addConfig: KernelConfig = {
  kernelName: Add,
  backendName: 'wasm',
  kernelFunc: add as unknown as KernelFunc,
};
