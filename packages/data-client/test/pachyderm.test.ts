import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPachydermDataClient } from '../src/pachyderm.js';
import { testDataClient } from './contract.js';
import { startFakePachd } from './fake-pachd.js';
import { bundleFixture } from './fixtures/bundle.js';

const noEnv = {};

testDataClient('Pachyderm backend against an in-test pachd', async () => {
  const pachd = await startFakePachd();
  return { client: createPachydermDataClient({ address: pachd.address, env: noEnv }), stop: pachd.stop };
});

async function code(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e) => (e as { code?: string }).code,
  );
}

/** Opens a commit on the branch as another pachctl user would (`pachctl start commit`), and leaves it open. */
async function startCommitAs(pachd: Awaited<ReturnType<typeof startFakePachd>>, repo: string, user: string) {
  return pachd.state.startCommit({ repo: { name: repo }, name: 'master' }, 'import in progress', user);
}

/**
 * Starts a put of an endless file in another process, kills it (SIGKILL) once pachd is receiving bytes,
 * checks the branch kept its head, and puts again: that put must land on the old head.
 */
async function killMidPut(address: string, repo: string, work: string) {
  const writer = await bundleFixture('pachd-writer', join(work, 'pachd-writer.mjs'));
  const client = createPachydermDataClient({ address, env: noEnv });
  await client.createRepo(repo);
  const before = await client.putFiles(`${repo}@master:/`, { name: 'keep.txt', content: 'kept' });

  const child = spawn(process.execPath, [writer, address, repo], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.on('exit', r));
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d) => String(d).includes('writing') && resolve()),
  );
  child.kill('SIGKILL');
  await exited;

  expect((await client.inspectCommit(`${repo}@master`)).id).toBe(before.commit.id);
  const after = await client.putFiles(`${repo}@master:/`, { name: 'next.txt', content: 'next' });
  expect(after.commit.parent).toBe(before.commit.id);
  expect(after.commit.fileCount).toBe(2);
  expect((await client.listCommits(repo)).map((c) => c.id)).toEqual([after.commit.id, before.commit.id]);
  await client.close();
  return { before: before.commit.id, after: after.commit };
}

