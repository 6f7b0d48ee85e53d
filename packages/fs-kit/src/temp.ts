import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// `.<name>.<pid>-<8 hex>.tmp`: hidden, beside its target (so a rename never crosses filesystems), and
// naming the process that wrote it, so leftovers of a crash can be told from writes still under way.
const TEMP_NAME = /^\..+\.(\d+)-[0-9a-f]{8}\.tmp$/;

/** A fresh temporary path beside `target`, for a write that is renamed into place when complete. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Whether `name` is a temporary name made by `tempPathFor`, and by which process. */
export function tempWriter(name: string): number | undefined {
  const m = TEMP_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files and folders a crashed write left in `dir` (those whose writing process is
 * gone); writes still under way are left alone. Returns the names removed; a missing `dir` removes nothing.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names.sort()) {
    const pid = tempWriter(name);
    if (pid === undefined || isRunning(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
