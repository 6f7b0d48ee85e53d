import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

let home: string;
let src: string;

const run = (...argv: string[]) => runCli(home, ...argv);

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'fmnist-cli-pfs-'));
  src = join(home, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'train.bin'), 'training bytes');
  await writeFile(join(src, 'sub', 'labels.bin'), 'labels');
});
afterAll(() => rm(home, { recursive: true, force: true }));

describe('fmnist data repository verbs', () => {
  it('creates, lists and deletes repos', async () => {
    expect((await run('repo', 'create', 'fmnist-train-raw')).stdout).toMatch(/created repo fmnist-train-raw/);
    expect((await run('repo', 'create', 'scratch')).code).toBe(0);
    const list = await run('repo', 'list', '--json');
    expect(JSON.parse(list.stdout).map((r: { name: string }) => r.name)).toEqual([
      'fmnist-train-raw',
      'scratch',
    ]);
    expect((await run('repo', 'delete', 'scratch')).code).toBe(0);
    const again = await run('repo', 'create', 'fmnist-train-raw');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('puts a directory with -r as one commit, then lists, gets and inspects it by commit id', async () => {
    const put = await run('put', 'file', '-r', 'fmnist-train-raw@master:/', '-f', src, '--json');
    expect(put.code).toBe(0);
    const { commit } = JSON.parse(put.stdout);
    expect(commit).toMatchObject({ repo: 'fmnist-train-raw', branch: 'master', fileCount: 2 });

    const files = JSON.parse((await run('list', 'file', `fmnist-train-raw@${commit.id}:/`, '--json')).stdout);
    expect(files.map((f: { path: string; type: string }) => `${f.path} ${f.type}`)).toEqual([
      '/sub dir',
      '/train.bin file',
    ]);
    expect((await run('list', 'file', 'fmnist-train-raw@master:/')).stdout).toMatch(
      /\/train\.bin\s+file\s+14 B/,
    );

    const out = join(home, 'got', 'train.bin');
    expect((await run('get', 'file', `fmnist-train-raw@${commit.id}:/train.bin`, '-o', out)).code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('training bytes');

    const inspected = JSON.parse(
      (await run('inspect', 'commit', `fmnist-train-raw@${commit.id}`, '--json')).stdout,
    );
    expect(inspected).toEqual(commit);
    expect((await run('inspect', 'commit', 'fmnist-train-raw@master')).stdout).toMatch(
      new RegExp(`Content hash: ${commit.contentHash}`),
    );

    await writeFile(join(home, 'more.bin'), 'more');
    await run('put', 'file', 'fmnist-train-raw@master:/extra/', '-f', join(home, 'more.bin'));
    const commits = JSON.parse((await run('list', 'commit', 'fmnist-train-raw', '--json')).stdout);
    expect(commits).toHaveLength(2);
    expect(commits[0].parent).toBe(commit.id);
    const diff = JSON.parse(
      (await run('diff', 'commit', `fmnist-train-raw@${commit.id}`, 'fmnist-train-raw@master', '--json'))
        .stdout,
    );
    expect(diff).toEqual([{ path: '/extra/more.bin', change: 'added', newSizeBytes: 4 }]);
  });

  it('refuses a directory without -r, bad addresses and missing things, with clear errors', async () => {
    const dir = await run('put', 'file', 'fmnist-train-raw@master:/', '-f', src);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/is a directory: add -r/);
    const bad = await run('list', 'file', 'fmnist-train-raw:/');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/needs a branch or commit/);
    const escaping = await run('put', 'file', 'fmnist-train-raw@master:/../x', '-f', join(home, 'more.bin'));
    expect(escaping.stderr).toMatch(/"\.\." is not allowed/);
    const noRepo = await run('list', 'commit', 'nothing-here');
    expect(noRepo.stderr).toMatch(/repo "nothing-here" not found/);
    expect(noRepo.stderr).toMatch(/Run: fmnist repo create nothing-here/);
    const noCommit = await run('inspect', 'commit', `fmnist-train-raw@${'f'.repeat(32)}`);
    expect(noCommit.stderr).toMatch(/commit f+ not found/);
    expect(noCommit.stderr).toMatch(/Run: fmnist list commit fmnist-train-raw$/m);
    const noFile = await run('get', 'file', 'fmnist-train-raw@master:/nope.bin', '-o', join(home, 'x'));
    expect(noFile.stderr).toMatch(/no such file/);
    expect(noFile.stderr).toMatch(/Run: fmnist list file fmnist-train-raw@[0-9a-f]{32}:\/$/m);
    const dirAsFile = await run('get', 'file', 'fmnist-train-raw@master:/sub', '-o', join(home, 'x'));
    expect(dirAsFile.stderr).toMatch(/is a directory/);
    expect(dirAsFile.stderr).toMatch(/Run: fmnist list file fmnist-train-raw@[0-9a-f]{32}:\/sub$/m);
    const noBranch = await run('list', 'file', 'fmnist-train-raw@dev:/');
    expect(noBranch.stderr).toMatch(/branch "dev" not found/);
    expect(noBranch.stderr).toMatch(/Run: fmnist put file -r fmnist-train-raw@dev:\/ -f DIR/);
    expect((await run('list', 'commit', 'fmnist-train-raw')).stdout.trim().split('\n')).toHaveLength(3);
  });

  it('places files as pachctl put file does, and says when a repo to delete is not there', async () => {
    expect((await run('repo', 'create', 'placed')).code).toBe(0);
    const one = join(home, 'a.txt');
    await writeFile(one, 'A');
    const listed = async () =>
      JSON.parse((await run('list', 'file', 'placed@master:/', '--recursive', '--json')).stdout).map(
        (f: { path: string }) => f.path,
      );
    expect((await run('put', 'file', 'placed@master:/x', '-f', one)).stdout).toMatch(/put on master$/m);
    expect(await listed()).toEqual(['/x']);
    await run('put', 'file', 'placed@master', '-f', one);
    expect(await listed()).toEqual(['/a.txt', '/x']);
    await run('put', 'file', '-r', 'placed@master', '-f', src);
    expect(await listed()).toEqual(['/a.txt', '/src/sub/labels.bin', '/src/train.bin', '/x']);
    expect((await run('inspect', 'commit', 'placed@master')).stdout).toMatch(/^Branch: +master$/m);

    expect((await run('repo', 'delete', 'placed')).stdout).toMatch(/deleted repo placed/);
    const missing = await run('repo', 'delete', 'placed');
    expect(missing.code).toBe(1);
    expect(missing.stdout).not.toMatch(/deleted/);
    expect(missing.stderr).toMatch(/not found/);
  });

  it('reports an unreachable pachd given with --pachd', async () => {
    const r = await run('--pachd', 'grpc://127.0.0.1:1', 'repo', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pachd at grpc:\/\/127\.0\.0\.1:1 is not reachable/);
  });
});
