import { AddressError, DataClientError } from './errors.js';

/** A parsed `repo@ref:/path`. `ref` is a branch name or a commit id; `path` is absolute and normalised. */
export interface Address {
  repo: string;
  ref?: string;
  path: string;
}

const NAME = /^[A-Za-z0-9_-]+$/;
const COMMIT_ID = /^[0-9a-f]{32}$/;
const FORM = 'REPO@BRANCH:/PATH or REPO@COMMIT:/PATH, e.g. fmnist-train-raw@master:/';

/** True for the 32 hex digits that name a commit. */
export function isCommitId(ref: string): boolean {
  return COMMIT_ID.test(ref);
}

/** Checks a repo or branch name (letters, digits, `_` and `-`, like Pachyderm). */
export function checkName(kind: 'repo' | 'branch', name: string, input = name): string {
  if (!NAME.test(name)) {
    throw new AddressError(
      'BAD_ADDRESS',
      `"${input}": ${kind} name "${name}" may only use letters, digits, "_" and "-"`,
      `Addresses look like ${FORM}.`,
    );
  }
  return name;
}

/**
 * Turns a path inside a repo into `/a/b` form. Paths never leave the repo: `..` and `.` segments
 * are refused rather than resolved, so a typo cannot write somewhere unexpected.
 */
export function normalizeRepoPath(path: string, input = path): string {
  if (path.includes('\0')) throw new AddressError('BAD_PATH', `"${input}": a path may not contain NUL`);
  const parts = path.split('/').filter((p) => p !== '');
  for (const part of parts) {
    if (part === '..' || part === '.') {
      throw new AddressError(
        'BAD_PATH',
        `"${input}": "${part}" is not allowed in a repo path`,
        'Give the path from the repo root, e.g. /images/train.gz.',
      );
    }
  }
  return `/${parts.join('/')}`;
}

/** Joins a file name relative to a destination directory, refusing names that would escape it. */
export function joinRepoPath(dir: string, name: string): string {
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) {
    throw new AddressError(
      'BAD_PATH',
      `"${name}": file names put into a repo are relative to the destination path, not absolute`,
    );
  }
  const rel = normalizeRepoPath(name);
  if (rel === '/') throw new AddressError('BAD_PATH', `"${name}": a file needs a name`);
  return dir === '/' ? rel : `${dir}${rel}`;
}

/**
 * Parses `repo`, `repo@ref` or `repo@ref:/path` (the path may omit its leading `/`).
 * `need` says which parts must be present.
 */
export function parseAddress(input: string, need: { ref?: boolean; path?: boolean } = {}): Address {
  const m = /^([^@:]*)(?:@([^:]*))?(?::(.*))?$/s.exec(input.trim());
  if (!m?.[1]) {
    throw new AddressError('BAD_ADDRESS', `"${input}" is not a repo address`, `Addresses look like ${FORM}.`);
  }
  const repo = checkName('repo', m[1], input);
  const ref = m[2];
  if (ref !== undefined && ref === '') {
    throw new AddressError(
      'BAD_ADDRESS',
      `"${input}": the branch or commit after "@" is empty`,
      `Addresses look like ${FORM}.`,
    );
  }
  if (ref !== undefined && !isCommitId(ref)) checkName('branch', ref, input);
  if (need.ref && ref === undefined) {
    throw new AddressError(
      'BAD_ADDRESS',
      `"${input}" needs a branch or commit: ${repo}@master`,
      `Addresses look like ${FORM}.`,
    );
  }
  if (m[3] !== undefined && ref === undefined) {
    throw new AddressError(
      'BAD_ADDRESS',
      `"${input}": a path needs a branch or commit before it`,
      `Addresses look like ${FORM}.`,
    );
  }
  if (need.path && m[3] === undefined) {
    throw new AddressError(
      'BAD_ADDRESS',
      `"${input}" needs a path: ${repo}@${ref ?? 'master'}:/`,
      `Addresses look like ${FORM}.`,
    );
  }
  const path = normalizeRepoPath(m[3] ?? '/', input);
  return ref === undefined ? { repo, path } : { repo, ref, path };
}

export function formatAddress(a: Address): string {
  return `${a.repo}${a.ref ? `@${a.ref}` : ''}${a.path !== '/' ? `:${a.path}` : ''}`;
}

/** Where a put goes: files are put on a branch, never on a commit. */
export function parsePutTarget(address: string): Address & { ref: string } {
  const a = parseAddress(address, { ref: true });
  const branch = a.ref as string;
  if (isCommitId(branch)) {
    throw new DataClientError(
      'BAD_ADDRESS',
      `"${address}": files are put on a branch, not on commit ${branch}`,
      `e.g. ${a.repo}@master:${a.path}`,
    );
  }
  return { ...a, ref: branch };
}
