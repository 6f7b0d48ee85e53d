import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from '../wasm-backend.js';
import { SIMD_MODULE } from './module.js';

/** n, h, w, cin, oh, ow, cout, padTop, padLeft, tilesPerBlock of a Winograd call. */
type WinogradShape = [number, number, number, number, number, number, number, number, number, number];
/** Two operands, the result and two block buffers (wasm/winograd.c says which), then the shape. */
type WinogradArgs = [number, number, number, number, number, ...WinogradShape];

/** The exports of wasm/kernels.c and wasm/winograd.c; every pointer is a byte offset into the tfjs wasm heap. */
export interface SimdKernels {
  transpose2d(src: number, dst: number, rows: number, cols: number): void;
  im2col_t(
    xT: number,
    colsT: number,
    n: number,
    h: number,
    w: number,
    cin: number,
    oh: number,
    ow: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
  ): void;
  conv2d_backprop_filter_direct(
    x: number,
    dy: number,
    dw: number,
    n: number,
    h: number,
    w: number,
    cin: number,
    oh: number,
    ow: number,
    cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
  ): void;
  add_bias(a: number, bias: number, out: number, rows: number, cols: number): void;
  col2im(
    cols: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
  ): void;
  sum_rows(x: number, out: number, rows: number, cols: number): void;
  winograd_filter_transform(filter: number, u: number, cin: number, cout: number, transposed: number): void;
  winograd_conv2d(...args: [...WinogradArgs, bias: number, relu: number]): void;
  winograd_conv2d_backprop_filter(
    x: number,
    dy: number,
    dw: number,
    v: number,
    yh: number,
    du: number,
    ...shape: WinogradShape
  ): void;
  winograd_conv2d_backprop_input(...args: WinogradArgs): void;
  max_pool_grad_2x2(
    x: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
  ): void;
  max_pool_2x2(
    x: number,
    y: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
  ): void;
  max_pool_grad(
    x: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
  ): void;
  /** C[m, n] (+)= A(m, k) . B[k, n] with A(i, p) at a[i * ars + p * aks]; B and C row-major (wasm/gemm.c). */
  gemm(
    a: number,
    ars: number,
    aks: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    m: number,
    n: number,
    k: number,
    accumulate: number,
  ): void;
  relu_grad(dy: number, x: number, dx: number, n: number): void;
  /** Batch normalisation of a row-major [m, c] by its columns' own statistics (wasm/batch-norm.c). */
  batch_norm_train(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    xhat: number,
    mean: number,
    rstd: number,
    m: number,
    c: number,
    eps: number,
  ): void;
  batch_norm_train_grad(
    dy: number,
    xhat: number,
    rstd: number,
    gamma: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    m: number,
    c: number,
  ): void;
  adam_step(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    b2: number,
    step: number,
    c2: number,
    eps: number,
    keep: number,
  ): void;
}

/** The parts of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBufferLike };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WasmJs = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;
const instances = new WeakMap<object, SimdKernels>();

/** The SIMD kernels bound to this backend's memory; compiled once per process, instantiated once per heap. */
export function simd(backend: WasmBackend): SimdKernels {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WasmJs.Memory) || memory.buffer instanceof SharedArrayBuffer) {
    throw new Error(
      'the wasm backend exposes no unshared WebAssembly.Memory (tfjs-backend-wasm 4.x single-threaded SIMD build expected); use FMNIST_BACKEND=cpu',
    );
  }
  let kernels = instances.get(memory);
  if (!kernels) {
    compiled ??= new WasmJs.Module(Buffer.from(SIMD_MODULE.base64, 'base64'));
    kernels = new WasmJs.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** Wasm memory pages (64 KiB each) holding `bytes`. */
const pages = (bytes: number) => Math.ceil(bytes / 65536);

/**
 * The SIMD kernels bound to a memory of their own of at least `bytes` (for work outside tfjs's heap, such as the
 * optimiser's flat vectors), and a float view of it (stable: this memory never grows).
 */
export function simdWithOwnMemory(bytes: number): { kernels: SimdKernels; heap: Float32Array } {
  const memory = new WasmJs.Memory({ initial: Math.max(1, pages(bytes)) });
  compiled ??= new WasmJs.Module(Buffer.from(SIMD_MODULE.base64, 'base64'));
  const kernels = new WasmJs.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
  return { kernels, heap: new Float32Array(memory.buffer) };
}

/** Byte offset of a tensor's first element in the wasm heap. */
export function ptr(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}
