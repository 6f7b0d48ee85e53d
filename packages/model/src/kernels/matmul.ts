import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runKernel, type WasmBackend } from './wasm-backend.js';

/**
 * [M,K] x [K,N] -> [1,M,N] through the stock kernel's XNNPACK fully-connected path,
 * which is only taken when neither operand is transposed and the batch is 1.
 */
export function gemm(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
): TensorInfo {
  return runKernel(
    'BatchMatMul',
    backend,
    {
      a: { dataId: a.dataId, shape: [1, m, k], dtype: 'float32' },
      b: { dataId: b.dataId, shape: [1, k, n], dtype: 'float32' },
    },
    { transposeA: false, transposeB: false },
  );
}
