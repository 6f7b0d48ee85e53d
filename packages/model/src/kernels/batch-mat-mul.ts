import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul } from '@tensorflow/tfjs-core';
import { gemm } from './matmul.js';
import { ptr, simd } from './simd/index.js';
import { alloc, free, kernelFunc, type WasmBackend } from './wasm-backend.js';

/**
 * The stock kernel only uses XNNPACK for untransposed, unbatched operands and otherwise
 * falls back to a naive loop (about 10x slower). Dense-layer gradients always transpose
 * one operand, so materialise the transpose and take the fast path.
 */
function batchMatMul(args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: WasmBackend;
  attrs: BatchMatMulAttrs;
}): TensorInfo {
  const {
    inputs: { a, b },
    backend,
    attrs: { transposeA, transposeB },
  } = args;
  const stock = (): TensorInfo => kernelFunc(BatchMatMul)(args as never) as TensorInfo;
  if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return stock();
  if (batchOf(a.shape) !== 1 || batchOf(b.shape) !== 1) return stock();

  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  if ((transposeB ? bc : br) !== k) return stock(); // let the stock kernel raise its shape error

  const at = transposeA ? alloc(backend, [k * m]) : a;
  const bt = transposeB ? alloc(backend, [k * n]) : b;
  const kernels = simd(backend);
  if (transposeA) kernels.transpose2d(ptr(backend, a), ptr(backend, at), ar, ac);
  if (transposeB) kernels.transpose2d(ptr(backend, b), ptr(backend, bt), br, bc);
  const out = gemm(backend, at, bt, m, k, n);
  if (at !== a) free(backend, at);
  if (bt !== b) free(backend, bt);
  const rank = Math.max(a.shape.length, b.shape.length);
  return { ...out, shape: [...new Array<number>(rank - 2).fill(1), m, n] };
}

function batchOf(shape: number[]): number {
  return shape.slice(0, -2).reduce((p, d) => p * d, 1);
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
