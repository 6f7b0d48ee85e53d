import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRandom } from '@fmnist/fs-kit';

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

/** The rows image `label` lights up: two rows per class, from row 4 down. */
export const bandRows = (label: number): [first: number, end: number] => [label * 2 + 4, label * 2 + 6];

export interface BandImages {
  /** count × 28 × 28 raw pixels, 0..255. */
  pixels: Uint8Array;
  /** Image i is of class i % 10. */
  labels: Uint8Array;
  count: number;
}

export interface BandOptions {
  /** Seeds the noise (default 7). */
  seed?: number;
  /** How far the seeded noise lifts a pixel, 0..55 (default 50); less noise trains in fewer batches. */
  noise?: number;
}

/**
 * `count` 28×28 images where image i is of class `i % 10` and lights up that class's two rows (200 up)
 * over seeded noise (20 up, by as much as `noise`): a Fashion-MNIST look-alike that a few batches of
 * training learn, and that a fake model can read back with `bandLabel`.
 */
export function bandImages(count: number, { seed = 7, noise = 50 }: BandOptions = {}): BandImages {
  const rand = createRandom(seed);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    labels[i] = label;
    const [first, end] = bandRows(label);
    for (let p = 0; p < PIXELS; p++) {
      const row = Math.floor(p / SIDE);
      pixels[i * PIXELS + p] = Math.round((row >= first && row < end ? 200 : 20) + rand() * noise);
    }
  }
  return { pixels, labels, count };
}

/** The same images normalised to 0..1, in the `ImageSet` shape the model and the gate take. */
export function bandImageSet(count: number, opts: BandOptions = {}) {
  const { pixels, labels } = bandImages(count, opts);
  const images = new Float32Array(pixels.length);
  for (let j = 0; j < pixels.length; j++) images[j] = (pixels[j] as number) / 255;
  return { images, pixels, labels, count, height: SIDE, width: SIDE };
}

/** The class whose band is brightest in image `index` of normalised (or raw) `images`. */
export function bandLabel(images: ArrayLike<number>, index: number): number {
  let best = 0;
  let bestSum = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < 10; c++) {
    let sum = 0;
    for (let x = 0; x < SIDE; x++) sum += images[index * PIXELS + bandRows(c)[0] * SIDE + x] as number;
    if (sum > bestSum) {
      bestSum = sum;
      best = c;
    }
  }
  return best;
}

/**
 * An IDX file of unsigned bytes (type 0x08) as LeCun's format defines it: two zero bytes, the type, the
 * number of dimensions, each dimension as a big-endian uint32, then the data. Written here rather than
 * with the model's writer, so tests of the reader are not checked against the code under test.
 */
export function encodeIdxUint8(shape: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + shape.length * 4);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(shape.length, 3);
  for (const [i, d] of shape.entries()) header.writeUInt32BE(d, 4 + i * 4);
  return Buffer.concat([header, data]);
}

/**
 * Writes the four gzipped IDX files of a band dataset into `dir` (created when missing), named as
 * Fashion-MNIST's: `train-images-idx3-ubyte.gz`, `train-labels-…`, `t10k-images-…`, `t10k-labels-…`.
 */
export async function writeBandsDataset(
  dir: string,
  opts: { train?: number; test?: number } & BandOptions = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const seed = opts.seed ?? 7;
  for (const [prefix, count, splitSeed] of [
    ['train', opts.train ?? 256, seed],
    ['t10k', opts.test ?? 100, seed + 1],
  ] as const) {
    const { pixels, labels } = bandImages(count, { seed: splitSeed, noise: opts.noise });
    await writeFile(
      join(dir, `${prefix}-images-idx3-ubyte.gz`),
      gzipSync(encodeIdxUint8([count, SIDE, SIDE], pixels)),
    );
    await writeFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(encodeIdxUint8([count], labels)));
  }
  return dir;
}
