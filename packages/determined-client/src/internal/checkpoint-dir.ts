import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listFileSizes, writeDirAtomic } from '@fmnist/fs-kit';

/**
 * Stores the files of `src` (links skipped) as the checkpoint folder `dest`, which either does not exist
 * or is complete; returns relative path → size, the checkpoint's `resources`.
 */
export async function copyCheckpointDir(src: string, dest: string): Promise<Record<string, number>> {
  const files = await listFileSizes(src);
  await writeDirAtomic(dest, async (staging) => {
    for (const rel of Object.keys(files)) {
      const to = join(staging, rel);
      await mkdir(dirname(to), { recursive: true });
      await copyFile(join(src, rel), to);
    }
  });
  return files;
}
