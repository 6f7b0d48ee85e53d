import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bandImageSet, bandImages, bandLabel, writeBandsDataset } from '../src/index.js';

describe('band images', () => {
  it('label image i with class i % 10, which its brightest band says', () => {
    const { pixels, labels } = bandImages(30);
    expect([...labels.subarray(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    for (let i = 0; i < 30; i++) expect(bandLabel(pixels, i)).toBe(labels[i]);
    expect(bandImages(30).pixels).toEqual(pixels);
    expect(bandImages(30, { seed: 8 }).pixels).not.toEqual(pixels);
    expect(Math.max(...bandImages(30, { noise: 0 }).pixels)).toBe(200);
  });

  it('normalise to 0..1 beside the raw pixels', () => {
    const set = bandImageSet(10);
    expect(set.images.length).toBe(10 * 784);
    expect(Math.max(...set.images)).toBeLessThanOrEqual(1);
    expect(set.images[100]).toBeCloseTo((set.pixels[100] as number) / 255, 6);
  });

  it('write the four gzipped IDX files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fixtures-'));
    try {
      await writeBandsDataset(dir, { train: 20, test: 10 });
      expect((await readdir(dir)).sort()).toEqual([
        't10k-images-idx3-ubyte.gz',
        't10k-labels-idx1-ubyte.gz',
        'train-images-idx3-ubyte.gz',
        'train-labels-idx1-ubyte.gz',
      ]);
      const images = gunzipSync(await readFile(join(dir, 'train-images-idx3-ubyte.gz')));
      expect([...images.subarray(0, 4)]).toEqual([0, 0, 8, 3]);
      expect([images.readUInt32BE(4), images.readUInt32BE(8), images.readUInt32BE(12)]).toEqual([20, 28, 28]);
      expect(images.length).toBe(16 + 20 * 784);
      const labels = gunzipSync(await readFile(join(dir, 't10k-labels-idx1-ubyte.gz')));
      expect([...labels.subarray(8)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
