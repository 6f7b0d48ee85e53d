import type { GradConfig, KernelConfig, KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import {
  cast,
  engine,
  getBackend,
  getGradient,
  mul,
  Relu,
  registerGradient,
  step,
} from '@tensorflow/tfjs-core';
import { ptr, simd } from './simd/index.js';
import { alloc, type WasmBackend } from './wasm-backend.js';

/** This package's own kernel: relu's gradient in one pass instead of tfjs's step, cast and multiply. */
export const RELU_GRAD = 'FmnistReluGrad';

function reluGrad(args: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: WasmBackend }): TensorInfo {
  const {
    inputs: { dy, x },
    backend,
  } = args;
  const dx = alloc(backend, [...x.shape]);
  simd(backend).relu_grad(
    ptr(backend, dy),
    ptr(backend, x),
    ptr(backend, dx),
    x.shape.reduce((p, d) => p * d, 1),
  );
  return dx;
}

export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as KernelFunc,
};

/**
 * Relu's gradient, as tfjs defines it (dy · step(x)), taken by the one-pass kernel on the wasm backend for
 * float32 and by tfjs's own ops everywhere else.
 */
export const reluGradientConfig: GradConfig = {
  kernelName: Relu,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved as [Tensor];
    const g = dy as Tensor;
    return {
      x: () =>
        getBackend() === 'wasm' && x.dtype === 'float32' && g.dtype === 'float32'
          ? (engine().runKernel(RELU_GRAD, { dy: g, x }) as Tensor)
          : mul(g, cast(step(x), 'float32')),
    };
  },
};

/** Installs the gradient once (tfjs warns when a gradient is replaced). */
export function registerReluGradient(): void {
  if (getGradient(Relu)?.gradFunc === reluGradientConfig.gradFunc) return;
  registerGradient(reluGradientConfig);
}
