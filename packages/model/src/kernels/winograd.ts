import type { Conv2DAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { ptr, simd } from './simd/index.js';
import { alloc, free, type WasmBackend } from './wasm-backend.js';

/**
 * Winograd F(2x2, 3x3) convolution and its two adjoints (wasm/winograd.c): 16 GEMMs on transformed
 * 4x4 tiles replace the 9 taps, 2.25x fewer multiplies than a direct or im2col convolution.
 */

/** Below this many input or output channels the transforms cost more than the multiplies they save. */
export const WINOGRAD_MIN_CHANNELS = 8;

/** Tiles transformed at a time: a block's transformed tiles stay in L2 between transforms and GEMMs. */
const TILES_PER_BLOCK = 48;

/** 3x3, stride 1, dilation 1, NHWC, with enough channels on both sides; any padding. */
export function winogradApplies(info: backend_util.Conv2DInfo): boolean {
  return (
    info.dataFormat === 'channelsLast' &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.inChannels >= WINOGRAD_MIN_CHANNELS &&
    info.outChannels >= WINOGRAD_MIN_CHANNELS &&
    info.outHeight > 0 &&
    info.outWidth > 0
  );
}

/** The forward convolution's geometry when Winograd takes it (float32 NHWC, see winogradApplies), else undefined. */
export function winogradForwardInfo(
  x: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DAttrs,
): backend_util.Conv2DInfo | undefined {
  if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
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
  return winogradApplies(info) ? info : undefined;
}

function shape(info: backend_util.Conv2DInfo) {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, padInfo } = info;
  return [
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    padInfo.top,
    padInfo.left,
    TILES_PER_BLOCK,
  ] as const;
}

/** The 16 transformed filters, [16, cin, cout] or, transposed, [16, cout, cin]. */
function transformFilter(
  backend: WasmBackend,
  filter: TensorInfo,
  cin: number,
  cout: number,
  transposed: boolean,
) {
  const u = alloc(backend, [16, cin * cout]);
  simd(backend).winograd_filter_transform(
    ptr(backend, filter),
    ptr(backend, u),
    cin,
    cout,
    transposed ? 1 : 0,
  );
  return u;
}

/** y = conv(x, filter) [+ bias [then relu]]: the fused convolution's epilogue is applied tile by tile. */
export function winogradConv2D(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  epilogue: { bias?: TensorInfo | undefined; relu?: boolean } = {},
) {
  const { inChannels: cin, outChannels: cout } = info;
  const u = transformFilter(backend, filter, cin, cout, false);
  const v = alloc(backend, [16 * TILES_PER_BLOCK * cin]);
  const m = alloc(backend, [16 * TILES_PER_BLOCK * cout]);
  const y = alloc(backend, [info.batchSize, info.outHeight, info.outWidth, cout]);
  simd(backend).winograd_conv2d(
    ptr(backend, x),
    ptr(backend, u),
    ptr(backend, y),
    ptr(backend, v),
    ptr(backend, m),
    ...shape(info),
    epilogue.bias ? ptr(backend, epilogue.bias) : 0,
    epilogue.relu ? 1 : 0,
  );
  free(backend, u, v, m);
  return y;
}

export function winogradConv2DBackpropFilter(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
) {
  const { inChannels: cin, outChannels: cout } = info;
  const v = alloc(backend, [16 * TILES_PER_BLOCK * cin]);
  const yh = alloc(backend, [16 * TILES_PER_BLOCK * cout]);
  const du = alloc(backend, [16 * cin * cout]);
  const dw = alloc(backend, [3, 3, cin, cout]);
  simd(backend).winograd_conv2d_backprop_filter(
    ptr(backend, x),
    ptr(backend, dy),
    ptr(backend, dw),
    ptr(backend, v),
    ptr(backend, yh),
    ptr(backend, du),
    ...shape(info),
  );
  free(backend, v, yh, du);
  return dw;
}

export function winogradConv2DBackpropInput(
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
) {
  const { inChannels: cin, outChannels: cout } = info;
  const ut = transformFilter(backend, filter, cin, cout, true);
  const yh = alloc(backend, [16 * TILES_PER_BLOCK * cout]);
  const dv = alloc(backend, [16 * TILES_PER_BLOCK * cin]);
  const dx = alloc(backend, [info.batchSize, info.inHeight, info.inWidth, cin]);
  simd(backend).winograd_conv2d_backprop_input(
    ptr(backend, dy),
    ptr(backend, ut),
    ptr(backend, dx),
    ptr(backend, yh),
    ptr(backend, dv),
    ...shape(info),
  );
  free(backend, ut, yh, dv);
  return dx;
}
