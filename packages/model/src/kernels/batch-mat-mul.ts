import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul } from '@tensorflow/tfjs-core';
import { gemm } from './matmul.js';
import { ptr, simd } from './simd/index.js';
import { alloc, free, kernelFunc, type WasmBackend } from './wasm-backend.js';

/**
 * Untransposed products (a dense layer's forward pass) run on the module's own GEMM, which reads the
 * weights in place: they change on every training step, and the stock kernel's packing of them costs
 * about as much as the product. For transposed operands the stock kernel falls back to a naive loop
 * (about 10x slower). Dense-layer gradients always transpose one operand, so rearrange them for
 * XNNPACK's fast path, which packs its right operand on every call: either materialise the transposes (C = A'.B'), or compute C^T = B'^T.A'^T and
 * transpose the product, whichever moves fewer floats. For a dense layer's input gradient
 * (dy . W^T, with W much larger than dy) the second packs dy^T instead of all of W.
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
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock();
  if (batchOf(a.shape) !== 1 || batchOf(b.shape) !== 1) return stock();

  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  if ((transposeB ? bc : br) !== k) return stock(); // let the stock kernel raise its shape error

  const kernels = simd(backend);
  const rank = Math.max(a.shape.length, b.shape.length);
  const shape = [...new Array<number>(rank - 2).fill(1), m, n];
  if (!transposeA && !transposeB) {
    const out = alloc(backend, shape);
    kernels.gemm(ptr(backend, a), k, 1, ptr(backend, b), n, ptr(backend, out), n, m, n, k, 0);
    return out;
  }

  // Floats transposed or packed by each plan.
  const direct = (transposeA ? k * m : 0) + (transposeB ? k * n : 0) + k * n;
  const swapped = (transposeB ? 0 : k * n) + (transposeA ? 0 : k * m) + k * m + m * n;
  const transposed = (t: TensorInfo, rows: number, cols: number): TensorInfo => {
    const out = alloc(backend, [rows * cols]);
    kernels.transpose2d(ptr(backend, t), ptr(backend, out), rows, cols);
    return out;
  };

  if (direct <= swapped) {
    const at = transposeA ? transposed(a, ar, ac) : a; // [m, k]
    const bt = transposeB ? transposed(b, br, bc) : b; // [k, n]
    const out = gemm(backend, at, bt, m, k, n);
    if (at !== a) free(backend, at);
    if (bt !== b) free(backend, bt);
    return { ...out, shape };
  }
  const left = transposeB ? b : transposed(b, br, bc); // B' as [n, k]
  const right = transposeA ? a : transposed(a, ar, ac); // A' as [k, m]
  const productT = gemm(backend, left, right, n, k, m);
  if (left !== b) free(backend, left);
  if (right !== a) free(backend, right);
  const out = alloc(backend, shape);
  kernels.transpose2d(ptr(backend, productT), ptr(backend, out), n, m);
  free(backend, productT);
  return out;
}

function batchOf(shape: number[]): number {
  return shape.slice(0, -2).reduce((p, d) => p * d, 1);
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
