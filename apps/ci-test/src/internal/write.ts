import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface PendingFile {
  name: string;
  render: () => string | Uint8Array;
}

/**
 * Writes a set of files so that a failure leaves the previous set untouched: every file is rendered,
 * written to a temporary name and fsynced first; only then are they renamed into place, one by one.
 * The directory is never swapped as a whole, so whatever else it holds stays.
 */
export async function writeFilesAtomically(dir: string, files: PendingFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const written: Array<{ temp: string; final: string }> = [];
  try {
    for (const file of files) {
      const temp = join(dir, `.${file.name}.${tag}.tmp`);
      written.push({ temp, final: join(dir, file.name) });
      const content = file.render();
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (e) {
    await Promise.all(written.map((w) => rm(w.temp, { force: true })));
    throw e;
  }
  for (const w of written) await rename(w.temp, w.final);
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the renames durable; some filesystems refuse to fsync a directory, which is fine to ignore.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {}
}
