import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  encodeIdx,
  type IdxArray,
  IdxError,
  loadImageSet,
  parseIdx,
  readIdx,
  writeIdx,
} from '../src/data.js';

const samples: IdxArray[] = [
  { dtype: 'uint8', shape: [2, 3], data: Uint8Array.from([0, 1, 2, 253, 254, 255]) },
  { dtype: 'int8', shape: [4], data: Int8Array.from([-128, -1, 0, 127]) },
  { dtype: 'int16', shape: [2, 2], data: Int16Array.from([-32768, -2, 513, 32767]) },
  { dtype: 'int32', shape: [3], data: Int32Array.from([-2147483648, 16909060, 2147483647]) },
  { dtype: 'float32', shape: [1, 3], data: Float32Array.from([-1.5, 0, 3.25]) },
  { dtype: 'float64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
  { dtype: 'float64', shape: [1, 2], data: Float64Array.from([1 / 3, 2]) },
];

async function tempDir() {
  return mkdtemp(join(tmpdir(), 'fmnist-idx-'));
}

describe('IDX round trip', () => {
  for (const sample of samples) {
    for (const gzip of [false, true]) {
      it(`keeps ${sample.dtype} [${sample.shape}] values ${gzip ? 'gzipped' : 'raw'}`, async () => {
        const file = join(await tempDir(), gzip ? 'x.idx' : 'x.idx.gz'); // names lie on purpose: content decides
        await writeIdx(file, sample, { gzip });
        const back = await readIdx(file);
        expect(back.dtype).toBe(sample.dtype);
        expect(back.shape).toEqual(sample.shape);
        expect(back.data).toBeInstanceOf(sample.data.constructor);
        expect(Array.from(back.data)).toEqual(Array.from(sample.data));
      });
    }
  }

  it('writes big-endian dimensions and values', () => {
    const bytes = encodeIdx({ dtype: 'int16', shape: [2], data: Int16Array.from([1, 258]) });
    expect(Array.from(bytes)).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 2, 0, 1, 1, 2]);
  });

  it('views uint8 payloads without copying them', () => {
    const raw = encodeIdx({ dtype: 'uint8', shape: [3], data: Uint8Array.from([7, 8, 9]) });
    const parsed = parseIdx(raw);
    expect(parsed.data.buffer).toBe(raw.buffer);
  });

  it('does not modify the bytes it is given', () => {
    const raw = encodeIdx({ dtype: 'int32', shape: [1], data: Int32Array.from([1]) });
    const before = Buffer.from(raw);
    parseIdx(raw);
    expect(raw.equals(before)).toBe(true);
  });
});

describe('IDX errors name the file and the problem', () => {
  const good = encodeIdx({ dtype: 'uint8', shape: [2, 2], data: new Uint8Array(4) });

  it('rejects a bad magic number', () => {
    expect(() => parseIdx(Buffer.from('PK\x03\x04hello'), 'a.zip')).toThrow(/a\.zip: not an IDX file/);
  });

  it('rejects an unknown type code', () => {
    const bad = Buffer.from(good);
    bad[2] = 0x0a;
    const err = catchError(() => parseIdx(bad, 'f.idx'));
    expect(err).toBeInstanceOf(IdxError);
    expect(err).toMatchObject({ code: 'IDX_UNKNOWN_TYPE', file: 'f.idx' });
    expect(err.message).toMatch(/0x0a/);
  });

  it('rejects dimensions that do not match the payload', () => {
    const err = catchError(() => parseIdx(good.subarray(0, good.length - 1), 'short.idx'));
    expect(err).toMatchObject({ code: 'IDX_SIZE_MISMATCH' });
    expect(err.message).toMatch(/short\.idx: dimensions \[2, 2\] need 4 bytes .* holds 3/);
    expect(() => parseIdx(Buffer.concat([good, Buffer.from([1])]))).toThrow(/need 4 bytes/);
  });

  it('rejects a header cut short', () => {
    expect(catchError(() => parseIdx(good.subarray(0, 6), 'h.idx'))).toMatchObject({ code: 'IDX_TRUNCATED' });
  });

  it('rejects a truncated gzip', async () => {
    const gz = gzipSync(good);
    const file = join(await tempDir(), 'cut.gz');
    await writeFile(file, gz.subarray(0, gz.length - 10));
    const err = await readIdx(file).catch((e: unknown) => e as IdxError);
    expect(err).toMatchObject({ code: 'IDX_TRUNCATED', file });
    expect((err as Error).message).toContain(file);
  });

  it('rejects images and labels of different counts', async () => {
    const dir = await tempDir();
    await writeIdx(join(dir, 'img'), { dtype: 'uint8', shape: [3, 2, 2], data: new Uint8Array(12) });
    await writeIdx(join(dir, 'lab'), { dtype: 'uint8', shape: [2], data: new Uint8Array(2) });
    await expect(loadImageSet(join(dir, 'img'), join(dir, 'lab'))).rejects.toMatchObject({
      code: 'IDX_COUNT_MISMATCH',
      message: expect.stringMatching(/holds 2 labels but .*img holds 3 images/),
    });
  });
});

describe('loadImageSet', () => {
  it('normalises pixels to 0..1 floats and keeps labels', async () => {
    const dir = await tempDir();
    await writeIdx(
      join(dir, 'img'),
      { dtype: 'uint8', shape: [2, 1, 2], data: Uint8Array.from([0, 255, 51, 102]) },
      { gzip: true },
    );
    await writeIdx(join(dir, 'lab'), { dtype: 'uint8', shape: [2], data: Uint8Array.from([3, 9]) });
    const set = await loadImageSet(join(dir, 'img'), join(dir, 'lab'));
    expect(set).toMatchObject({ count: 2, height: 1, width: 2 });
    expect(Array.from(set.images)).toEqual([0, 1, 0.2, 0.4].map((v) => Math.fround(v)));
    expect(Array.from(set.labels)).toEqual([3, 9]);
  });
});

function catchError(fn: () => unknown): IdxError {
  try {
    fn();
  } catch (e) {
    return e as IdxError;
  }
  throw new Error('expected an error');
}
