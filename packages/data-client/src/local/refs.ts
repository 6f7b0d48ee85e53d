import { link, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileDurable } from '@fmnist/fs-kit';
import { checkName, isCommitId } from '../address.js';
import { DataClientError } from '../errors.js';
import { exists, readdirOrEmpty } from '../internal/files.js';
import type { CommitInfo, RepoInfo } from '../types.js';
import { type Manifest, type RepoMeta, readJson, type Store } from './store.js';

const HEAD_FILE = /^(\d{12})\.json$/;
const headFile = (seq: number) => `${String(seq).padStart(12, '0')}.json`;

export async function repoMeta(s: Store, repo: string): Promise<RepoMeta> {
  checkName('repo', repo);
  const meta = await readJson<RepoMeta>(join(s.repoDir(repo), 'repo.json'), `repo ${repo}`);
  if (!meta) {
    throw new DataClientError(
      'REPO_NOT_FOUND',
      `repo "${repo}" not found in ${s.root}`,
      'Create the repo first.',
      {
        at: { repo },
      },
    );
  }
  return meta;
}

export async function readHead(
  s: Store,
  repo: string,
  branch: string,
): Promise<{ seq: number; id: string } | undefined> {
  const dir = join(s.repoDir(repo), 'branches', branch);
  let best = -1;
  for (const name of await readdirOrEmpty(dir)) {
    const n = Number(HEAD_FILE.exec(name)?.[1] ?? -1);
    if (n > best) best = n;
  }
  if (best < 0) return undefined;
  const head = await readJson<{ head: string }>(join(dir, headFile(best)), 'branch head');
  if (!head) return readHead(s, repo, branch);
  return { seq: best, id: head.head };
}

export async function branchesOf(s: Store, repo: string): Promise<string[]> {
  const out: string[] = [];
  for (const b of await readdirOrEmpty(join(s.repoDir(repo), 'branches'))) {
    if (await readHead(s, repo, b)) out.push(b);
  }
  return out.sort();
}

export async function readManifest(s: Store, repo: string, id: string): Promise<Manifest | undefined> {
  if (!isCommitId(id)) return undefined;
  return readJson<Manifest>(join(s.repoDir(repo), 'commits', `${id}.json`), `commit ${id}`);
}

/** A branch name or a commit id to its manifest. */
export async function resolveRef(s: Store, repo: string, ref: string): Promise<Manifest> {
  await repoMeta(s, repo);
  const head =
    isCommitId(ref) && !(await exists(join(s.repoDir(repo), 'branches', ref)))
      ? undefined
      : await readHead(s, repo, ref);
  const id = head?.id ?? (isCommitId(ref) ? ref : undefined);
  const manifest = id ? await readManifest(s, repo, id) : undefined;
  if (manifest) return manifest;
  if (head)
    throw new DataClientError(
      'STORE_CORRUPT',
      `branch ${repo}@${ref} points at commit ${head.id}, which is missing`,
    );
  if (isCommitId(ref)) {
    throw new DataClientError(
      'COMMIT_NOT_FOUND',
      `commit ${ref} not found in repo "${repo}"`,
      "List the repo's commits to find the one you mean.",
      { at: { repo, ref } },
    );
  }
  const branches = await branchesOf(s, repo);
  throw new DataClientError(
    'BRANCH_NOT_FOUND',
    `branch "${ref}" not found in repo "${repo}"`,
    branches.length
      ? `Branches: ${branches.join(', ')}.`
      : 'The repo has no commits yet: put files on the branch to start it.',
    { at: { repo, ref } },
  );
}

/** Moves the branch from `expected` (undefined: no head yet) to `id`; false when another writer got there first. */
export async function moveHead(
  s: Store,
  repo: string,
  branch: string,
  expected: { seq: number } | undefined,
  id: string,
): Promise<boolean> {
  const dir = join(s.repoDir(repo), 'branches', branch);
  await mkdir(dir, { recursive: true });
  const next = join(dir, headFile((expected?.seq ?? -1) + 1));
  const tmp = s.tempFor('head');
  await writeFileDurable(tmp, JSON.stringify({ head: id, time: new Date().toISOString() }));
  try {
    await link(tmp, next);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  await syncDir(dir);
  return true;
}

export function commitInfo(m: Manifest): CommitInfo {
  return {
    repo: m.repo,
    id: m.id,
    parent: m.parent,
    branch: m.branch,
    finished: m.finished,
    description: m.description,
    sizeBytes: m.sizeBytes,
    fileCount: m.fileCount,
    contentHash: m.contentHash,
  };
}

export async function repoInfo(s: Store, meta: RepoMeta): Promise<RepoInfo> {
  const branches = await branchesOf(s, meta.name);
  const heads = new Map<string, number>();
  for (const b of branches) {
    const m = await resolveRef(s, meta.name, b);
    heads.set(m.id, m.sizeBytes);
  }
  return { ...meta, branches, sizeBytes: [...heads.values()].reduce((a, b) => a + b, 0) };
}
