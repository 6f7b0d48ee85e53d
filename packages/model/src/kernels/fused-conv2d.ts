import type { FusedConv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { FusedConv2D, util } from '@tensorflow/tfjs-core';
import { kernelFunc, type WasmBackend } from './wasm-backend.js';
import { winogradConv2D, winogradForwardInfo } from './winograd.js';

/**
 * The convolution layers' inference path (conv + bias + activation in one kernel): Winograd F(2x2, 3x3)
 * with the bias and a relu applied tile by tile where it pays, as Conv2D does for training; every other
 * shape or activation goes to the stock XNNPACK kernel.
 */
function fusedConv2D(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: WasmBackend;
  attrs: FusedConv2DAttrs;
}) {
  const {
    inputs: { x, filter, bias },
    backend,
    attrs,
  } = args;
  const simpleEpilogue =
    (attrs.activation === 'linear' || attrs.activation === 'relu') &&
    (bias == null || (bias.dtype === 'float32' && util.sizeFromShape(bias.shape) === filter.shape[3]));
  const info = simpleEpilogue ? winogradForwardInfo(x, filter, attrs) : undefined;
  if (info) return winogradConv2D(backend, x, filter, info, { bias, relu: attrs.activation === 'relu' });
  return kernelFunc(FusedConv2D)(args as never) as TensorInfo;
}

export const fusedConv2DConfig: KernelConfig = {
  kernelName: FusedConv2D,
  backendName: 'wasm',
  kernelFunc: fusedConv2D as unknown as KernelFunc,
};
