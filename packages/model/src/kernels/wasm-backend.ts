import type { DataType, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';

/** The subset of the wasm backend (tfjs-backend-wasm 4.x) these kernels rely on. */
export interface WasmBackend {
  wasm: { HEAPF32: Float32Array; asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Float index of a tensor's first element in the wasm heap. */
export function heapIndex(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset >>> 2;
}

/** Re-read on every use: the heap view is replaced whenever wasm memory grows. */
export function heap(backend: WasmBackend): Float32Array {
  return backend.wasm.HEAPF32;
}

export function alloc(backend: WasmBackend, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

export function free(backend: WasmBackend, ...ts: TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

const originals = new Map<string, KernelFunc>();

/** Remembers a kernel's stock implementation before it is overridden. */
export function rememberOriginal(name: string): void {
  if (originals.has(name)) return;
  const k = getKernel(name, 'wasm');
  if (k != null) originals.set(name, k.kernelFunc);
}

/** Stock kernel if overridden, else the registered one. */
export function kernelFunc(name: string): KernelFunc {
  const f = originals.get(name) ?? getKernel(name, 'wasm')?.kernelFunc;
  if (f == null) throw new Error(`wasm kernel ${name} is not registered`);
  return f;
}

export function runKernel(
  name: string,
  backend: WasmBackend,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  return kernelFunc(name)({ inputs, backend: backend as never, attrs }) as TensorInfo;
}
