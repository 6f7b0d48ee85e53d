import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tempPathFor } from './temp.js';

export type FileContent = string | Uint8Array;

/** Flushes a folder's entries (new names, renames) to disk; filesystems that cannot fsync a folder are skipped. */
export async function syncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    // EISDIR/EINVAL/EPERM: the platform (Windows, some network filesystems) refuses; nothing more to do.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
  } finally {
    await handle?.close();
  }
}

async function writeSynced(path: string, content: FileContent, mode?: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file whole or not at all: a temporary file beside it, fsynced, renamed over it, and the folder
 * fsynced so the rename survives a crash. Readers see the old content or the new, never a part. The
 * parent folder is created when missing; a failed write leaves no temporary file behind.
 */
export async function writeFileAtomic(
  file: string,
  content: FileContent,
  opts: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = tempPathFor(file);
  try {
    await writeSynced(temp, content, opts.mode);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncDir(dir);
}

/** A file of a set written together; `render` runs before anything is renamed, so it may throw safely. */
export interface PendingFile {
  name: string;
  render: () => FileContent;
}

/**
 * Writes a set of files into `dir` so that a failure (rendering or writing any of them) leaves the
 * previous set untouched: every file is rendered, written to a temporary name and fsynced first; only
 * then are they renamed into place. The folder is not swapped as a whole, so whatever else it holds stays.
 */
export async function writeFilesAtomic(dir: string, files: PendingFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const written: Array<{ temp: string; final: string }> = [];
  try {
    for (const file of files) {
      const final = join(dir, file.name);
      const temp = tempPathFor(final);
      written.push({ temp, final });
      await writeSynced(temp, file.render());
    }
  } catch (e) {
    await Promise.all(written.map((w) => rm(w.temp, { force: true })));
    throw e;
  }
  for (const w of written) await rename(w.temp, w.final);
  await syncDir(dir);
}
