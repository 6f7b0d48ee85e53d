import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FsKitError } from './errors.js';
import { tempPathFor } from './temp.js';
import { syncDir, syncFile } from './write.js';

async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(full);
    else if (entry.isFile()) await syncFile(full);
  }
  await syncDir(dir);
}

/** The folder a replaced `dir` points at now, or undefined when it is absent (or a plain folder). */
async function currentVersion(dir: string): Promise<{ kind: 'absent' | 'folder' | 'link'; target?: string }> {
  const st = await lstat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return { kind: 'absent' };
  if (st.isSymbolicLink()) return { kind: 'link', target: await readlink(dir) };
  if (st.isDirectory()) return { kind: 'folder' };
  throw new FsKitError(
    'NOT_A_FOLDER',
    `${dir} exists and is not a folder`,
    'move it away or pick another path',
  );
}

/**
 * A staging folder beside `dir` (a `tempPathFor` name, so `removeStaleTemps` clears what a crash leaves)
 * that `fill` wrote, every file in it fsynced; removed again when `fill` fails.
 */
async function stageDir<T>(
  dir: string,
  fill: (staging: string) => Promise<T>,
): Promise<{ path: string; filled: T }> {
  await mkdir(dirname(dir), { recursive: true });
  const path = tempPathFor(dir);
  await mkdir(path);
  try {
    const filled = await fill(path);
    await syncTree(path);
    return { path, filled };
  } catch (e) {
    await rm(path, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Creates the folder `dir`, which must not exist (or be empty), whole or not at all: `fill` writes into
 * an empty staging folder beside it (a `tempPathFor` name, so `removeStaleTemps` clears what a crash
 * leaves), every file in it is fsynced, and one rename puts it in place. Unlike `replaceDir`, `dir` is a
 * plain folder, not a link. When `fill` or the rename fails, the staging folder is removed.
 */
export async function writeDirAtomic(dir: string, fill: (staging: string) => Promise<void>): Promise<void> {
  const staging = await stageDir(dir, fill);
  try {
    await rename(staging.path, dir);
  } catch (e) {
    await rm(staging.path, { recursive: true, force: true });
    throw e;
  }
  await syncDir(dirname(dir));
}

/**
 * Creates or replaces the plain folder `dir` (never a link, unlike `replaceDir`) with one that `fill`
 * writes, whole or not at all: staged beside it and fsynced as in `writeDirAtomic`. An existing `dir` is
 * moved aside and the new folder renamed in; between those two renames `dir` is absent, which is the price
 * of a real folder (a copy or an image build that must not meet a link). When `fill` fails, `dir` is
 * unchanged. A `dir` that is a link or a file is refused (FsKitError NOT_A_FOLDER). Returns what `fill`
 * returned.
 */
export async function replacePlainDir<T>(dir: string, fill: (staging: string) => Promise<T>): Promise<T> {
  const before = await currentVersion(dir);
  if (before.kind === 'link')
    throw new FsKitError(
      'NOT_A_FOLDER',
      `${dir} is a link (to ${before.target}), not a folder`,
      'remove the link or pick another path',
    );
  const staging = await stageDir(dir, fill);
  const aside = before.kind === 'folder' ? tempPathFor(dir) : undefined;
  if (aside) await rename(dir, aside);
  try {
    await rename(staging.path, dir);
  } catch (e) {
    if (aside) await rename(aside, dir);
    await rm(staging.path, { recursive: true, force: true });
    throw e;
  }
  await syncDir(dirname(dir));
  if (aside) await rm(aside, { recursive: true, force: true });
  return staging.filled;
}

/**
 * Replaces the folder `dir` with one that `fill` writes, whole or not at all, and with no moment where
 * `dir` is missing. `fill` writes into an empty staging folder beside `dir`; every file in it is fsynced;
 * then `dir` — a link to a hidden sibling folder `.<name>@<id>` — is switched to it by one rename, and the
 * previous folder removed. Readers see the old folder or the new one, never none and never a part. When
 * `fill` throws, `dir` is unchanged and the staging folder is removed.
 *
 * A `dir` that is a plain folder from before is moved aside and linked in one rename later, the only
 * moment it is absent; from then on replacements are atomic.
 *
 * Returns the real folder now behind `dir`. Hand that to code that copies the folder: `fs.cp` copies a
 * link as a link unless told `dereference: true`.
 */
export async function replaceDir(dir: string, fill: (staging: string) => Promise<void>): Promise<string> {
  const parent = dirname(dir);
  const staging = await stageDir(dir, fill);
  const versionName = `.${basename(dir)}@${randomBytes(6).toString('hex')}`;
  try {
    await rename(staging.path, join(parent, versionName));
  } catch (e) {
    await rm(staging.path, { recursive: true, force: true });
    throw e;
  }
  const before = await currentVersion(dir);
  const link = tempPathFor(dir);
  // A relative link keeps working when the parent folder is moved or mounted elsewhere.
  await symlink(versionName, link, process.platform === 'win32' ? 'junction' : 'dir');
  let aside: string | undefined;
  if (before.kind === 'folder') {
    aside = tempPathFor(dir);
    await rename(dir, aside);
  }
  await rename(link, dir);
  await syncDir(parent);
  if (aside) await rm(aside, { recursive: true, force: true });
  // Only a folder this function made is removed; a link someone else set up keeps its target.
  const ours = before.target?.startsWith(`.${basename(dir)}@`) && !before.target.includes('/');
  if (before.kind === 'link' && ours && before.target !== versionName)
    await rm(join(parent, before.target as string), { recursive: true, force: true });
  return join(parent, versionName);
}
