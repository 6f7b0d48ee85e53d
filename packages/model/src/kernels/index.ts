import type { KernelConfig } from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { addConfig } from './add.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { batchNormTrainConfig, batchNormTrainGradConfig } from './batch-norm-train.js';
import { castConfig } from './cast.js';
import { conv2DConfig } from './conv2d.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { fusedConv2DConfig } from './fused-conv2d.js';
import { identityConfig } from './identity.js';
import { maxPoolConfig } from './max-pool.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { registerReluGradient, reluGradConfig } from './relu-grad.js';
import { sumConfig } from './sum.js';
import { rememberOriginal } from './wasm-backend.js';

const configs: KernelConfig[] = [
  reluGradConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  batchMatMulConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  sumConfig,
  identityConfig,
  castConfig,
  addConfig,
];

/** What each kernel this package puts on the wasm backend runs on, for benchmarks and logs. */
export const WASM_TRAINING_KERNELS: Readonly<Record<string, string>> = {
  Conv2D: 'Winograd F(2x2, 3x3) in wasm SIMD for 3x3 stride 1 with cin, cout >= 8, else stock XNNPACK',
  FusedConv2D: 'as Conv2D, with the bias and a relu applied per tile; other activations stock XNNPACK',
  Conv2DBackpropFilter:
    'Winograd F(2x2, 3x3) adjoint (wasm SIMD) for 3x3 stride 1 with cin, cout >= 8; direct wasm SIMD for cin < 4; else im2col (wasm SIMD) + XNNPACK GEMM',
  Conv2DBackpropInput:
    'Winograd F(2x2, 3x3) adjoint (wasm SIMD) for 3x3 stride 1 with cin, cout >= 8, else XNNPACK GEMM + col2im (wasm SIMD)',
  BatchMatMul:
    'wasm SIMD GEMM (untransposed); transposes (wasm SIMD) + XNNPACK GEMM, the operand order that packs less',
  MaxPool: 'wasm SIMD (2x2, stride 2)',
  FmnistReluGrad: "relu's gradient in one wasm SIMD pass (instead of Step, Cast, Multiply)",
  MaxPoolGrad: 'wasm SIMD',
  FmnistBatchNormTrain:
    "batch normalisation by the batch's statistics in two wasm SIMD passes, its gradient in two (batch_norm)",
  Sum: 'wasm SIMD, double-precision accumulation',
  Identity: 'shared storage, no copy',
  Cast: 'shared storage when the dtype is unchanged',
  Add: 'wasm SIMD bias add, else stock',
};

/**
 * Registers fast training kernels for the 'wasm' backend. Safe to call more than once,
 * before or after the backend is initialised.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of configs) {
    const existing = getKernel(config.kernelName, 'wasm');
    if (existing?.kernelFunc === config.kernelFunc) continue;
    rememberOriginal(config.kernelName);
    if (existing != null) unregisterKernel(config.kernelName, 'wasm');
    // Keep the stock setupFunc: it binds the wasm exports the stock kernel (still used as a fast path) needs.
    registerKernel({ ...config, setupFunc: existing?.setupFunc });
  }
  registerReluGradient();
}
