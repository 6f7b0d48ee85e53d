import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, Conv2D } from '@tensorflow/tfjs-core';
import { kernelFunc, type WasmBackend } from './wasm-backend.js';
import { winogradApplies, winogradConv2D } from './winograd.js';

/** Winograd F(2x2, 3x3) where it pays (3x3, stride 1, enough channels); every other shape goes to XNNPACK. */
function conv2D(args: {
  inputs: { x: TensorInfo; filter: TensorInfo };
  backend: WasmBackend;
  attrs: Conv2DAttrs;
}) {
  const {
    inputs: { x, filter },
    backend,
    attrs,
  } = args;
  if (attrs.dataFormat === 'NHWC' && x.dtype === 'float32' && filter.dtype === 'float32') {
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    if (winogradApplies(info)) return winogradConv2D(backend, x, filter, info);
  }
  return kernelFunc(Conv2D)(args as never) as TensorInfo;
}

export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2D as unknown as KernelFunc,
};
