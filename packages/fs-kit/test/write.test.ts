import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  removeStaleTemps,
  replaceDir,
  replacePlainDir,
  syncFile,
  writeDirAtomic,
  writeFileAtomic,
  writeFileDurable,
  writeFilesAtomic,
} from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-kit-write-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates the folder, replaces the content and leaves no temporary file', async () => {
    const file = join(dir, 'a', 'b', 'state.json');
    await writeFileAtomic(file, '{"v":1}\n');
    await writeFileAtomic(file, new TextEncoder().encode('{"v":2}\n'));
    expect(await readFile(file, 'utf8')).toBe('{"v":2}\n');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['state.json']);
  });

  it('keeps the old content when the write fails', async () => {
    const file = join(dir, 'state.json');
    await writeFileAtomic(file, 'old');
    await expect(writeFileAtomic(file, 'new', { mode: Number.NaN })).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['state.json']);
  });
});

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function* breaksAfter(part: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(part);
  throw new Error('source broke');
}

describe('writeFileAtomic with a stream or a temp folder', () => {
  it('writes streamed chunks in order', async () => {
    const file = join(dir, 'data.bin');
    await writeFileAtomic(file, chunks('ab', 'cd', 'ef'));
    expect(await readFile(file, 'utf8')).toBe('abcdef');
  });

  it('keeps the old content and no temporary file when the stream breaks midway', async () => {
    const file = join(dir, 'data.bin');
    await writeFileAtomic(file, 'old');
    await expect(writeFileAtomic(file, breaksAfter('half'))).rejects.toThrow('source broke');
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['data.bin']);
  });

  it('writes the temporary file in tempDir, where removeStaleTemps finds what a crash leaves', async () => {
    const temps = join(dir, 'tmp');
    await mkdir(temps);
    let seen: string[] = [];
    async function* watched(): AsyncGenerator<Uint8Array> {
      seen = await readdir(temps);
      yield Buffer.from('v1');
    }
    await writeFileAtomic(join(dir, 'out', 'state.json'), watched(), { tempDir: temps });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^\.state\.json\..*\.tmp$/);
    expect(await readdir(temps)).toEqual([]);
    expect(await readdir(join(dir, 'out'))).toEqual(['state.json']);
    expect(await removeStaleTemps(temps)).toEqual([]);
  });
});

