import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Every regular file under `root` as a sorted POSIX path relative to it; links and other entries are skipped. */
export async function listFiles(root: string): Promise<string[]> {
  return Object.keys(await listFileSizes(root));
}

/** Relative POSIX path → size in bytes, for every regular file under `root`, in sorted path order. */
export async function listFileSizes(root: string): Promise<Record<string, number>> {
  const found: Array<[string, number]> = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile())
        found.push([relative(root, full).split(sep).join('/'), (await stat(full)).size]);
    }
  };
  await walk(root);
  found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(found);
}
