import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A temp file name that says which process owns it, so leftovers of dead processes can be removed. */
export function tempName(prefix = 'tmp'): string {
  return `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to a temp file in `tmpDir` and fsyncs it; returns its path. */
export async function writeDurable(tmpDir: string, data: string | Uint8Array): Promise<string> {
  const tmp = join(tmpDir, tempName());
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Replaces `dest` atomically: temp file, fsync, rename, fsync the directory. */
export async function writeAtomic(tmpDir: string, dest: string, data: string | Uint8Array, destDir: string) {
  const tmp = await writeDurable(tmpDir, data);
  try {
    await rename(tmp, dest);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(destDir);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files left by processes that no longer run (a crash mid-put leaves them). */
export async function removeDeadTemps(tmpDir: string): Promise<void> {
  for (const name of await readdirOrEmpty(tmpDir)) {
    const pid = Number(/^[a-z]+-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !alive(pid)) {
      const { rm } = await import('node:fs/promises');
      await rm(join(tmpDir, name), { recursive: true, force: true }).catch(() => {});
    }
  }
}

/** sha256 over the sorted (path, size, hash) list of a commit's files. */
export function contentHashOf(files: Iterable<{ path: string; size: number; hash: string }>): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const h = createHash('sha256');
  for (const f of sorted) h.update(`${f.path}\0${f.size}\0${f.hash}\n`);
  return h.digest('hex');
}
