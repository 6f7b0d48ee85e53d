import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFileSizes, listFiles, pathExists } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-kit-list-'));
  await mkdir(join(dir, 'data', 'train'), { recursive: true });
  await writeFile(join(dir, 'data', 'train', 'images.idx'), 'abcd');
  await writeFile(join(dir, 'data', 'README'), 'hi');
  await writeFile(join(dir, 'outside.txt'), 'xyz');
  await symlink(join(dir, 'outside.txt'), join(dir, 'data', 'linked.txt'));
  await symlink(join(dir, 'data', 'train'), join(dir, 'data', 'again'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('listing files', () => {
  it('lists regular files with their sizes by sorted relative path, skipping links', async () => {
    expect(await listFileSizes(join(dir, 'data'))).toEqual({ README: 2, 'train/images.idx': 4 });
    expect(await listFiles(join(dir, 'data'))).toEqual(['README', 'train/images.idx']);
  });

  it('follows links when asked: a linked file counts as a file, a linked folder is walked', async () => {
    expect(await listFileSizes(join(dir, 'data'), { followLinks: true })).toEqual({
      README: 2,
      'again/images.idx': 4,
      'linked.txt': 3,
      'train/images.idx': 4,
    });
  });

  it('fails on a link that leads nowhere when following links', async () => {
    await symlink(join(dir, 'gone.txt'), join(dir, 'data', 'dangling'));
    await expect(listFiles(join(dir, 'data'), { followLinks: true })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(await listFiles(join(dir, 'data'))).toEqual(['README', 'train/images.idx']);
  });
});

describe('pathExists', () => {
  it('sees files, folders and links to them, not a link that leads nowhere', async () => {
    expect(await pathExists(join(dir, 'data'))).toBe(true);
    expect(await pathExists(join(dir, 'data', 'linked.txt'))).toBe(true);
    expect(await pathExists(join(dir, 'data', 'missing'))).toBe(false);
    await symlink(join(dir, 'gone.txt'), join(dir, 'dangling'));
    expect(await pathExists(join(dir, 'dangling'))).toBe(false);
  });
});
