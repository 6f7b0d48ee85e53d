import { checkName, parseAddress } from '../address.js';
import type { CommitInfo, FileChange } from '../types.js';
import { branchesOf, commitInfo, readManifest, repoMeta, resolveRef } from './refs.js';
import type { Manifest, Store } from './store.js';

/** Commits of a repo, newest first, walking each branch's parents; only those of `branch` when given. */
export async function listCommits(
  s: Store,
  repo: string,
  o: { branch?: string; limit?: number } = {},
): Promise<CommitInfo[]> {
  await repoMeta(s, repo);
  const branches = o.branch ? [checkName('branch', o.branch)] : await branchesOf(s, repo);
  const seen = new Map<string, Manifest>();
  for (const b of branches) {
    let m: Manifest | undefined = await resolveRef(s, repo, b);
    while (m && !seen.has(m.id)) {
      seen.set(m.id, m);
      m = m.parent ? await readManifest(s, repo, m.parent) : undefined;
    }
  }
  const sorted = [...seen.values()].sort((x, y) =>
    x.finished !== y.finished ? (x.finished < y.finished ? 1 : -1) : y.height - x.height,
  );
  return sorted.slice(0, o.limit ?? sorted.length).map(commitInfo);
}

export async function inspectCommit(s: Store, address: string): Promise<CommitInfo> {
  const a = parseAddress(address, { ref: true });
  return commitInfo(await resolveRef(s, a.repo, a.ref as string));
}

/** Files added, removed or modified from one commit's manifest to the other's. */
export async function diffCommits(s: Store, from: string, to: string): Promise<FileChange[]> {
  const fa = parseAddress(from, { ref: true });
  const ta = parseAddress(to, { ref: true });
  const [old, neu] = [
    await resolveRef(s, fa.repo, fa.ref as string),
    await resolveRef(s, ta.repo, ta.ref as string),
  ];
  const changes: FileChange[] = [];
  const paths = [...new Set([...Object.keys(old.files), ...Object.keys(neu.files)])].sort();
  for (const path of paths) {
    const o1 = old.files[path];
    const n1 = neu.files[path];
    if (!o1 && n1) changes.push({ path, change: 'added', newSizeBytes: n1.size });
    else if (o1 && !n1) changes.push({ path, change: 'removed', oldSizeBytes: o1.size });
    else if (o1 && n1 && o1.blob !== n1.blob) {
      changes.push({ path, change: 'modified', oldSizeBytes: o1.size, newSizeBytes: n1.size });
    }
  }
  return changes;
}
