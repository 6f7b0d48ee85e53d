import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runAccuracyGate } from '../src/index.js';
import { fakeModel, syntheticTestSet, tempDir, version } from './helpers.js';

/** Splits a PNG into its chunks, checking each CRC against zlib's. */
function readPng(png: Buffer) {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: Array<{ type: string; data: Buffer }> = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    expect(png.readUInt32BE(at + 8 + length), `CRC of ${type}`).toBe(
      crc32(png.subarray(at + 4, at + 8 + length)),
    );
    chunks.push({ type, data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0]!.data;
  const [width, height, depth, colour] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]];
  const raw = inflateSync(chunks[1]!.data);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width + 1)], 'filter byte').toBe(0);
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, depth, colour, pixels };
}

async function firstThumbnail(dir: string) {
  const html = await readFile(join(dir, 'report.html'), 'utf8');
  const match = /<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(html);
  expect(match).not.toBeNull();
  return readPng(Buffer.from(match![1]!, 'base64'));
}

describe('misclassified thumbnails', () => {
  it('are 28×28 greyscale PNGs of the raw test pixels', async () => {
    const testSet = syntheticTestSet(40);
    const dir = await tempDir();
    const { report } = await runAccuracyGate({
      model: 'm',
      versions: [version(1, fakeModel({ wrong: (i) => i === 17 }))],
      testSet,
      reportDir: dir,
    });
    expect(report.versions[0]!.misclassified.map((m) => m.index)).toEqual([17]);
    const png = await firstThumbnail(dir);
    expect([png.width, png.height, png.depth, png.colour]).toEqual([28, 28, 8, 0]);
    expect([...png.pixels]).toEqual([...testSet.pixels!.subarray(17 * 784, 18 * 784)]);
  });

  it('without raw pixels, are drawn from the normalised images stretched to full contrast', async () => {
    const { pixels, ...rest } = syntheticTestSet(40);
    const dir = await tempDir();
    // (x − 0.2860) / 0.3530: the mean/std normalisation training uses.
    const images = Float32Array.from(rest.images, (v) => (v - 0.286) / 0.353);
    await runAccuracyGate({
      model: 'm',
      versions: [version(1, fakeModel({ wrong: (i) => i === 5 }))],
      testSet: { ...rest, images },
      reportDir: dir,
    });
    const png = await firstThumbnail(dir);
    const original = pixels!.subarray(5 * 784, 6 * 784);
    // Full contrast: the darkest pixel becomes 0 and the brightest 255.
    const min = Math.min(...original);
    const max = Math.max(...original);
    const expected = [...original].map((p) => Math.round(((p - min) / (max - min)) * 255));
    const diff = [...png.pixels].map((p, i) => Math.abs(p - expected[i]!));
    expect(Math.max(...diff)).toBeLessThanOrEqual(1);
  });
});
