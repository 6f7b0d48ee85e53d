import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathFor } from '@fmnist/fs-kit';
import { DataClientError } from '../errors.js';

/** A commit as stored: an immutable manifest naming each file's blob. */
export interface Manifest {
  version: 1;
  repo: string;
  id: string;
  parent: string | null;
  branch: string | null;
  /** Commits since the branch's first one; orders commits finished in the same millisecond. */
  height: number;
  finished: string;
  description: string;
  files: Record<string, { blob: string; size: number }>;
  sizeBytes: number;
  fileCount: number;
  contentHash: string;
}

export interface RepoMeta {
  name: string;
  created: string;
  description: string;
}

/**
 * Where things are in the embedded store. Layout under `root`:
 *   blobs/ab/<sha256>                   file contents, stored once however many commits use them
 *   repos/<repo>/repo.json
 *   repos/<repo>/commits/<id>.json      immutable manifests
 *   repos/<repo>/branches/<b>/<n>.json  the branch's n-th head; the highest n is the current head
 *   tmp/                                temp files, named after the process that writes them
 */
export interface Store {
  root: string;
  tmpDir: string;
  blobsDir: string;
  reposDir: string;
  repoDir(repo: string): string;
  blobPath(hash: string): string;
  /** A fresh temp path in tmp/: one sweep there clears what a crashed writer left. */
  tempFor(what: string): string;
  /** Creates the store's folders once, before the first write. */
  prepare(): Promise<void>;
}

export function openStore(root: string): Store {
  const tmpDir = join(root, 'tmp');
  const blobsDir = join(root, 'blobs');
  const reposDir = join(root, 'repos');
  let prepared: Promise<void> | undefined;
  return {
    root,
    tmpDir,
    blobsDir,
    reposDir,
    repoDir: (repo) => join(reposDir, repo),
    blobPath: (hash) => join(blobsDir, hash.slice(0, 2), hash),
    tempFor: (what) => tempPathFor(join(tmpDir, what)),
    prepare() {
      prepared ??= (async () => {
        await mkdir(tmpDir, { recursive: true });
        await mkdir(reposDir, { recursive: true });
        await mkdir(blobsDir, { recursive: true });
      })();
      return prepared;
    },
  };
}

/** The parsed JSON at `path`, or undefined when there is no such file. */
export async function readJson<T>(path: string, what: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new DataClientError('STORE_CORRUPT', `${what} at ${path} is not valid JSON`);
  }
}
