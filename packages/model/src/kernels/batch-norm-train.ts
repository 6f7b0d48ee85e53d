import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import { ptr, simd } from './simd/index.js';
import { alloc, free, type WasmBackend } from './wasm-backend.js';

/** This package's kernels: batch normalisation by the batch's own statistics, forward and back. */
export const BATCH_NORM_TRAIN = 'FmnistBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'FmnistBatchNormTrainGrad';

/** Rows (every axis but the last) and channels (the last) of a shape. */
function rowsAndChannels(shape: readonly number[]): [number, number] {
  const c = shape.at(-1) as number;
  return [util.sizeFromShape(shape as number[]) / c, c];
}

/** Outputs y, xhat (the normalised input, kept for the gradient) and rstd = 1 / √(variance + ε). */
function batchNormTrain(args: {
  inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  backend: WasmBackend;
  attrs: NamedAttrMap;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, gamma, beta } = inputs;
  const [m, c] = rowsAndChannels(x.shape);
  const y = alloc(backend, [...x.shape]);
  const xhat = alloc(backend, [...x.shape]);
  const mean = alloc(backend, [c]);
  const rstd = alloc(backend, [c]);
  simd(backend).batch_norm_train(
    ptr(backend, x),
    ptr(backend, gamma),
    ptr(backend, beta),
    ptr(backend, y),
    ptr(backend, xhat),
    ptr(backend, mean),
    ptr(backend, rstd),
    m,
    c,
    attrs.epsilon as number,
  );
  free(backend, mean);
  return [y, xhat, rstd];
}

/** Outputs dx, dgamma and dbeta. */
function batchNormTrainGrad(args: {
  inputs: { dy: TensorInfo; xhat: TensorInfo; rstd: TensorInfo; gamma: TensorInfo };
  backend: WasmBackend;
}): TensorInfo[] {
  const { inputs, backend } = args;
  const { dy, xhat, rstd, gamma } = inputs;
  const [m, c] = rowsAndChannels(xhat.shape);
  const dx = alloc(backend, [...xhat.shape]);
  const dgamma = alloc(backend, [c]);
  const dbeta = alloc(backend, [c]);
  simd(backend).batch_norm_train_grad(
    ptr(backend, dy),
    ptr(backend, xhat),
    ptr(backend, rstd),
    ptr(backend, gamma),
    ptr(backend, dx),
    ptr(backend, dgamma),
    ptr(backend, dbeta),
    m,
    c,
  );
  return [dx, dgamma, dbeta];
}

export const batchNormTrainConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: batchNormTrain as unknown as KernelFunc,
};

export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: batchNormTrainGrad as unknown as KernelFunc,
};
