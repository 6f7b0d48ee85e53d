import { IdxError } from './errors.js';
import { type IdxArray, readIdx } from './idx.js';

/** How raw pixels become model input; saved with every model so serving applies the same. */
export interface Normalization {
  /** input = pixel * scale + offset, for pixel in 0..255 */
  scale: number;
  offset: number;
}

export const DEFAULT_NORMALIZATION: Normalization = { scale: 1 / 255, offset: 0 };

/** Images as model input: Float32 `[count, height, width, 1]`, and their labels. */
export interface ImageSet {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/** Turns uint8 pixels into normalised float input in one pass. */
export function normalizePixels(
  pixels: Uint8Array,
  norm: Normalization = DEFAULT_NORMALIZATION,
): Float32Array {
  const out = new Float32Array(pixels.length);
  const { scale, offset } = norm;
  for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i] as number) * scale + offset;
  return out;
}

/** Checks that an images array and a labels array belong together and returns them as an ImageSet. */
export function toImageSet(
  images: IdxArray,
  labels: IdxArray,
  files: { images: string; labels: string } = { images: '<images>', labels: '<labels>' },
  norm: Normalization = DEFAULT_NORMALIZATION,
): ImageSet {
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new IdxError(
      'IDX_BAD_SHAPE',
      files.images,
      `expected uint8 images of shape [count, height, width], got ${images.dtype} [${images.shape.join(', ')}]`,
    );
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new IdxError(
      'IDX_BAD_SHAPE',
      files.labels,
      `expected uint8 labels of shape [count], got ${labels.dtype} [${labels.shape.join(', ')}]`,
    );
  }
  const [count = 0, height = 0, width = 0] = images.shape;
  if (labels.shape[0] !== count) {
    throw new IdxError(
      'IDX_COUNT_MISMATCH',
      files.labels,
      `holds ${labels.shape[0]} labels but ${files.images} holds ${count} images; use the labels file that belongs to these images`,
    );
  }
  return {
    images: normalizePixels(images.data as Uint8Array, norm),
    labels: labels.data as Uint8Array,
    count,
    height,
    width,
  };
}

/** Loads an images file and its labels file (IDX, gzipped or raw) as normalised model input. */
export async function loadImageSet(
  imagesFile: string,
  labelsFile: string,
  norm?: Normalization,
): Promise<ImageSet> {
  const [images, labels] = await Promise.all([readIdx(imagesFile), readIdx(labelsFile)]);
  return toImageSet(images, labels, { images: imagesFile, labels: labelsFile }, norm);
}
