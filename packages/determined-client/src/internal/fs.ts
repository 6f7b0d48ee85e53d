import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

/** Relative path (with `/`) → size, for every file under `dir`. */
export async function listFiles(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  async function walk(d: string) {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out[relative(dir, p).split(sep).join('/')] = (await stat(p)).size;
    }
  }
  await walk(dir);
  return out;
}

async function fsyncPath(path: string) {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Copies `src` to `dest` so that `dest` either does not exist or is complete: files go to a temp
 * directory next to it, are fsynced, and the directory is renamed into place.
 */
export async function copyDirAtomic(src: string, dest: string): Promise<Record<string, number>> {
  const files = await listFiles(src);
  const tmp = join(dirname(dest), `.partial-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    for (const rel of Object.keys(files)) {
      const to = join(tmp, rel);
      await mkdir(dirname(to), { recursive: true });
      await copyFile(join(src, rel), to);
      await fsyncPath(to);
    }
    await rename(tmp, dest);
    await fsyncPath(dirname(dest)).catch(() => {});
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return files;
}
