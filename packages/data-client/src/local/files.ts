import { formatAddress, parseAddress } from '../address.js';
import { DataClientError } from '../errors.js';
import { exists } from '../internal/files.js';
import type { FileInfo } from '../types.js';
import { resolveRef } from './refs.js';
import type { Store } from './store.js';

/** The file at the address, or the entries of the directory there (every file under it when recursive). */
export async function listFiles(
  s: Store,
  address: string,
  o: { recursive?: boolean } = {},
): Promise<FileInfo[]> {
  const a = parseAddress(address, { ref: true });
  const ref = a.ref as string;
  const m = await resolveRef(s, a.repo, ref);
  const file = m.files[a.path];
  if (file) return [{ path: a.path, type: 'file', sizeBytes: file.size, hash: file.blob, commit: m.id }];
  const prefix = a.path === '/' ? '/' : `${a.path}/`;
  const under = Object.entries(m.files).filter(([p]) => p.startsWith(prefix));
  if (under.length === 0 && a.path !== '/') {
    throw new DataClientError(
      'FILE_NOT_FOUND',
      `${formatAddress({ ...a, ref })}: no such file or directory`,
      "List the commit's files to see what is there.",
      { at: { repo: a.repo, ref, path: a.path } },
    );
  }
  if (o.recursive) {
    return under.map(([path, f]) => ({
      path,
      type: 'file' as const,
      sizeBytes: f.size,
      hash: f.blob,
      commit: m.id,
    }));
  }
  const children = new Map<string, FileInfo>();
  for (const [path, f] of under) {
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) {
      children.set(path, { path, type: 'file', sizeBytes: f.size, hash: f.blob, commit: m.id });
    } else {
      const dir = `${prefix}${rest.slice(0, slash)}`;
      const d = children.get(dir) ?? {
        path: dir,
        type: 'dir' as const,
        sizeBytes: 0,
        hash: '',
        commit: m.id,
      };
      d.sizeBytes += f.size;
      children.set(dir, d);
    }
  }
  return [...children.values()].sort((x, y) => (x.path < y.path ? -1 : 1));
}

/** The blob holding the file at `repo@ref:/path`: the store's own copy, to be read and never written. */
export async function localPath(s: Store, address: string): Promise<string> {
  const a = parseAddress(address, { ref: true, path: true });
  const ref = a.ref as string;
  const m = await resolveRef(s, a.repo, ref);
  const file = m.files[a.path];
  if (!file) {
    const at = { repo: a.repo, ref, path: a.path };
    const isDir = Object.keys(m.files).some((p) => p.startsWith(`${a.path === '/' ? '' : a.path}/`));
    if (isDir)
      throw new DataClientError('NOT_A_FILE', `${address} is a directory`, 'List what it holds instead.', {
        at,
      });
    throw new DataClientError(
      'FILE_NOT_FOUND',
      `${address}: no such file`,
      "List the commit's files to see what is there.",
      { at },
    );
  }
  const p = s.blobPath(file.blob);
  if (!(await exists(p)))
    throw new DataClientError(
      'STORE_CORRUPT',
      `${address}: its content (blob ${file.blob}) is missing from ${s.blobsDir}`,
    );
  return p;
}
