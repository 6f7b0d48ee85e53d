export {
  type BandImages,
  type BandOptions,
  bandImageSet,
  bandImages,
  bandLabel,
  bandRows,
  encodeIdxUint8,
  PIXELS,
  SIDE,
  writeBandsDataset,
} from './bands.js';
