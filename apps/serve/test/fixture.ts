import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { type Classifier, createClassifier, initBackend, saveClassifier } from '@fmnist/model';

/** A small untrained CNN saved to a fresh folder, and the same network in this thread for expected answers. */
export async function savedModel(): Promise<{ modelDir: string; local: Classifier }> {
  await initBackend({ prefer: 'wasm' });
  const local = await createClassifier({
    hyperparameters: { filters1: 4, filters2: 8, dense1: 16 },
    seed: 3,
  });
  const modelDir = join(await mkdtemp(join(tmpdir(), 'fmnist-serve-')), 'model');
  await saveClassifier(local, modelDir);
  return { modelDir, local };
}

/** Image `k` of a fixed family: 784 pixel values 0..255, different for every k. */
export function pixels(k: number): number[] {
  return Array.from({ length: 784 }, (_, i) => (i * 13 + k * 31 + ((i * k) % 7) * 17) % 256);
}

/** A 28×28 image as nested rows. */
export const nested = (flat: number[]) =>
  Array.from({ length: 28 }, (_, r) => flat.slice(r * 28, r * 28 + 28));

export const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
};

/** A greyscale 8-bit PNG of `width × height` pixels from `grey(x, y)`, built by hand (signature, IHDR, IDAT, IEND). */
export function png(width: number, height: number, grey: (x: number, y: number) => number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = grey(x, y);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A dark garment-like blob on a white background. */
export const photo = (k: number) =>
  png(60, 80, (x, y) => ((x - 30) ** 2 / (10 + k) ** 2 + (y - 40) ** 2 / 30 ** 2 < 1 ? 40 + k * 10 : 255));

// biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field and assert each one.
export type Json = any;

export async function send(
  url: string,
  body: string | Buffer,
  contentType = 'application/json',
): Promise<{ status: number; json: Json }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
