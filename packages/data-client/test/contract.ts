import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataClient } from '../src/index.js';

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** The code of the error and where it says the missing thing is. */
async function place(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const { code, repo, ref, path } = e as { code?: string; repo?: string; ref?: string; path?: string };
    return { code, repo, ref, path };
  }
  return undefined;
}

/** The behaviour every DataClient backend shares. */
export function testDataClient(
  name: string,
  make: () => Promise<{ client: DataClient; stop: () => Promise<void> }>,
) {
  describe(`DataClient contract: ${name}`, () => {
    let client: DataClient;
    let stop: () => Promise<void>;
    let src: string;

    beforeAll(async () => {
      ({ client, stop } = await make());
      src = await mkdtemp(join(tmpdir(), 'fmnist-src-'));
      await mkdir(join(src, 'images', 'deep'), { recursive: true });
      await writeFile(join(src, 'labels.txt'), 'labels v1');
      await writeFile(join(src, 'images', 'a.bin'), 'AAAA');
      await writeFile(join(src, 'images', 'deep', 'b.bin'), 'BB');
    });
    afterAll(async () => {
      await client.close();
      await stop();
      await rm(src, { recursive: true, force: true });
    });

    it('creates, lists, inspects and deletes repos', async () => {
      const r = await client.createRepo('scratch', { description: 'temporary' });
      expect(r).toMatchObject({ name: 'scratch', description: 'temporary', branches: [] });
      expect(await code(client.createRepo('scratch'))).toBe('REPO_EXISTS');
      expect((await client.createRepo('scratch', { ifAbsent: true })).name).toBe('scratch');
      expect((await client.listRepos()).map((x) => x.name)).toContain('scratch');
      await client.deleteRepo('scratch');
      expect((await client.listRepos()).map((x) => x.name)).not.toContain('scratch');
      expect(await code(client.inspectRepo('scratch'))).toBe('REPO_NOT_FOUND');
      expect(await code(client.deleteRepo('scratch'))).toBe('REPO_NOT_FOUND');
    });

    it('puts a directory recursively at a path in one commit and reads it back', async () => {
      await client.createRepo('raw');
      const put = await client.putFiles('raw@master:/data', { dir: src });
      expect(put.created).toBe(true);
      expect(put.files).toBe(3);
      expect(put.commit).toMatchObject({
        repo: 'raw',
        branch: 'master',
        parent: null,
        fileCount: 3,
        sizeBytes: 15,
      });
      expect(put.commit.id).toMatch(/^[0-9a-f]{32}$/);
      expect(await client.listCommits('raw')).toHaveLength(1);

      const top = await client.listFiles('raw@master:/data');
      expect(top.map((f) => [f.path, f.type, f.sizeBytes])).toEqual([
        ['/data/images', 'dir', 6],
        ['/data/labels.txt', 'file', 9],
      ]);
      const all = await client.listFiles('raw@master:/', { recursive: true });
      expect(all.map((f) => f.path).sort()).toEqual([
        '/data/images/a.bin',
        '/data/images/deep/b.bin',
        '/data/labels.txt',
      ]);
      expect(await readAll(await client.getFile('raw@master:/data/images/deep/b.bin'))).toBe('BB');
      expect(await readAll(await client.getFile(`raw@${put.commit.id}:data/labels.txt`))).toBe('labels v1');
    });

    it('makes each put one new commit on top of the head, and old commits keep their files', async () => {
      const before = await client.inspectCommit('raw@master');
      const put = await client.putFiles('raw@master:/data', [
        { name: 'labels.txt', content: Readable.from([Buffer.from('labels '), Buffer.from('v2')]) },
        { name: 'extra/c.bin', content: 'C' },
      ]);
      expect(put.commit.parent).toBe(before.id);
      expect(put.commit.fileCount).toBe(4);
      expect(await readAll(await client.getFile('raw@master:/data/labels.txt'))).toBe('labels v2');
      expect(await readAll(await client.getFile(`raw@${before.id}:/data/labels.txt`))).toBe('labels v1');
      expect(await client.inspectCommit(`raw@${put.commit.id}`)).toEqual(
        await client.inspectCommit('raw@master'),
      );
      const commits = await client.listCommits('raw');
      expect(commits.map((c) => c.id)).toEqual([put.commit.id, before.id]);
      expect(await client.listCommits('raw', { limit: 1 })).toHaveLength(1);
    });

    it('diffs two commits', async () => {
      const [newer, older] = await client.listCommits('raw');
      const diff = await client.diffCommits(`raw@${older?.id}`, `raw@${newer?.id}`);
      expect(diff).toEqual([
        { path: '/data/extra/c.bin', change: 'added', newSizeBytes: 1 },
        { path: '/data/labels.txt', change: 'modified', oldSizeBytes: 9, newSizeBytes: 9 },
      ]);
      const back = await client.diffCommits(`raw@${newer?.id}`, `raw@${older?.id}`);
      expect(back.find((c) => c.path === '/data/extra/c.bin')?.change).toBe('removed');
      expect(await client.diffCommits('raw@master', 'raw@master')).toEqual([]);
    });

    it('makes no commit when skipIfUnchanged finds the same content', async () => {
      await client.createRepo('same');
      const file = join(src, 'labels.txt');
      const first = await client.putFiles('same@master:/', { file }, { skipIfUnchanged: true });
      const again = await client.putFiles('same@master:/', { file }, { skipIfUnchanged: true });
      expect(first.created).toBe(true);
      expect(again.created).toBe(false);
      expect(again.commit.id).toBe(first.commit.id);
      expect(await client.listCommits('same')).toHaveLength(1);
      await writeFile(join(src, 'other.txt'), 'changed');
      const changed = await client.putFiles(
        'same@master:/',
        { file: join(src, 'other.txt'), name: 'labels.txt' },
        { skipIfUnchanged: true },
      );
      expect(changed.created).toBe(true);
      expect(changed.commit.contentHash).not.toBe(first.commit.contentHash);
    });

    it('gives equal content hashes to commits with equal files', async () => {
      await client.createRepo('twin-a');
      await client.createRepo('twin-b');
      const a = await client.putFiles('twin-a@master:/', { dir: join(src, 'images') });
      const b = await client.putFiles('twin-b@master:/', { dir: join(src, 'images') });
      expect(a.commit.contentHash).toBe(b.commit.contentHash);
      expect(a.commit.contentHash).not.toBe((await client.inspectCommit('raw@master')).contentHash);
    });

    it('reports bad addresses and missing repos, branches, commits and files by code', async () => {
      expect(await code(client.listFiles('no repo here'))).toBe('BAD_ADDRESS');
      expect(await code(client.listFiles('raw:/data'))).toBe('BAD_ADDRESS');
      expect(await code(client.listFiles('ghost@master:/'))).toBe('REPO_NOT_FOUND');
      expect(await code(client.listFiles('raw@nope:/'))).toBe('BRANCH_NOT_FOUND');
      expect(await code(client.inspectCommit(`raw@${'0'.repeat(32)}`))).toBe('COMMIT_NOT_FOUND');
      expect(await code(client.listFiles('raw@master:/missing'))).toBe('FILE_NOT_FOUND');
      expect(await code(client.getFile('raw@master:/nothing.bin'))).toBe('FILE_NOT_FOUND');
      expect(await code(client.getFile('raw@master:/data/images'))).toBe('NOT_A_FILE');
      expect(await code(client.listCommits('ghost'))).toBe('REPO_NOT_FOUND');
    });

    it('says which repo, ref and path a missing thing is, for a caller to name the fix', async () => {
      const none = { ref: undefined, path: undefined };
      expect(await place(client.inspectRepo('ghost'))).toEqual({
        code: 'REPO_NOT_FOUND',
        repo: 'ghost',
        ...none,
      });
      expect(await place(client.listFiles('raw@nope:/'))).toEqual({
        code: 'BRANCH_NOT_FOUND',
        repo: 'raw',
        ref: 'nope',
        path: undefined,
      });
      const id = '0'.repeat(32);
      expect(await place(client.inspectCommit(`raw@${id}`))).toEqual({
        code: 'COMMIT_NOT_FOUND',
        repo: 'raw',
        ref: id,
        path: undefined,
      });
      expect(await place(client.listFiles('raw@master:/missing'))).toEqual({
        code: 'FILE_NOT_FOUND',
        repo: 'raw',
        ref: 'master',
        path: '/missing',
      });
      expect(await place(client.getFile('raw@master:/data/images'))).toEqual({
        code: 'NOT_A_FILE',
        repo: 'raw',
        ref: 'master',
        path: '/data/images',
      });
    });

    it('refuses paths that escape the repo and leaves the branch alone', async () => {
      const head = await client.inspectCommit('raw@master');
      expect(await code(client.putFiles('raw@master:/../etc', { name: 'x', content: 'x' }))).toBe('BAD_PATH');
      expect(await code(client.putFiles('raw@master:/', { name: '/etc/passwd', content: 'x' }))).toBe(
        'BAD_PATH',
      );
      expect(await code(client.putFiles('raw@master:/', { name: 'a/../../b', content: 'x' }))).toBe(
        'BAD_PATH',
      );
      expect(await code(client.putFiles(`raw@${head.id}:/`, { name: 'x', content: 'x' }))).toBe(
        'BAD_ADDRESS',
      );
      expect((await client.inspectCommit('raw@master')).id).toBe(head.id);
    });

    it('fails a put whose source is missing or breaks midway, with no partial commit', async () => {
      const head = await client.inspectCommit('raw@master');
      expect(await code(client.putFiles('raw@master:/', { file: join(src, 'no-such-file') }))).toBe(
        'SOURCE_NOT_FOUND',
      );
      expect(await code(client.putFiles('raw@master:/', { dir: join(src, 'no-such-dir') }))).toBe(
        'SOURCE_NOT_FOUND',
      );
      async function* breaks() {
        yield Buffer.from('first part');
        throw Object.assign(new Error('disk went away'), { code: 'EIO' });
      }
      await expect(
        client.putFiles('raw@master:/', [
          { name: 'ok.txt', content: 'fine' },
          { name: 'torn.bin', content: breaks() },
        ]),
      ).rejects.toThrow(/disk went away/);
      expect((await client.inspectCommit('raw@master')).id).toBe(head.id);
      expect(await client.listCommits('raw')).toHaveLength(2);
      expect(await code(client.getFile('raw@master:/ok.txt'))).toBe('FILE_NOT_FOUND');
    });
  });
}
