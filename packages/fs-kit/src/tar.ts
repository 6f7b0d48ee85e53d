import { mkdir, readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ReadEntry } from 'tar';
import { FsKitError } from './errors.js';

/** An archive in memory, or the path of an archive file; gzip is recognised by content. */
export type TarSource = Uint8Array | string;

const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile']);

async function bytesOf(source: TarSource): Promise<Buffer> {
  return typeof source === 'string'
    ? readFile(source)
    : Buffer.from(source.buffer, source.byteOffset, source.length);
}

const where = (source: TarSource) => (typeof source === 'string' ? source : 'the archive');

/** The entry's path inside the target, or why it may not be extracted. */
function check(entry: ReadEntry): { path: string } | { refused: string } {
  const raw = entry.path.replace(/\\/g, '/');
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { refused: 'an absolute path' };
  const path = posix.normalize(raw).replace(/\/$/, '');
  if (path === '..' || path.startsWith('../')) return { refused: 'a path outside the target folder' };
  if (entry.type === 'Directory') return { path };
  if (REGULAR.has(entry.type)) return { path };
  if (entry.type === 'SymbolicLink' || entry.type === 'Link')
    return { refused: `a ${entry.type === 'Link' ? 'hard' : 'symbolic'} link to ${entry.linkpath ?? '?'}` };
  return { refused: `a ${entry.type} entry` };
}

/** Runs every entry of the archive through `onEntry`; rejects on a damaged archive. */
async function parse(source: TarSource, onEntry: (entry: ReadEntry) => void): Promise<void> {
  const bytes = await bytesOf(source);
  // Loaded when used, so importing fs-kit for a file write stays quick.
  const { Parser } = await import('tar');
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({ strict: true, onReadEntry: onEntry });
    parser.on('error', (e: Error) =>
      reject(
        new FsKitError('TAR_UNREADABLE', `${where(source)} is not a readable tar archive: ${e.message}`),
      ),
    );
    parser.on('end', () => resolve());
    parser.end(bytes);
  });
}

function refuse(source: TarSource, entryPath: string, why: string): FsKitError {
  return new FsKitError(
    'TAR_UNSAFE_ENTRY',
    `${where(source)}: entry "${entryPath}" is ${why}; nothing was extracted`,
    'only plain files and folders inside the target are extracted; rebuild the archive without it',
  );
}

/**
 * Extracts a tar (or .tar.gz) archive into `dest` and returns the files written, as sorted POSIX paths.
 * The archive is checked whole before anything is written: an absolute path, a path escaping `dest`, a
 * link or a device refuses the extraction (FsKitError TAR_UNSAFE_ENTRY), leaving `dest` untouched.
 */
export async function extractTar(source: TarSource, dest: string): Promise<string[]> {
  const files: string[] = [];
  let refused: FsKitError | undefined;
  await parse(source, (entry) => {
    const verdict = check(entry);
    if ('refused' in verdict) refused ??= refuse(source, entry.path, verdict.refused);
    else if (entry.type !== 'Directory') files.push(verdict.path);
    entry.resume();
  });
  if (refused) throw refused;
  const bytes = await bytesOf(source);
  await mkdir(dest, { recursive: true });
  const { Unpack } = await import('tar');
  await new Promise<void>((resolve, reject) => {
    // The same check again at write time, should the archive differ between the two reads.
    const unpack = new Unpack({
      cwd: dest,
      strict: true,
      filter: (_path, entry) => !('refused' in check(entry as ReadEntry)),
    });
    unpack.on('error', reject);
    unpack.on('close', () => resolve());
    unpack.end(bytes);
  });
  return [...new Set(files)].sort();
}

/**
 * Reads the files of an archive that `wanted` selects into memory, keyed by POSIX path; nothing is
 * written to disk. A selected entry that is a link (or anything but a plain file) is refused rather
 * than skipped, so a missing file is never mistaken for an absent one.
 */
export async function readTarFiles(
  source: TarSource,
  wanted: (path: string) => boolean,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let refused: FsKitError | undefined;
  await parse(source, (entry) => {
    const verdict = check(entry);
    const path = 'path' in verdict ? verdict.path : posix.normalize(entry.path);
    if (entry.type === 'Directory' || !wanted(path)) {
      entry.resume();
      return;
    }
    if ('refused' in verdict) {
      refused ??= refuse(source, entry.path, verdict.refused);
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => out.set(path, Buffer.concat(chunks)));
  });
  if (refused) throw refused;
  return out;
}
