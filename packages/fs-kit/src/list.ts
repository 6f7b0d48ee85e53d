import { access, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface ListOptions {
  /** Follow symbolic links: a link to a file counts as that file, a link to a folder is walked. Default: skip links. */
  followLinks?: boolean;
}

/** Every regular file under `root` as a sorted POSIX path relative to it; links and other entries are skipped. */
export async function listFiles(root: string, opts: ListOptions = {}): Promise<string[]> {
  return Object.keys(await listFileSizes(root, opts));
}

/** Relative POSIX path → size in bytes, for every regular file under `root`, in sorted path order. */
export async function listFileSizes(root: string, opts: ListOptions = {}): Promise<Record<string, number>> {
  const found: Array<[string, number]> = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const target = entry.isSymbolicLink() && opts.followLinks ? await stat(full) : entry;
      if (target.isDirectory()) await walk(full);
      else if (target.isFile())
        found.push([relative(root, full).split(sep).join('/'), (await stat(full)).size]);
    }
  };
  await walk(root);
  found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(found);
}

/** Whether anything (a file, a folder, a link's target) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
