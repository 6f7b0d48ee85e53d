import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTar, FsKitError, readTarFiles } from '../src/index.js';

type Entry = { path: string; type?: string; body?: string; linkpath?: string };

/** A tar archive made entry by entry, so tests can hold what a well-behaved packer never writes. */
function archive(entries: Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const header = Buffer.alloc(512);
    new Header({
      path: e.path,
      type: (e.type ?? 'File') as never,
      size: body.length,
      mode: e.type === 'Directory' ? 0o755 : 0o644,
      mtime: new Date(0),
      linkpath: e.linkpath,
    }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-kit-tar-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('extractTar', () => {
  it('writes plain files and folders and lists the files', async () => {
    const dest = join(dir, 'out');
    const files = await extractTar(
      archive([
        { path: 'model/', type: 'Directory' },
        { path: 'model/model.json', body: '{"format":"layers-model"}' },
        { path: 'metadata.json', body: '{}' },
      ]),
      dest,
    );
    expect(files).toEqual(['metadata.json', 'model/model.json']);
    expect(await readFile(join(dest, 'model', 'model.json'), 'utf8')).toBe('{"format":"layers-model"}');
  });

  it('reads gzipped archives and archive files alike', async () => {
    const file = join(dir, 'a.tar.gz');
    await writeFile(file, gzipSync(archive([{ path: 'x.txt', body: 'hello' }])));
    expect(await extractTar(file, join(dir, 'out'))).toEqual(['x.txt']);
    expect(await readFile(join(dir, 'out', 'x.txt'), 'utf8')).toBe('hello');
  });

  it.each([
    ['a path escaping the target', { path: '../escaped.txt', body: 'x' }, /outside the target folder/],
    ['a nested escape', { path: 'ok/../../escaped.txt', body: 'x' }, /outside the target folder/],
    ['an absolute path', { path: '/tmp/escaped.txt', body: 'x' }, /absolute path/],
    ['a symbolic link', { path: 'link', type: 'SymbolicLink', linkpath: '/etc/passwd' }, /symbolic link/],
    ['a hard link', { path: 'hard', type: 'Link', linkpath: 'model.json' }, /hard link/],
  ])('refuses %s and writes nothing', async (_name, bad, message) => {
    const dest = join(dir, 'nested', 'out');
    await mkdir(dest, { recursive: true });
    const tar = archive([{ path: 'model.json', body: '{}' }, bad as Entry]);
    const err = await extractTar(tar, dest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FsKitError);
    expect((err as FsKitError).code).toBe('TAR_UNSAFE_ENTRY');
    expect((err as Error).message).toMatch(message);
    expect(await readdir(dest)).toEqual([]);
    expect(await readdir(join(dir, 'nested'))).toEqual(['out']);
  });

  it('says so when the bytes are not an archive', async () => {
    const err = await extractTar(Buffer.from('not a tar archive at all'.repeat(40)), join(dir, 'out')).catch(
      (e: unknown) => e,
    );
    expect((err as FsKitError).code).toBe('TAR_UNREADABLE');
  });
});

describe('readTarFiles', () => {
  it('reads the selected files into memory', async () => {
    const tar = archive([
      { path: 'package/src/clothes/0.json', body: '[[1,2]]' },
      { path: 'package/README.md', body: '# readme' },
    ]);
    const files = await readTarFiles(gzipSync(tar), (p) => p.startsWith('package/src/clothes/'));
    expect([...files.keys()]).toEqual(['package/src/clothes/0.json']);
    expect(files.get('package/src/clothes/0.json')?.toString()).toBe('[[1,2]]');
  });

  it('refuses a selected entry that is a link instead of skipping it', async () => {
    const tar = archive([
      { path: 'package/src/clothes/0.json', type: 'SymbolicLink', linkpath: '/etc/passwd' },
    ]);
    await expect(readTarFiles(tar, () => true)).rejects.toMatchObject({ code: 'TAR_UNSAFE_ENTRY' });
  });
});
