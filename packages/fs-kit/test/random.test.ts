import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRandom, deriveSeed, listFileSizes, listFiles, seededPermutation } from '../src/index.js';

describe('seeded randomness', () => {
  it('gives the same sequence for a seed, in [0, 1)', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(createRandom(43)()).not.toBe(xs[0]);
    // mulberry32's first draw for seed 1, so data shuffled before this package keeps its order.
    expect(createRandom(1)()).toBeCloseTo(0.6270739405881613, 15);
  });

  it('derives independent seeds per item', () => {
    const seeds = new Set(Array.from({ length: 100 }, (_, i) => deriveSeed(7, i)));
    expect(seeds.size).toBe(100);
    expect(deriveSeed(7, 3)).toBe(deriveSeed(7, 3));
  });

  it('permutes 0..n-1 the same way for a seed', () => {
    const p = seededPermutation(100, 5);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...p]).toEqual([...seededPermutation(100, 5)]);
    expect([...p]).not.toEqual([...seededPermutation(100, 6)]);
  });
});

describe('listFiles', () => {
  it('lists regular files as sorted POSIX paths, with sizes, skipping links', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-kit-list-'));
    try {
      await mkdir(join(dir, 'b', 'c'), { recursive: true });
      await writeFile(join(dir, 'b', 'c', 'deep.bin'), 'abc');
      await writeFile(join(dir, 'a.txt'), 'x');
      await symlink(join(dir, 'a.txt'), join(dir, 'link.txt'));
      expect(await listFiles(dir)).toEqual(['a.txt', 'b/c/deep.bin']);
      expect(await listFileSizes(dir)).toEqual({ 'a.txt': 1, 'b/c/deep.bin': 3 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