describe('Pachyderm puts', () => {
  let pachd: Awaited<ReturnType<typeof startFakePachd>>;
  let work: string;
  beforeAll(async () => {
    pachd = await startFakePachd();
    work = await mkdtemp(join(tmpdir(), 'fmnist-pachd-'));
  });
  afterAll(async () => {
    await pachd.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('puts in one ModifyFile: a source that breaks midway leaves no commit, open or finished', async () => {
    const client = createPachydermDataClient({ address: pachd.address, env: noEnv });
    await client.createRepo('broken');
    async function* breaks() {
      yield Buffer.from('part');
      throw new Error('source broke');
    }
    await expect(client.putFiles('broken@master:/', { name: 'x', content: breaks() })).rejects.toThrow(
      /source broke/,
    );
    expect(pachd.commits('broken')).toEqual([]);
    const put = await client.putFiles('broken@master:/', { name: 'x', content: 'whole' });
    expect(put.commit).toMatchObject({ branch: 'master', parent: null, fileCount: 1 });
    await client.close();
  });

  it('leaves no open commit when the putting process is killed (SIGKILL) midway, and the next put lands', async () => {
    const { before, after } = await killMidPut(pachd.address, 'raw', work);
    expect(pachd.commits('raw').filter((c) => !c.finishing)).toEqual([]);
    expect(pachd.commits('raw').map((c) => c.id)).toEqual([before, after.id]);
  });

  it('refuses to put on a head another writer left open, saying whose it is and what to do', async () => {
    const client = createPachydermDataClient({ address: pachd.address, env: noEnv });
    await client.createRepo('shared');
    await client.putFiles('shared@master:/', { name: 'a.txt', content: 'a' });
    const open = await startCommitAs(pachd, 'shared', 'robot:nightly-import');
    const refused = client.putFiles('shared@master:/', { name: 'b.txt', content: 'b' });
    await expect(refused).rejects.toMatchObject({ code: 'COMMIT_OPEN' });
    await expect(refused).rejects.toThrow(
      new RegExp(`${open.id} \\("import in progress"\\) is still open, started .* by robot:nightly-import`),
    );
    await expect(refused).rejects.toThrow(`pachctl finish commit shared@${open.id}`);
    expect(open.files.has('/b.txt')).toBe(false);

    pachd.state.finishCommit(open);
    const put = await client.putFiles('shared@master:/', { name: 'b.txt', content: 'b' });
    expect(put.commit.parent).toBe(open.id);
    await client.close();
  });

  it('gives every call a deadline: a pachd that never answers fails the call instead of hanging', async () => {
    const stuck = await startFakePachd({ stall: ['InspectRepo', 'ModifyFile'] });
    const client = createPachydermDataClient({
      address: stuck.address,
      env: noEnv,
      timeoutMs: 200,
      transferTimeoutMs: 300,
    });
    const put = client.putFiles('raw@master:/', { name: 'x', content: 'x' });
    await expect(put).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(put).rejects.toThrow(/did not answer within/);
    await client.close();
    await stuck.stop();
  });

  it('names the branch of every commit it reports, and says when a deleted repo was not there', async () => {
    const client = createPachydermDataClient({ address: pachd.address, env: noEnv });
    await client.createRepo('named');
    const put = await client.putFiles('named@master:/', { name: 'a', content: 'a' });
    expect(put.commit.branch).toBe('master');
    expect((await client.listCommits('named', { branch: 'master' }))[0]?.branch).toBe('master');
    expect(await code(client.deleteRepo('never-made'))).toBe('REPO_NOT_FOUND');
    await client.close();
  });

  it('lists an empty commit as empty, where pachd answers NotFound for its root', async () => {
    const client = createPachydermDataClient({ address: pachd.address, env: noEnv });
    await client.createRepo('empty');
    const c = pachd.state.startCommit({ repo: { name: 'empty' }, name: 'master' }, '', '');
    pachd.state.finishCommit(c);
    expect(await client.listFiles('empty@master:/')).toEqual([]);
    expect(await client.listFiles('empty@master:/', { recursive: true })).toEqual([]);
    expect(await client.inspectCommit('empty@master')).toMatchObject({ fileCount: 0, sizeBytes: 0 });
    await expect(client.listFiles('empty@master:/nothing')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await client.close();
  });

  it('creates the project of a repo when it is missing', async () => {
    const client = createPachydermDataClient({ address: pachd.address, env: noEnv, project: 'fashion' });
    await client.createRepo('raw');
    expect(pachd.state.projects.has('fashion')).toBe(true);
    expect(pachd.state.repos.has('fashion/raw')).toBe(true);
    expect((await client.listRepos()).map((r) => r.name)).toEqual(['raw']);
    await client.close();
  });

  it('refuses a commit message, which a one-step put cannot carry', async () => {
    const client = createPachydermDataClient({ address: pachd.address, env: noEnv });
    const put = client.putFiles('raw@master:/', { name: 'x', content: 'x' }, { description: 'why' });
    await expect(put).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await client.close();
  });
});

// Against a real pachd only when one is configured (a fresh one: the contract creates fixed repo names).
const live = process.env.PACHD_ADDRESS;
if (live) {
  testDataClient(`Pachyderm backend against the pachd at ${live}`, async () => ({
    client: createPachydermDataClient({ address: live }),
    stop: async () => {},
  }));
  describe('Pachyderm backend (live)', () => {
    it('leaves no open commit when a put is killed (SIGKILL) midway', async () => {
      const work = await mkdtemp(join(tmpdir(), 'fmnist-pachd-live-'));
      await killMidPut(live, `fmnist-crash-${Date.now()}`, work);
      await rm(work, { recursive: true, force: true });
    });
  });
}
