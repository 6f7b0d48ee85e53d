import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileAtomic } from '@fmnist/fs-kit';
import { checkName } from '../address.js';
import { DataClientError } from '../errors.js';
import { readdirOrEmpty } from '../internal/files.js';
import type { RepoInfo } from '../types.js';
import { repoInfo, repoMeta } from './refs.js';
import { type RepoMeta, readJson, type Store } from './store.js';

const repoExists = (name: string) =>
  new DataClientError('REPO_EXISTS', `repo "${name}" already exists`, undefined, { at: { repo: name } });

export async function createRepo(
  s: Store,
  name: string,
  o: { description?: string; ifAbsent?: boolean } = {},
): Promise<RepoInfo> {
  checkName('repo', name);
  await s.prepare();
  const existing = await readJson<RepoMeta>(join(s.repoDir(name), 'repo.json'), `repo ${name}`);
  if (existing) {
    if (o.ifAbsent) return repoInfo(s, existing);
    throw repoExists(name);
  }
  // Built in a temp directory and renamed into place, so a repo is either whole or absent.
  const staging = s.tempFor('repo');
  await mkdir(join(staging, 'commits'), { recursive: true });
  await mkdir(join(staging, 'branches'), { recursive: true });
  const meta: RepoMeta = { name, created: new Date().toISOString(), description: o.description ?? '' };
  await writeFileAtomic(join(staging, 'repo.json'), JSON.stringify(meta), { tempDir: s.tmpDir });
  try {
    await rename(staging, s.repoDir(name));
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      if (o.ifAbsent) return repoInfo(s, await repoMeta(s, name));
      throw repoExists(name);
    }
    throw e;
  }
  await syncDir(s.reposDir);
  return repoInfo(s, meta);
}

export async function listRepos(s: Store): Promise<RepoInfo[]> {
  const out: RepoInfo[] = [];
  for (const name of (await readdirOrEmpty(s.reposDir)).sort()) {
    const meta = await readJson<RepoMeta>(join(s.repoDir(name), 'repo.json'), `repo ${name}`);
    if (meta) out.push(await repoInfo(s, meta));
  }
  return out;
}

export async function deleteRepo(s: Store, name: string): Promise<void> {
  await repoMeta(s, name);
  await s.prepare();
  // Renamed away first so the repo disappears at once, then removed. Blobs stay: other
  // repos may share them.
  const trash = s.tempFor('deleted');
  await rename(s.repoDir(name), trash);
  await syncDir(s.reposDir);
  await rm(trash, { recursive: true, force: true });
}
