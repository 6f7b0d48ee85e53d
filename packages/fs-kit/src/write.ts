import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tempPathFor } from './temp.js';

export type FileContent = string | Uint8Array;
/** Content of one file: whole, or as chunks (a stream) so a large file is never held in memory. */
export type FileSource = FileContent | AsyncIterable<Uint8Array>;

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

/** Flushes a file's content to disk. */
export async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `file`, which must not exist, with `content` and fsyncs it; nothing is renamed and the folder is
 * not fsynced. The building block for writes that place the file themselves (a hard link that fails when
 * the name is taken, a name known only once the content is hashed). A failed write removes the file.
 */
export async function writeFileDurable(
  file: string,
  content: FileSource,
  opts: { mode?: number } = {},
): Promise<void> {
  const handle = await open(file, 'wx', opts.mode);
  try {
    if (typeof content === 'string' || content instanceof Uint8Array) await handle.writeFile(content);
    else for await (const chunk of content) await handle.write(chunk);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await rm(file, { force: true });
    throw e;
  }
  await handle.close();
}

/**
 * Writes a file whole or not at all: a temporary file beside it, fsynced, renamed over it, and the folder
 * fsynced so the rename survives a crash. Readers see the old content or the new, never a part. The
 * parent folder is created when missing; a failed write leaves no temporary file behind.
 *
 * `tempDir` puts the temporary file in a folder of its own (on the same filesystem) instead of beside
 * the file, so that one `removeStaleTemps(tempDir)` clears what crashed writes left anywhere.
 */
export async function writeFileAtomic(
  file: string,
  content: FileSource,
  opts: { mode?: number; tempDir?: string } = {},
): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = opts.tempDir ? tempPathFor(join(opts.tempDir, basename(file))) : tempPathFor(file);
  try {
    await writeFileDurable(temp, content, { mode: opts.mode });
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
      await writeFileDurable(temp, file.render());
    }
  } catch (e) {
    await Promise.all(written.map((w) => rm(w.temp, { force: true })));
    throw e;
  }
  for (const w of written) await rename(w.temp, w.final);
  await syncDir(dir);
}