describe('writeFileDurable', () => {
  it('creates a new file and refuses one that exists, leaving it as it was', async () => {
    const file = join(dir, 'head.json');
    await writeFileDurable(file, '{"head":1}');
    await syncFile(file);
    await expect(writeFileDurable(file, '{"head":2}')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(file, 'utf8')).toBe('{"head":1}');
  });

  it('removes the file when its content cannot be written', async () => {
    await expect(writeFileDurable(join(dir, 'blob'), breaksAfter('half'))).rejects.toThrow('source broke');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('writeFilesAtomic', () => {
  it('writes a set of files and keeps what else the folder holds', async () => {
    await writeFile(join(dir, 'keep.txt'), 'mine');
    await writeFilesAtomic(dir, [
      { name: 'report.json', render: () => '{}' },
      { name: 'report.md', render: () => '# report' },
    ]);
    expect((await readdir(dir)).sort()).toEqual(['keep.txt', 'report.json', 'report.md']);
  });

  it('leaves the previous set untouched when one file cannot be rendered', async () => {
    await writeFilesAtomic(dir, [
      { name: 'report.json', render: () => 'v1' },
      { name: 'report.md', render: () => 'v1' },
    ]);
    const failing = writeFilesAtomic(dir, [
      { name: 'report.json', render: () => 'v2' },
      {
        name: 'report.md',
        render: () => {
          throw new Error('template broke');
        },
      },
    ]);
    await expect(failing).rejects.toThrow('template broke');
    expect(await readFile(join(dir, 'report.json'), 'utf8')).toBe('v1');
    expect((await readdir(dir)).sort()).toEqual(['report.json', 'report.md']);
  });
});

describe('replaceDir', () => {
  it('swaps a whole folder in, and the folder is there at every step of a replacement', async () => {
    const target = join(dir, 'model');
    const real = await replaceDir(target, async (staging) => {
      await writeFile(join(staging, 'model.json'), 'v1');
    });
    expect(await readFile(join(target, 'model.json'), 'utf8')).toBe('v1');
    expect(await readFile(join(real, 'model.json'), 'utf8')).toBe('v1');
    await replaceDir(target, async (staging) => {
      // While the new folder is being written, readers still see the old one whole.
      expect(await readFile(join(target, 'model.json'), 'utf8')).toBe('v1');
      await writeFile(join(staging, 'model.json'), 'v2');
      await writeFile(join(staging, 'weights.bin'), 'w');
    });
    expect((await readdir(target)).sort()).toEqual(['model.json', 'weights.bin']);
    // The old version is gone: one link and the folder it points at.
    const link = await readlink(target);
    expect((await readdir(dir)).sort()).toEqual([link, 'model'].sort());
  });

  it('leaves the folder as it was when filling it fails', async () => {
    const target = join(dir, 'model');
    await replaceDir(target, (staging) => writeFile(join(staging, 'model.json'), 'v1'));
    const before = (await readdir(dir)).sort();
    await expect(
      replaceDir(target, async (staging) => {
        await writeFile(join(staging, 'model.json'), 'half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await readFile(join(target, 'model.json'), 'utf8')).toBe('v1');
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('replaces a plain folder from before', async () => {
    const target = join(dir, 'model');
    await writeFileAtomic(join(target, 'old.json'), 'old');
    await replaceDir(target, (staging) => writeFile(join(staging, 'new.json'), 'new'));
    expect(await readdir(target)).toEqual(['new.json']);
    expect(await readdir(dir)).toHaveLength(2);
  });
});

describe('writeDirAtomic', () => {
  it('puts a whole new plain folder in place and leaves no staging folder', async () => {
    const target = join(dir, 'checkpoints', 'c1');
    await writeDirAtomic(target, async (staging) => {
      await mkdir(join(staging, 'sub'));
      await writeFile(join(staging, 'sub', 'state.json'), '{}');
    });
    expect((await lstat(target)).isDirectory()).toBe(true);
    expect(await readFile(join(target, 'sub', 'state.json'), 'utf8')).toBe('{}');
    expect(await readdir(join(dir, 'checkpoints'))).toEqual(['c1']);
  });

  it('leaves nothing when filling fails, and refuses a folder that is there already', async () => {
    const target = join(dir, 'c1');
    await expect(
      writeDirAtomic(target, async (staging) => {
        await writeFile(join(staging, 'half.bin'), 'h');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await readdir(dir)).toEqual([]);
    await writeFileAtomic(join(target, 'old.json'), 'old');
    await expect(
      writeDirAtomic(target, (staging) => writeFile(join(staging, 'new.json'), 'new')),
    ).rejects.toThrow();
    expect(await readdir(target)).toEqual(['old.json']);
    expect(await readdir(dir)).toEqual(['c1']);
  });
});

describe('replacePlainDir', () => {
  it('creates, then replaces, a plain folder and leaves nothing beside it', async () => {
    const target = join(dir, 'model');
    await replacePlainDir(target, (staging) => writeFile(join(staging, 'weights.bin'), 'v1'));
    const filled = await replacePlainDir(target, async (staging) => {
      await writeFile(join(staging, 'model.json'), 'v2');
      return 'filled';
    });
    expect(filled).toBe('filled');
    expect((await lstat(target)).isDirectory()).toBe(true);
    expect((await lstat(target)).isSymbolicLink()).toBe(false);
    expect(await readdir(target)).toEqual(['model.json']);
    expect(await readdir(dir)).toEqual(['model']);
  });

  it('keeps the old folder when filling fails', async () => {
    const target = join(dir, 'model');
    await replacePlainDir(target, (staging) => writeFile(join(staging, 'weights.bin'), 'v1'));
    await expect(
      replacePlainDir(target, async (staging) => {
        await writeFile(join(staging, 'half.bin'), 'h');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await readFile(join(target, 'weights.bin'), 'utf8')).toBe('v1');
    expect(await readdir(dir)).toEqual(['model']);
  });

  it('refuses a link, which a copy would carry as a link', async () => {
    const target = join(dir, 'model');
    await replaceDir(target, (staging) => writeFile(join(staging, 'weights.bin'), 'v1'));
    await expect(replacePlainDir(target, async () => {})).rejects.toMatchObject({ code: 'NOT_A_FOLDER' });
    expect(await readFile(join(target, 'weights.bin'), 'utf8')).toBe('v1');
  });
});
