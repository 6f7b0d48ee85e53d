import type { Readable } from 'node:stream';
import { checkName, isCommitId, parseAddress } from '../address.js';
import { DataClientError, type DataClientErrorCode } from '../errors.js';
import { contentHashOf } from '../internal/files.js';
import { toReadable } from '../internal/sources.js';
import type { CommitInfo, DataClient, FileInfo } from '../types.js';
import { resolvePachdConnection } from './connection.js';
import { time, toFileChanges, toFileInfo, toRepoInfo } from './mappers.js';
import type * as pfs from './messages.js';
import { putFiles } from './put.js';
import { createPfsRpc, type PfsRpc } from './rpc.js';

export interface PachydermDataClientOptions {
  /**
   * pachd's address: `host:port`, `grpc://host:port`, `grpcs://host:port` (TLS) or `unix:///socket`; the
   * port defaults to 30650. Default: PACHD_ADDRESS, else the active pachctl context.
   */
  address?: string;
  /** The project the repos live in; default: the context's project, else `default`. Created when missing. */
  project?: string;
  /** Sent as `authn-token`; default: PACH_TOKEN, else the context's session_token. */
  authToken?: string;
  /** Deadline of each short call (default 30 s). */
  timeoutMs?: number;
  /** Deadline of each transfer: listing, download, upload, waiting for a commit to finish (default 10 min). */
  transferTimeoutMs?: number;
  /** Environment to read PACHD_ADDRESS, PACH_TOKEN, PACH_CONFIG and PACH_CONTEXT from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Shared by the client's parts: the calls, the project, and message builders. */
export interface Pfs {
  rpc: PfsRpc;
  project: string;
  location: string;
  timeoutMs: number;
  transferTimeoutMs: number;
  repo(name: string): pfs.Repo;
  commit(repo: string, ref: string): pfs.Commit;
  /** The commit `ref` names (its branch head or itself), without waiting for it to finish. */
  inspect(repo: string, ref: string, wait?: pfs.CommitState): Promise<pfs.CommitInfo>;
  toCommitInfo(repo: string, ci: pfs.CommitInfo, branch?: string): Promise<CommitInfo>;
  walkFiles(repo: string, id: string, path: string, notFound?: DataClientErrorCode): Promise<FileInfo[]>;
}

/**
 * The Pachyderm backend, over pachd's gRPC pfs_v2 API (src/pachyderm/pfs.proto). A put is one ModifyFile
 * stream on the branch: pachd stores the files first and then opens and finishes the commit in one
 * transaction, so a put that dies midway leaves nothing behind. Every call has a deadline.
 */
export function createPachydermDataClient(opts: PachydermDataClientOptions = {}): DataClient {
  const conn = resolvePachdConnection(
    { address: opts.address, token: opts.authToken, project: opts.project },
    opts.env ?? process.env,
  );
  if (!conn) {
    throw new DataClientError(
      'BAD_OPTIONS',
      'no pachd address: give one, or set PACHD_ADDRESS, or an active pachctl context with pachd_address',
      'e.g. PACHD_ADDRESS=grpc://localhost:30650 (after `pachctl port-forward`).',
    );
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const transferTimeoutMs = opts.transferTimeoutMs ?? 600_000;
  const rpc = createPfsRpc({
    target: conn.address.target,
    address: opts.address ?? conn.address.qualified,
    tls: conn.address.tls,
    rootCerts: conn.rootCerts,
    token: conn.token,
    timeoutMs,
    transferTimeoutMs,
  });
  const project = { name: conn.project };
  let projectChecked = false;

  const repo = (name: string): pfs.Repo => ({ name: checkName('repo', name), type: 'user', project });
  const commit = (repoName: string, ref: string): pfs.Commit => {
    const r = repo(repoName);
    return isCommitId(ref)
      ? { repo: r, id: ref, branch: null }
      : { repo: r, id: '', branch: { repo: r, name: ref } };
  };

  async function inspectRepo(name: string): Promise<pfs.RepoInfo> {
    return rpc.unary(
      'InspectRepo',
      { repo: repo(name) },
      { what: `repo "${name}"`, notFound: 'REPO_NOT_FOUND', at: { repo: name } },
    );
  }

  async function walkFiles(
    repoName: string,
    id: string,
    path: string,
    notFound: DataClientErrorCode = 'FILE_NOT_FOUND',
  ) {
    const out: FileInfo[] = [];
    try {
      for await (const f of rpc.stream(
        'WalkFile',
        { file: { commit: commit(repoName, id), path } },
        { what: `${repoName}@${id}:${path}`, notFound, at: { repo: repoName, ref: id, path } },
      )) {
        if (f.file_type === 'FILE') out.push(toFileInfo(f, id));
      }
    } catch (e) {
      // pachd answers NotFound for a walk of an empty commit's root (source.go, NewErrOnEmpty).
      if (path === '/' && (e as DataClientError).code === notFound) return [];
      throw e;
    }
    return out;
  }

  const shared: Pfs = {
    rpc,
    project: project.name,
    location: conn.address.qualified,
    timeoutMs,
    transferTimeoutMs,
    repo,
    commit,
    async inspect(repoName, ref, wait = 'COMMIT_STATE_UNKNOWN') {
      await inspectRepo(repoName);
      return rpc.unary(
        'InspectCommit',
        { commit: commit(repoName, ref), wait },
        {
          what: `${repoName}@${ref}`,
          notFound: isCommitId(ref) ? 'COMMIT_NOT_FOUND' : 'BRANCH_NOT_FOUND',
          at: { repo: repoName, ref },
        },
        wait === 'COMMIT_STATE_UNKNOWN' ? timeoutMs : transferTimeoutMs,
      );
    },
    async toCommitInfo(repoName, ci, branch) {
      const files = await walkFiles(repoName, ci.commit.id, '/');
      const size = Number(ci.details?.size_bytes ?? 0) || files.reduce((s, f) => s + f.sizeBytes, 0);
      return {
        repo: repoName,
        id: ci.commit.id,
        parent: ci.parent_commit?.id || null,
        // pachd leaves the branch out of some answers (a commit named by id); the caller may know it.
        branch: ci.commit.branch?.name || branch || null,
        finished: time(ci.finished) || time(ci.finishing) || time(ci.started),
        description: ci.description ?? '',
        sizeBytes: size,
        fileCount: files.length,
        contentHash: contentHashOf(files.map((f) => ({ path: f.path, size: f.sizeBytes, hash: f.hash }))),
      };
    },
    walkFiles,
  };

  /**
   * The branch each commit was made on, as far as the branches' ancestries tell: pachd leaves the branch
   * out of commits it answers by id and of ListCommit (seen with pachd 2.11.6), so it is recovered here.
   */
  async function branchesByCommit(
    repoName: string,
    commits?: pfs.CommitInfo[],
  ): Promise<Map<string, string>> {
    const info = await inspectRepo(repoName);
    const all =
      commits ??
      (await rpc.collect(
        'ListCommit',
        { repo: repo(repoName), number: '0', all: false },
        { what: `commits of ${repoName}`, notFound: 'REPO_NOT_FOUND', at: { repo: repoName } },
      ));
    const byId = new Map(all.map((c) => [c.commit.id, c]));
    const out = new Map<string, string>();
    for (const b of (info.branches ?? []).map((x) => x.name).sort()) {
      const head = await rpc.unary(
        'InspectCommit',
        { commit: commit(repoName, b), wait: 'COMMIT_STATE_UNKNOWN' },
        { what: `${repoName}@${b}`, notFound: 'BRANCH_NOT_FOUND', at: { repo: repoName, ref: b } },
      );
      for (
        let c: pfs.CommitInfo | undefined = byId.get(head.commit.id) ?? head;
        c && !out.has(c.commit.id);
      ) {
        out.set(c.commit.id, b);
        c = c.parent_commit?.id ? byId.get(c.parent_commit.id) : undefined;
      }
    }
    return out;
  }

  /** Creates the project when it is missing (pachd refuses a repo in an unknown project). */
  async function ensureProject() {
    if (projectChecked || project.name === 'default') return;
    try {
      await rpc.unary(
        'InspectProject',
        { project },
        { what: `project "${project.name}"`, notFound: 'PROJECT_NOT_FOUND' },
      );
    } catch (e) {
      if ((e as DataClientError).code !== 'PROJECT_NOT_FOUND') throw e;
      await rpc.unary(
        'CreateProject',
        { project, description: 'created by fmnist', update: false },
        {
          what: `creating project "${project.name}" (or create it with: pachctl create project ${project.name})`,
        },
      );
    }
    projectChecked = true;
  }

  const refOf = (address: string) => {
    const a = parseAddress(address, { ref: true });
    return { ...a, ref: a.ref as string };
  };

  const client: DataClient = {
    backend: 'pachyderm',
    location: opts.address ?? conn.address.qualified,

    async createRepo(name, o = {}) {
      if (o.ifAbsent) {
        try {
          return toRepoInfo(await inspectRepo(name));
        } catch (e) {
          if ((e as DataClientError).code !== 'REPO_NOT_FOUND') throw e;
        }
      }
      await ensureProject();
      await rpc.unary(
        'CreateRepo',
        { repo: repo(name), description: o.description ?? '', update: false },
        { what: `creating repo ${name}` },
      );
      return toRepoInfo(await inspectRepo(name));
    },

    async inspectRepo(name) {
      return toRepoInfo(await inspectRepo(name));
    },

    async listRepos() {
      const repos = await rpc.collect(
        'ListRepo',
        { type: 'user', projects: [project] },
        { what: 'listing repos' },
      );
      return repos
        .filter((r) => (r.repo.project?.name || 'default') === project.name)
        .map(toRepoInfo)
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    },

    async deleteRepo(name) {
      const res = await rpc.unary(
        'DeleteRepo',
        { repo: repo(name), force: false },
        { what: `deleting repo ${name}`, notFound: 'REPO_NOT_FOUND', at: { repo: name } },
      );
      // pachd answers a delete of a missing repo with deleted: false, not an error (api_server.go, DeleteRepo).
      if (!res.deleted) {
        throw new DataClientError(
          'REPO_NOT_FOUND',
          `repo "${name}" not found in project ${project.name}: nothing deleted`,
          undefined,
          { at: { repo: name } },
        );
      }
    },

    putFiles: (address, sources, o) => putFiles(shared, address, sources, o),

    async listFiles(address, o = {}) {
      const a = refOf(address);
      const id = (await shared.inspect(a.repo, a.ref)).commit.id;
      const what = {
        what: address,
        notFound: 'FILE_NOT_FOUND' as const,
        at: { repo: a.repo, ref: a.ref, path: a.path },
      };
      try {
        if (a.path !== '/') {
          const file = { commit: commit(a.repo, id), path: a.path };
          const top = await rpc.unary('InspectFile', { file }, what);
          if (top.file_type !== 'DIR') return [toFileInfo(top, id)];
        }
        if (o.recursive) return await walkFiles(a.repo, id, a.path);
        const infos = await rpc.collect(
          'ListFile',
          { file: { commit: commit(a.repo, id), path: a.path } },
          what,
        );
        return infos.map((f) => toFileInfo(f, id)).sort((x, y) => (x.path < y.path ? -1 : 1));
      } catch (e) {
        // An empty commit has no root entry: pachd answers NotFound (source.go, NewErrOnEmpty).
        if (a.path === '/' && (e as DataClientError).code === 'FILE_NOT_FOUND') return [];
        throw e;
      }
    },

    async getFile(address): Promise<Readable> {
      const a = parseAddress(address, { ref: true, path: true });
      const ci = await shared.inspect(a.repo, a.ref as string);
      const file = { commit: commit(a.repo, ci.commit.id), path: a.path };
      const what = {
        what: address,
        notFound: 'FILE_NOT_FOUND' as const,
        at: { repo: a.repo, ref: a.ref, path: a.path },
      };
      const top = await rpc.unary('InspectFile', { file }, what);
      if (top.file_type === 'DIR')
        throw new DataClientError('NOT_A_FILE', `${address} is a directory`, 'List what it holds instead.', {
          at: what.at,
        });
      const stream = rpc.stream('GetFile', { file, URL: '', offset: '0' }, what);
      return toReadable(
        (async function* () {
          for await (const m of stream) yield m.value;
        })(),
      );
    },

    async localPath() {
      return undefined;
    },

    async listCommits(repoName, o = {}) {
      await inspectRepo(repoName);
      const all = await rpc.collect(
        'ListCommit',
        { repo: repo(repoName), number: '0', all: false },
        { what: `commits of ${repoName}`, notFound: 'REPO_NOT_FOUND', at: { repo: repoName } },
      );
      let infos = all;
      if (o.branch) {
        // Follow the branch's ancestry from its head.
        const head = await shared.inspect(repoName, checkName('branch', o.branch));
        const byId = new Map(all.map((c) => [c.commit.id, c]));
        infos = [];
        for (let c: pfs.CommitInfo | undefined = byId.get(head.commit.id) ?? head; c; ) {
          infos.push(c);
          c = c.parent_commit?.id ? byId.get(c.parent_commit.id) : undefined;
        }
      }
      const branches = o.branch ? undefined : await branchesByCommit(repoName, all);
      const out: CommitInfo[] = [];
      for (const c of infos.slice(0, o.limit ?? infos.length))
        out.push(await shared.toCommitInfo(repoName, c, o.branch ?? branches?.get(c.commit.id)));
      return out;
    },

    async inspectCommit(address) {
      const a = refOf(address);
      const ci = await shared.inspect(a.repo, a.ref);
      const branch = isCommitId(a.ref)
        ? ci.commit.branch?.name || (await branchesByCommit(a.repo)).get(ci.commit.id)
        : a.ref;
      return shared.toCommitInfo(a.repo, ci, branch);
    },

    async diffCommits(from, to) {
      const fa = refOf(from);
      const ta = refOf(to);
      const oldC = await shared.inspect(fa.repo, fa.ref);
      const newC = await shared.inspect(ta.repo, ta.ref);
      const res = await rpc.collect(
        'DiffFile',
        {
          new_file: { commit: commit(ta.repo, newC.commit.id), path: '/' },
          old_file: { commit: commit(fa.repo, oldC.commit.id), path: '/' },
          shallow: false,
        },
        { what: `diff ${from} ${to}` },
      );
      return toFileChanges(res);
    },

    async close() {
      rpc.close();
    },
  };
  return client;
}
