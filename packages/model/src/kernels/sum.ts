import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, Sum, util } from '@tensorflow/tfjs-core';
import { ptr, simd } from './simd/index.js';
import { alloc, kernelFunc, type WasmBackend } from './wasm-backend.js';

/**
 * Bias gradients sum over the leading (batch, spatial) axes. The stock kernel first
 * transposes those axes innermost; summing rows in place (SIMD, in double precision) avoids the copy.
 */
function sum(args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: SumAttrs }): TensorInfo {
  const {
    inputs: { x },
    backend,
    attrs,
  } = args;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const leading = axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading || axes.length === 0) {
    return kernelFunc(Sum)(args as never) as TensorInfo;
  }
  const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
  const cols = util.sizeFromShape(x.shape.slice(axes.length));
  const outShape = attrs.keepDims
    ? backend_util.expandShapeToKeepDim(x.shape.slice(axes.length), axes)
    : x.shape.slice(axes.length);
  const out = alloc(backend, outShape);
  simd(backend).sum_rows(ptr(backend, x), ptr(backend, out), rows, cols);
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sum as unknown as KernelFunc,
};
