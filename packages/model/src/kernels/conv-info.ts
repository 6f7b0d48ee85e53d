import { backend_util } from '@tensorflow/tfjs-core';

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

/** Shared attribute validation: only NHWC with dilation 1 is implemented. */
export function convInfoNHWC(
  kernel: string,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Pad,
  dataFormat: string,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): backend_util.Conv2DInfo {
  if (dataFormat !== 'NHWC') {
    throw new Error(`${kernel} (wasm): dataFormat ${dataFormat} is not supported, use NHWC`);
  }
  return backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
}
