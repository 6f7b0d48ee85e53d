import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import {
  removeStaleTemps,
  syncDir,
  syncFile,
  tempPathFor,
  writeFileAtomic,
  writeFileDurable,
} from '@fmnist/fs-kit';
import { checkName, formatAddress, isCommitId, parseAddress, parsePutTarget } from './address.js';
import { DataClientError } from './errors.js';
import { contentHashOf, exists, readdirOrEmpty } from './internal/files.js';
import { expandSources, type PutEntry, readEntry } from './internal/sources.js';
import type {
  CommitInfo,
  DataClient,
  FileChange,
  FileInfo,
  PutOptions,
  PutResult,
  PutSource,
  RepoInfo,
} from './types.js';

export interface LocalDataClientOptions {
  /** The fmnist home; the store lives in `<home>/pfs`. */
  home?: string;
  /** The store directory itself (instead of `home`). */
  dir?: string;
}

/** A commit as stored: an immutable manifest naming each file's blob. */
interface Manifest {
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

interface RepoMeta {
  name: string;
  created: string;
  description: string;
}

const HEAD_FILE = /^(\d{12})\.json$/;

/**
 * The embedded store. Layout under `dir`:
 *   blobs/ab/<sha256>                   file contents, stored once however many commits use them
 *   repos/<repo>/repo.json
 *   repos/<repo>/commits/<id>.json      immutable manifests
 *   repos/<repo>/branches/<b>/<n>.json  the branch's n-th head; the highest n is the current head
 *   tmp/                                temp files, named after the process that writes them
 * A branch head moves by hard-linking a fully written, fsynced temp file to the next number:
 * unlike rename, link fails when that number exists, so two writers racing for one branch
 * cannot both win; the loser rebuilds its commit on the new head and tries again.
 */
export function createLocalDataClient(opts: LocalDataClientOptions): DataClient {
  if (!opts.dir && !opts.home) {
    throw new DataClientError('BAD_OPTIONS', 'createLocalDataClient needs { home } or { dir }');
  }
  const root = resolve(opts.dir ?? join(opts.home as string, 'pfs'));
  const tmpDir = join(root, 'tmp');
  const blobsDir = join(root, 'blobs');
  const repoDir = (repo: string) => join(root, 'repos', repo);
  const blobPath = (hash: string) => join(blobsDir, hash.slice(0, 2), hash);
  // Every temp file and folder lives in tmp/, so one sweep there clears what a crashed writer left.
  const tempFor = (what: string) => tempPathFor(join(tmpDir, what));
  let prepared: Promise<void> | undefined;

  const prepare = () => {
    prepared ??= (async () => {
      await mkdir(tmpDir, { recursive: true });
      await mkdir(join(root, 'repos'), { recursive: true });
      await mkdir(blobsDir, { recursive: true });
    })();
    return prepared;
  };

  async function readJson<T>(path: string, what: string): Promise<T | undefined> {
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

  async function repoMeta(repo: string): Promise<RepoMeta> {
    checkName('repo', repo);
    const meta = await readJson<RepoMeta>(join(repoDir(repo), 'repo.json'), `repo ${repo}`);
    if (!meta) {
      throw new DataClientError(
        'REPO_NOT_FOUND',
        `repo "${repo}" not found in ${root}`,
        `Create it with: fmnist repo create ${repo}`,
      );
    }
    return meta;
  }

  async function readHead(repo: string, branch: string): Promise<{ seq: number; id: string } | undefined> {
    const dir = join(repoDir(repo), 'branches', branch);
    let best = -1;
    for (const name of await readdirOrEmpty(dir)) {
      const n = Number(HEAD_FILE.exec(name)?.[1] ?? -1);
      if (n > best) best = n;
    }
    if (best < 0) return undefined;
    const head = await readJson<{ head: string }>(
      join(dir, `${String(best).padStart(12, '0')}.json`),
      'branch head',
    );
    if (!head) return readHead(repo, branch);
    return { seq: best, id: head.head };
  }

  async function branchesOf(repo: string): Promise<string[]> {
    const out: string[] = [];
    for (const b of await readdirOrEmpty(join(repoDir(repo), 'branches'))) {
      if (await readHead(repo, b)) out.push(b);
    }
    return out.sort();
  }

  async function readManifest(repo: string, id: string): Promise<Manifest | undefined> {
    if (!isCommitId(id)) return undefined;
    return readJson<Manifest>(join(repoDir(repo), 'commits', `${id}.json`), `commit ${id}`);
  }

  /** A branch name or a commit id to its manifest. */
  async function resolveRef(repo: string, ref: string): Promise<Manifest> {
    await repoMeta(repo);
    const head =
      isCommitId(ref) && !(await exists(join(repoDir(repo), 'branches', ref)))
        ? undefined
        : await readHead(repo, ref);
    const id = head?.id ?? (isCommitId(ref) ? ref : undefined);
    const manifest = id ? await readManifest(repo, id) : undefined;
    if (manifest) return manifest;
    if (head)
      throw new DataClientError(
        'STORE_CORRUPT',
        `branch ${repo}@${ref} points at commit ${head.id}, which is missing`,
      );
    if (isCommitId(ref)) {
      throw new DataClientError(
        'COMMIT_NOT_FOUND',
        `commit ${ref} not found in repo "${repo}"`,
        `List commits with: fmnist list commit ${repo}`,
      );
    }
    const branches = await branchesOf(repo);
    throw new DataClientError(
      'BRANCH_NOT_FOUND',
      `branch "${ref}" not found in repo "${repo}"`,
      branches.length
        ? `Branches: ${branches.join(', ')}.`
        : `The repo has no commits yet: fmnist put file -r ${repo}@${ref}:/ -f DIR`,
    );
  }

  function info(m: Manifest): CommitInfo {
    return {
      repo: m.repo,
      id: m.id,
      parent: m.parent,
      branch: m.branch,
      finished: m.finished,
      description: m.description,
      sizeBytes: m.sizeBytes,
      fileCount: m.fileCount,
      contentHash: m.contentHash,
    };
  }

  async function repoInfo(meta: RepoMeta): Promise<RepoInfo> {
    const branches = await branchesOf(meta.name);
    const heads = new Map<string, number>();
    for (const b of branches) {
      const m = await resolveRef(meta.name, b);
      heads.set(m.id, m.sizeBytes);
    }
    return { ...meta, branches, sizeBytes: [...heads.values()].reduce((a, b) => a + b, 0) };
  }

  /** Stores one entry's bytes as a blob; identical content is written once. */
  async function storeEntry(
    entry: PutEntry,
    onBytes: (n: number) => void,
  ): Promise<{ hash: string; size: number; isNew: boolean }> {
    if (entry.file !== undefined) {
      // Hash first: content the store already has costs one read and no write.
      const h = createHash('sha256');
      let size = 0;
      for await (const chunk of readEntry(entry)) {
        h.update(chunk);
        size += chunk.length;
        onBytes(chunk.length);
      }
      const hash = h.digest('hex');
      if (await exists(blobPath(hash))) return { hash, size, isNew: false };
      // New content: a kernel-side copy, then the copy itself is hashed, so a blob always holds
      // exactly the bytes its name says even if the source changed after the first read.
      const tmp = tempFor('blob');
      try {
        await copyFile(entry.file, tmp);
        const check = createHash('sha256');
        for await (const chunk of createReadStream(tmp, { highWaterMark: 1 << 20 })) check.update(chunk);
        if (check.digest('hex') !== hash) {
          throw new DataClientError(
            'SOURCE_CHANGED',
            `${entry.file} changed while it was being put`,
            'Nothing was committed; put it again once it is no longer being written.',
          );
        }
        await syncFile(tmp);
      } catch (e) {
        await unlink(tmp).catch(() => {});
        throw (e as NodeJS.ErrnoException).code === 'ENOENT' && !(e instanceof DataClientError)
          ? new DataClientError(
              'SOURCE_NOT_FOUND',
              `${entry.file} disappeared while it was being put`,
              'Nothing was committed.',
            )
          : e;
      }
      return placeBlob(tmp, hash, size);
    }
    return writeBlob(entry, onBytes);
  }

  /** Streams an entry into a temp file, hashing as it goes: its blob name is known only at the end. */
  async function writeBlob(entry: PutEntry, onBytes: (n: number) => void) {
    const tmp = tempFor('blob');
    const h = createHash('sha256');
    let size = 0;
    async function* hashed() {
      for await (const chunk of readEntry(entry)) {
        h.update(chunk);
        size += chunk.length;
        yield chunk;
        onBytes(chunk.length);
      }
    }
    await writeFileDurable(tmp, hashed());
    return placeBlob(tmp, h.digest('hex'), size);
  }

  async function placeBlob(tmp: string, hash: string, size: number) {
    const dest = blobPath(hash);
    if (await exists(dest)) {
      await unlink(tmp);
      return { hash, size, isNew: false };
    }
    await mkdir(join(blobsDir, hash.slice(0, 2)), { recursive: true });
    await rename(tmp, dest);
    return { hash, size, isNew: true };
  }

  /** Moves the branch from `expected` (undefined: no head yet) to `id`; false when another writer got there first. */
  async function moveHead(
    repo: string,
    branch: string,
    expected: { seq: number } | undefined,
    id: string,
  ): Promise<boolean> {
    const dir = join(repoDir(repo), 'branches', branch);
    await mkdir(dir, { recursive: true });
    const next = join(dir, `${String((expected?.seq ?? -1) + 1).padStart(12, '0')}.json`);
    const tmp = tempFor('head');
    await writeFileDurable(tmp, JSON.stringify({ head: id, time: new Date().toISOString() }));
    try {
      await link(tmp, next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await unlink(tmp).catch(() => {});
    }
    await syncDir(dir);
    return true;
  }

  const client: DataClient = {
    backend: 'local',
    location: root,

    async createRepo(name, o = {}) {
      checkName('repo', name);
      await prepare();
      const existing = await readJson<RepoMeta>(join(repoDir(name), 'repo.json'), `repo ${name}`);
      if (existing) {
        if (o.ifAbsent) return repoInfo(existing);
        throw new DataClientError('REPO_EXISTS', `repo "${name}" already exists`);
      }
      // Built in a temp directory and renamed into place, so a repo is either whole or absent.
      const staging = tempFor('repo');
      await mkdir(join(staging, 'commits'), { recursive: true });
      await mkdir(join(staging, 'branches'), { recursive: true });
      const meta: RepoMeta = { name, created: new Date().toISOString(), description: o.description ?? '' };
      await writeFileAtomic(join(staging, 'repo.json'), JSON.stringify(meta), { tempDir: tmpDir });
      try {
        await rename(staging, repoDir(name));
      } catch (e) {
        await rm(staging, { recursive: true, force: true });
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          if (o.ifAbsent) return repoInfo(await repoMeta(name));
          throw new DataClientError('REPO_EXISTS', `repo "${name}" already exists`);
        }
        throw e;
      }
      await syncDir(join(root, 'repos'));
      return repoInfo(meta);
    },

    async inspectRepo(name) {
      return repoInfo(await repoMeta(name));
    },

    async listRepos() {
      const out: RepoInfo[] = [];
      for (const name of (await readdirOrEmpty(join(root, 'repos'))).sort()) {
        const meta = await readJson<RepoMeta>(join(repoDir(name), 'repo.json'), `repo ${name}`);
        if (meta) out.push(await repoInfo(meta));
      }
      return out;
    },

    async deleteRepo(name) {
      await repoMeta(name);
      await prepare();
      // Renamed away first so the repo disappears at once, then removed. Blobs stay: other
      // repos may share them.
      const trash = tempFor('deleted');
      await rename(repoDir(name), trash);
      await syncDir(join(root, 'repos'));
      await rm(trash, { recursive: true, force: true });
    },

    async putFiles(
      address: string,
      sources: PutSource | PutSource[],
      o: PutOptions = {},
    ): Promise<PutResult> {
      const a = parsePutTarget(address);
      const branch = a.ref;
      await repoMeta(a.repo);
      await prepare();
      await removeStaleTemps(tmpDir);
      const entries = await expandSources(a.path, sources);
      const bytesTotal = entries.every((e) => e.size !== undefined)
        ? entries.reduce((s, e) => s + (e.size ?? 0), 0)
        : undefined;
      let bytesDone = 0;
      let newBlobs = 0;
      const stored = new Map<string, { blob: string; size: number }>();
      const touched = new Set<string>();
      for (const [i, entry] of entries.entries()) {
        const r = await storeEntry(entry, (n) => {
          bytesDone += n;
          o.onProgress?.({
            path: entry.path,
            bytesDone,
            bytesTotal,
            filesDone: i,
            filesTotal: entries.length,
          });
        });
        if (r.isNew) {
          newBlobs++;
          touched.add(r.hash.slice(0, 2));
        }
        stored.set(entry.path, { blob: r.hash, size: r.size });
        o.onProgress?.({
          path: entry.path,
          bytesDone,
          bytesTotal,
          filesDone: i + 1,
          filesTotal: entries.length,
        });
      }
      // The blobs' directory entries must be durable before a commit names them.
      for (const d of touched) await syncDir(join(blobsDir, d));
      if (touched.size > 0) await syncDir(blobsDir);

      for (let attempt = 0; ; attempt++) {
        const head = await readHead(a.repo, branch);
        const parent = head ? await resolveRef(a.repo, head.id) : undefined;
        const files = { ...(parent?.files ?? {}) };
        for (const [path, f] of stored) {
          for (const existing of Object.keys(files)) {
            if (existing.startsWith(`${path}/`) || path.startsWith(`${existing}/`)) {
              throw new DataClientError(
                'BAD_PATH',
                `${a.repo}@${branch}:${path} would be both a file and a directory (${existing} exists)`,
              );
            }
          }
          files[path] = f;
        }
        const list = Object.entries(files).map(([path, f]) => ({ path, size: f.size, hash: f.blob }));
        const contentHash = contentHashOf(list);
        if (o.skipIfUnchanged && parent && parent.contentHash === contentHash) {
          return { commit: info(parent), created: false, files: entries.length, bytes: bytesDone, newBlobs };
        }
        const manifest: Manifest = {
          version: 1,
          repo: a.repo,
          id: randomUUID().replaceAll('-', ''),
          parent: parent?.id ?? null,
          branch,
          height: (parent?.height ?? -1) + 1,
          finished: new Date().toISOString(),
          description: o.description ?? '',
          files: Object.fromEntries(Object.entries(files).sort(([x], [y]) => (x < y ? -1 : 1))),
          sizeBytes: list.reduce((s, f) => s + f.size, 0),
          fileCount: list.length,
          contentHash,
        };
        const commitsDir = join(repoDir(a.repo), 'commits');
        await writeFileAtomic(join(commitsDir, `${manifest.id}.json`), JSON.stringify(manifest), {
          tempDir: tmpDir,
        });
        if (await moveHead(a.repo, branch, head, manifest.id)) {
          return { commit: info(manifest), created: true, files: entries.length, bytes: bytesDone, newBlobs };
        }
        // Lost the race: this manifest is never referenced; drop it and build on the new head.
        await unlink(join(commitsDir, `${manifest.id}.json`)).catch(() => {});
        await new Promise((r) => setTimeout(r, Math.min(50, attempt) * Math.random()));
      }
    },

    async listFiles(address, o = {}) {
      const a = parseAddress(address, { ref: true });
      const m = await resolveRef(a.repo, a.ref as string);
      const file = m.files[a.path];
      if (file) return [{ path: a.path, type: 'file', sizeBytes: file.size, hash: file.blob, commit: m.id }];
      const prefix = a.path === '/' ? '/' : `${a.path}/`;
      const under = Object.entries(m.files).filter(([p]) => p.startsWith(prefix));
      if (under.length === 0 && a.path !== '/') {
        throw new DataClientError(
          'FILE_NOT_FOUND',
          `${formatAddress({ ...a, ref: a.ref })}: no such file or directory`,
          `See what is there: fmnist list file ${a.repo}@${a.ref}:/`,
        );
      }
      if (o.recursive) {
        return under.map(([path, f]) => ({
          path,
          type: 'file' as const,
          sizeBytes: f.size,
          hash: f.blob,
          commit: m.id,
        }));
      }
      const children = new Map<string, FileInfo>();
      for (const [path, f] of under) {
        const rest = path.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash < 0) {
          children.set(path, { path, type: 'file', sizeBytes: f.size, hash: f.blob, commit: m.id });
        } else {
          const dir = `${prefix}${rest.slice(0, slash)}`;
          const d = children.get(dir) ?? {
            path: dir,
            type: 'dir' as const,
            sizeBytes: 0,
            hash: '',
            commit: m.id,
          };
          d.sizeBytes += f.size;
          children.set(dir, d);
        }
      }
      return [...children.values()].sort((x, y) => (x.path < y.path ? -1 : 1));
    },

    async getFile(address): Promise<Readable> {
      const path = await client.localPath(address);
      return createReadStream(path as string, { highWaterMark: 1 << 20 });
    },

    async localPath(address) {
      const a = parseAddress(address, { ref: true, path: true });
      const m = await resolveRef(a.repo, a.ref as string);
      const file = m.files[a.path];
      if (!file) {
        const isDir = Object.keys(m.files).some((p) => p.startsWith(`${a.path === '/' ? '' : a.path}/`));
        if (isDir)
          throw new DataClientError(
            'NOT_A_FILE',
            `${address} is a directory`,
            `List it with: fmnist list file ${address}`,
          );
        throw new DataClientError(
          'FILE_NOT_FOUND',
          `${address}: no such file`,
          `See what is there: fmnist list file ${a.repo}@${a.ref}:/`,
        );
      }
      const p = blobPath(file.blob);
      if (!(await exists(p)))
        throw new DataClientError(
          'STORE_CORRUPT',
          `${address}: its content (blob ${file.blob}) is missing from ${blobsDir}`,
        );
      return p;
    },

    async listCommits(repo, o = {}) {
      await repoMeta(repo);
      const branches = o.branch ? [checkName('branch', o.branch)] : await branchesOf(repo);
      const seen = new Map<string, Manifest>();
      for (const b of branches) {
        let m: Manifest | undefined = await resolveRef(repo, b);
        while (m && !seen.has(m.id)) {
          seen.set(m.id, m);
          m = m.parent ? await readManifest(repo, m.parent) : undefined;
        }
      }
      const sorted = [...seen.values()].sort((x, y) =>
        x.finished !== y.finished ? (x.finished < y.finished ? 1 : -1) : y.height - x.height,
      );
      return sorted.slice(0, o.limit ?? sorted.length).map(info);
    },

    async inspectCommit(address) {
      const a = parseAddress(address, { ref: true });
      return info(await resolveRef(a.repo, a.ref as string));
    },

    async diffCommits(from, to) {
      const fa = parseAddress(from, { ref: true });
      const ta = parseAddress(to, { ref: true });
      const [old, neu] = [
        await resolveRef(fa.repo, fa.ref as string),
        await resolveRef(ta.repo, ta.ref as string),
      ];
      const changes: FileChange[] = [];
      const paths = [...new Set([...Object.keys(old.files), ...Object.keys(neu.files)])].sort();
      for (const path of paths) {
        const o1 = old.files[path];
        const n1 = neu.files[path];
        if (!o1 && n1) changes.push({ path, change: 'added', newSizeBytes: n1.size });
        else if (o1 && !n1) changes.push({ path, change: 'removed', oldSizeBytes: o1.size });
        else if (o1 && n1 && o1.blob !== n1.blob) {
          changes.push({ path, change: 'modified', oldSizeBytes: o1.size, newSizeBytes: n1.size });
        }
      }
      return changes;
    },

    async close() {},
  };
  return client;
}
