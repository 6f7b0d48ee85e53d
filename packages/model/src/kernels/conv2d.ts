import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2D } from '@tensorflow/tfjs-core';
import { kernelFunc, type WasmBackend } from './wasm-backend.js';
import { winogradConv2D, winogradForwardInfo } from './winograd.js';

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
  const info = winogradForwardInfo(x, filter, attrs);
  if (info) return winogradConv2D(backend, x, filter, info);
  return kernelFunc(Conv2D)(args as never) as TensorInfo;
}

export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2D as unknown as KernelFunc,
};
