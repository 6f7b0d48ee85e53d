import type { Readable } from 'node:stream';

/** A repository of versioned files. */
export interface RepoInfo {
  name: string;
  /** ISO 8601 time the repo was created. */
  created: string;
  description: string;
  /** Branch names, sorted. */
  branches: string[];
  /** Bytes in the heads of its branches (an upper bound where the backend only knows that). */
  sizeBytes: number;
}

/** One immutable snapshot of a repo's files. */
export interface CommitInfo {
  repo: string;
  id: string;
  /** The commit this one was built on; null for a branch's first commit. */
  parent: string | null;
  /** The branch the commit was made on. */
  branch: string | null;
  /** ISO 8601 time the commit was finished. */
  finished: string;
  description: string;
  sizeBytes: number;
  fileCount: number;
  /**
   * sha256 over the sorted (path, size, file hash) list: equal for two commits with equal files.
   * Comparable between commits of one backend.
   */
  contentHash: string;
}

export interface FileInfo {
  /** Absolute path inside the repo, e.g. `/train-images-idx3-ubyte.gz`. */
  path: string;
  type: 'file' | 'dir';
  sizeBytes: number;
  /** Hex hash of the file's content (sha256 in the embedded store); empty for directories. */
  hash: string;
  /** The commit the listing was read from. */
  commit: string;
}

export interface FileChange {
  path: string;
  change: 'added' | 'removed' | 'modified';
  oldSizeBytes?: number;
  newSizeBytes?: number;
}

/**
 * What to put: a local directory (all its files, recursively, keeping their relative paths, under
 * the subdirectory `name` when given), one local file (kept under its base name unless `name` is
 * given), or bytes from a stream under `name`. Names are relative to the put's path.
 */
export type PutSource =
  | { dir: string; name?: string }
  | { file: string; name?: string }
  | { name: string; content: Readable | AsyncIterable<Uint8Array> | Uint8Array | string };

export interface PutProgress {
  /** Path in the repo of the file being stored. */
  path: string;
  bytesDone: number;
  /** Total bytes of local files, when known up front. */
  bytesTotal?: number;
  filesDone: number;
  filesTotal: number;
}

export interface PutOptions {
  description?: string;
  /** When the files would leave the branch's content exactly as it is, make no commit. */
  skipIfUnchanged?: boolean;
  onProgress?: (p: PutProgress) => void;
}

export interface PutResult {
  commit: CommitInfo;
  /** False when `skipIfUnchanged` found nothing to change and `commit` is the existing head. */
  created: boolean;
  files: number;
  bytes: number;
  /** Blobs the store did not have before (always 0 when nothing was created). */
  newBlobs: number;
}

/**
 * Repos, branches, commits and files. Addresses are `repo@branch:/path` or `repo@commit:/path`
 * (see parseAddress); a put makes exactly one commit or none.
 */
export interface DataClient {
  /** `local` (the embedded store) or `pachyderm`. */
  readonly backend: 'local' | 'pachyderm';
  /** Where the data lives: a directory or a pachd address. */
  readonly location: string;

  createRepo(name: string, opts?: { description?: string; ifAbsent?: boolean }): Promise<RepoInfo>;
  inspectRepo(name: string): Promise<RepoInfo>;
  listRepos(): Promise<RepoInfo[]>;
  deleteRepo(name: string): Promise<void>;

  /** Puts the sources at the address's path on its branch, in one atomic commit. */
  putFiles(address: string, sources: PutSource | PutSource[], opts?: PutOptions): Promise<PutResult>;
  /** The entries of a directory (or the one file) at `repo@ref:/path`; `recursive` lists every file below. */
  listFiles(address: string, opts?: { recursive?: boolean }): Promise<FileInfo[]>;
  /** The content of one file. */
  getFile(address: string): Promise<Readable>;

  /** Commits of a repo, newest first; only those reachable from `branch` when given. */
  listCommits(repo: string, opts?: { branch?: string; limit?: number }): Promise<CommitInfo[]>;
  /** `repo@branch` (its head) or `repo@commit`. */
  inspectCommit(address: string): Promise<CommitInfo>;
  /** Files added, removed or modified going from `from` to `to` (both `repo@ref`). */
  diffCommits(from: string, to: string): Promise<FileChange[]>;

  /**
   * A read-only local path holding the file's bytes, when the backend keeps them on this disk;
   * undefined otherwise (use getFile).
   */
  localPath(address: string): Promise<string | undefined>;

  close(): Promise<void>;
}
