import type { FileChange, FileInfo, RepoInfo } from '../types.js';
import type * as pfs from './messages.js';

// pachd's answers as the DataClient's types.

export const time = (t?: pfs.Timestamp | null) =>
  t ? new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toISOString() : '';
export const stripDir = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p) || '/';

export function toFileInfo(f: pfs.FileInfo, commit: string): FileInfo {
  const dir = f.file_type === 'DIR';
  return {
    path: stripDir(f.file.path),
    type: dir ? 'dir' : 'file',
    sizeBytes: Number(f.size_bytes),
    hash: dir ? '' : Buffer.from(f.hash ?? []).toString('hex'),
    commit: f.file.commit?.id || commit,
  };
}

export function toRepoInfo(r: pfs.RepoInfo): RepoInfo {
  return {
    name: r.repo.name,
    created: time(r.created),
    description: r.description ?? '',
    branches: (r.branches ?? []).map((b) => b.name).sort(),
    sizeBytes: Number(r.details?.size_bytes ?? 0) || Number(r.size_bytes_upper_bound ?? 0),
  };
}

/** DiffFile's answers as file changes (directories left out), sorted by path. */
export function toFileChanges(res: pfs.DiffFileResponse[]): FileChange[] {
  const changes: FileChange[] = [];
  for (const d of res) {
    const n = d.new_file?.file ? d.new_file : undefined;
    const old = d.old_file?.file ? d.old_file : undefined;
    const either = (n ?? old) as pfs.FileInfo;
    if (either.file_type === 'DIR') continue;
    const path = stripDir(either.file.path);
    if (n && !old) changes.push({ path, change: 'added', newSizeBytes: Number(n.size_bytes) });
    else if (old && !n) changes.push({ path, change: 'removed', oldSizeBytes: Number(old.size_bytes) });
    else if (n && old)
      changes.push({
        path,
        change: 'modified',
        oldSizeBytes: Number(old.size_bytes),
        newSizeBytes: Number(n.size_bytes),
      });
  }
  return changes.sort((x, y) => (x.path < y.path ? -1 : 1));
}
