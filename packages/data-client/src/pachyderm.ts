import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { checkName, isCommitId, parseAddress, parsePutTarget } from './address.js';
import { DataClientError, type DataClientErrorCode } from './errors.js';
import { contentHashOf } from './internal/files.js';
import { pfsPackageDefinition } from './internal/pfs-proto.js';
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

export { pfsPackageDefinition } from './internal/pfs-proto.js';

export interface PachydermDataClientOptions {
  /** pachd's gRPC address: `host:port`, `grpc://host:port` or `grpcs://host:port` (TLS). Port defaults to 30650. */
  address: string;
  /** Pachyderm project the repos live in. */
  project?: string;
  /** Sent as `authn-token` when the cluster has auth on; default: PACH_AUTH_TOKEN. */
  authToken?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: messages are plain objects shaped by the .proto
type Msg = any;
type Api = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

const CHUNK = 1 << 20;

export function parsePachdAddress(address: string): { target: string; tls: boolean } {
  const m = /^(?:(grpcs?|https?|dns):\/\/)?([^/:\s]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(address.trim());
  if (!m) {
    throw new DataClientError(
      'BAD_OPTIONS',
      `"${address}" is not a pachd address`,
      'Use host:port or grpc://host:port, e.g. grpc://localhost:30650.',
    );
  }
  const tls = m[1] === 'grpcs' || m[1] === 'https';
  return { target: `${m[2]}:${m[3] ?? '30650'}`, tls };
}

/**
 * The Pachyderm backend, over pachd's gRPC pfs_v2 API. A put uploads into a file set first and
 * only then starts, fills and finishes a commit, so an interrupted upload never leaves an open
 * commit on the branch.
 */
export function createPachydermDataClient(opts: PachydermDataClientOptions): DataClient {
  if (!opts?.address) throw new DataClientError('BAD_OPTIONS', 'createPachydermDataClient needs { address }');
  const { target, tls } = parsePachdAddress(opts.address);
  const project = { name: opts.project ?? 'default' };
  const token = opts.authToken ?? process.env.PACH_AUTH_TOKEN;
  const loaded = grpc.loadPackageDefinition(pfsPackageDefinition()) as Msg;
  const ApiClient = loaded.pfs_v2.API as typeof grpc.Client;
  const api = new ApiClient(target, tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 << 20,
  }) as Api;
  const meta = () => {
    const m = new grpc.Metadata();
    if (token) m.set('authn-token', token);
    return m;
  };

  const repoMsg = (name: string) => ({ name: checkName('repo', name), type: 'user', project });
  const commitMsg = (repo: string, ref: string) => {
    const r = repoMsg(repo);
    return isCommitId(ref)
      ? { branch: { repo: r, name: '' }, id: ref, repo: r }
      : { branch: { repo: r, name: ref }, id: '', repo: r };
  };

  function fail(e: unknown, what: string, notFound: DataClientErrorCode): DataClientError {
    const err = e as grpc.ServiceError;
    const details = err.details ?? err.message ?? String(e);
    if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
      return new DataClientError(
        'BACKEND_UNAVAILABLE',
        `pachd at ${opts.address} is not reachable (${details})`,
        'Check --pachd / PACHD_ADDRESS and that pachd is running (pachctl port-forward).',
        { cause: e },
      );
    }
    if (err.code === grpc.status.ALREADY_EXISTS || /already exists/i.test(details)) {
      return new DataClientError('REPO_EXISTS', `${what}: ${details}`, undefined, { cause: e });
    }
    if (err.code === grpc.status.NOT_FOUND || /not found/i.test(details)) {
      const code: DataClientErrorCode = /^repo /i.test(details)
        ? 'REPO_NOT_FOUND'
        : /^branch /i.test(details)
          ? 'BRANCH_NOT_FOUND'
          : /^commit /i.test(details)
            ? 'COMMIT_NOT_FOUND'
            : notFound;
      return new DataClientError(code, `${what}: ${details}`, undefined, { cause: e });
    }
    return new DataClientError('BACKEND_ERROR', `${what}: ${details}`, undefined, { cause: e });
  }

  function unary(
    method: string,
    req: Msg,
    what: string,
    notFound: DataClientErrorCode = 'BACKEND_ERROR',
  ): Promise<Msg> {
    return new Promise((resolve, reject) => {
      (api[method] as (r: Msg, m: grpc.Metadata, cb: (e: unknown, res: Msg) => void) => void).call(
        api,
        req,
        meta(),
        (e, res) => (e ? reject(fail(e, what, notFound)) : resolve(res)),
      );
    });
  }

  function serverStream(method: string, req: Msg): grpc.ClientReadableStream<Msg> {
    return (api[method] as (r: Msg, m: grpc.Metadata) => grpc.ClientReadableStream<Msg>).call(
      api,
      req,
      meta(),
    );
  }

  async function collect(
    method: string,
    req: Msg,
    what: string,
    notFound: DataClientErrorCode = 'BACKEND_ERROR',
  ): Promise<Msg[]> {
    const out: Msg[] = [];
    try {
      for await (const m of serverStream(method, req)) out.push(m);
    } catch (e) {
      throw fail(e, what, notFound);
    }
    return out;
  }

  const time = (t: Msg) =>
    t ? new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toISOString() : '';
  const stripDir = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p) || '/';

  async function walk(repo: string, id: string, path: string, out: FileInfo[]) {
    const infos = await collect(
      'ListFile',
      { file: { commit: commitMsg(repo, id), path } },
      `${repo}@${id}:${path}`,
      'FILE_NOT_FOUND',
    );
    for (const f of infos) {
      const fi = fileInfo(f, id);
      if (fi.type === 'dir') await walk(repo, id, fi.path, out);
      else out.push(fi);
    }
  }

  function fileInfo(f: Msg, commit: string): FileInfo {
    return {
      path: stripDir(f.file.path),
      type: f.file_type === 'DIR' ? 'dir' : 'file',
      sizeBytes: Number(f.size_bytes),
      hash: f.file_type === 'DIR' ? '' : Buffer.from(f.hash ?? []).toString('hex'),
      commit: f.file?.commit?.id || commit,
    };
  }

  async function commitInfo(repo: string, ci: Msg): Promise<CommitInfo> {
    const files: FileInfo[] = [];
    await walk(repo, ci.commit.id, '/', files);
    const size = Number(ci.details?.size_bytes ?? 0) || files.reduce((s, f) => s + f.sizeBytes, 0);
    return {
      repo,
      id: ci.commit.id,
      parent: ci.parent_commit?.id || null,
      branch: ci.commit.branch?.name || null,
      finished: time(ci.finished) || time(ci.started),
      description: ci.description ?? '',
      sizeBytes: size,
      fileCount: files.length,
      contentHash: contentHashOf(files.map((f) => ({ path: f.path, size: f.sizeBytes, hash: f.hash }))),
    };
  }

  async function inspect(repo: string, ref: string, wait = 'COMMIT_STATE_UNKNOWN'): Promise<Msg> {
    await client.inspectRepo(repo);
    return unary(
      'InspectCommit',
      { commit: commitMsg(repo, ref), wait },
      `${repo}@${ref}`,
      isCommitId(ref) ? 'COMMIT_NOT_FOUND' : 'BRANCH_NOT_FOUND',
    );
  }

  async function repoInfo(r: Msg): Promise<RepoInfo> {
    return {
      name: r.repo.name,
      created: time(r.created),
      description: r.description ?? '',
      branches: (r.branches ?? []).map((b: Msg) => b.name).sort(),
      sizeBytes: Number(r.details?.size_bytes ?? 0) || Number(r.size_bytes_upper_bound ?? 0),
    };
  }

  /** True when every entry already sits at the head with the same bytes (files only: streams can be read once). */
  async function unchangedAtHead(repo: string, head: string, entries: PutEntry[]): Promise<boolean> {
    for (const e of entries) {
      if (e.file === undefined) return false;
      let remote: FileInfo[];
      try {
        remote = await client.listFiles(`${repo}@${head}:${e.path}`);
      } catch {
        return false;
      }
      if (remote.length !== 1 || remote[0]?.type !== 'file' || remote[0].sizeBytes !== e.size) return false;
      const [a, b] = [createHash('sha256'), createHash('sha256')];
      for await (const c of readEntry(e)) a.update(c);
      for await (const c of await client.getFile(`${repo}@${head}:${e.path}`)) b.update(c as Buffer);
      if (a.digest('hex') !== b.digest('hex')) return false;
    }
    return true;
  }

  /** Streams the entries into a new file set; nothing is visible on any branch yet. */
  function uploadFileSet(
    entries: PutEntry[],
    onBytes: (path: string, n: number, i: number) => void,
  ): Promise<{ id: string; bytes: number }> {
    return new Promise((resolve, reject) => {
      let bytes = 0;
      let failed: unknown;
      const call = (
        api.CreateFileSet as (
          m: grpc.Metadata,
          cb: (e: unknown, r: Msg) => void,
        ) => grpc.ClientWritableStream<Msg>
      ).call(api, meta(), (e, res) => {
        if (failed) reject(failed);
        else if (e) reject(fail(e, 'uploading files', 'BACKEND_ERROR'));
        else resolve({ id: res.file_set_id, bytes });
      });
      const write = (m: Msg) =>
        new Promise<void>((ok) => {
          if (call.write(m)) ok();
          else call.once('drain', ok);
        });
      (async () => {
        for (const [i, e] of entries.entries()) {
          // Overwrite, as pachctl put file does: delete the path, then add its bytes.
          await write({ delete_file: { path: e.path, datum: '' } });
          let sent = false;
          for await (const chunk of readEntry(e)) {
            for (let off = 0; off < chunk.length; off += CHUNK) {
              const part = chunk.subarray(off, off + CHUNK);
              await write({ add_file: { path: e.path, datum: '', raw: { value: part } } });
              bytes += part.length;
              onBytes(e.path, part.length, i);
            }
            sent = true;
          }
          if (!sent) await write({ add_file: { path: e.path, datum: '', raw: { value: Buffer.alloc(0) } } });
        }
        call.end();
      })().catch((e) => {
        failed = e;
        call.cancel();
      });
    });
  }

  const client: DataClient = {
    backend: 'pachyderm',
    location: opts.address,

    async createRepo(name, o = {}) {
      if (o.ifAbsent) {
        try {
          return await client.inspectRepo(name);
        } catch (e) {
          if ((e as DataClientError).code !== 'REPO_NOT_FOUND') throw e;
        }
      }
      await unary(
        'CreateRepo',
        { repo: repoMsg(name), description: o.description ?? '', update: false },
        `creating repo ${name}`,
      );
      return client.inspectRepo(name);
    },

    async inspectRepo(name) {
      return repoInfo(
        await unary('InspectRepo', { repo: repoMsg(name) }, `repo "${name}"`, 'REPO_NOT_FOUND'),
      );
    },

    async listRepos() {
      const repos = await collect('ListRepo', { type: 'user' }, 'listing repos');
      return Promise.all(
        repos.filter((r) => (r.repo.project?.name || 'default') === project.name).map(repoInfo),
      ).then((l) => l.sort((a, b) => (a.name < b.name ? -1 : 1)));
    },

    async deleteRepo(name) {
      await unary(
        'DeleteRepo',
        { repo: repoMsg(name), force: false },
        `deleting repo ${name}`,
        'REPO_NOT_FOUND',
      );
    },

    async putFiles(
      address: string,
      sources: PutSource | PutSource[],
      o: PutOptions = {},
    ): Promise<PutResult> {
      const a = parsePutTarget(address);
      const branch = a.ref;
      await client.inspectRepo(a.repo);
      const entries = await expandSources(a.path, sources);
      let head: Msg | undefined;
      try {
        head = await unary(
          'InspectCommit',
          { commit: commitMsg(a.repo, branch), wait: 'FINISHED' },
          address,
          'BRANCH_NOT_FOUND',
        );
      } catch (e) {
        if ((e as DataClientError).code !== 'BRANCH_NOT_FOUND') throw e;
      }
      if (o.skipIfUnchanged && head && (await unchangedAtHead(a.repo, head.commit.id, entries))) {
        return {
          commit: await commitInfo(a.repo, head),
          created: false,
          files: entries.length,
          bytes: 0,
          newBlobs: 0,
        };
      }
      const bytesTotal = entries.every((e) => e.size !== undefined)
        ? entries.reduce((s, e) => s + (e.size ?? 0), 0)
        : undefined;
      let bytesDone = 0;
      const fileSet = await uploadFileSet(entries, (path, n, i) => {
        bytesDone += n;
        o.onProgress?.({ path, bytesDone, bytesTotal, filesDone: i, filesTotal: entries.length });
      });
      const started = await unary(
        'StartCommit',
        { branch: { repo: repoMsg(a.repo), name: branch }, description: o.description ?? '' },
        `starting a commit on ${a.repo}@${branch}`,
        'REPO_NOT_FOUND',
      );
      try {
        await unary(
          'AddFileSet',
          { commit: started, file_set_id: fileSet.id },
          `adding files to ${a.repo}@${started.id}`,
        );
        await unary(
          'FinishCommit',
          { commit: started, description: o.description ?? '', error: '', force: false },
          `finishing ${a.repo}@${started.id}`,
        );
      } catch (e) {
        await unary(
          'DropCommitSet',
          { commit_set: { id: started.id } },
          'dropping the unfinished commit',
        ).catch(() => {});
        throw e;
      }
      const done = await unary(
        'InspectCommit',
        { commit: commitMsg(a.repo, started.id), wait: 'FINISHED' },
        `${a.repo}@${started.id}`,
        'COMMIT_NOT_FOUND',
      );
      return {
        commit: await commitInfo(a.repo, done),
        created: true,
        files: entries.length,
        bytes: fileSet.bytes,
        newBlobs: 0,
      };
    },

    async listFiles(address, o = {}) {
      const a = parseAddress(address, { ref: true });
      const ci = await inspect(a.repo, a.ref as string);
      const id = ci.commit.id as string;
      if (o.recursive) {
        const out: FileInfo[] = [];
        const top = await unary(
          'InspectFile',
          { file: { commit: commitMsg(a.repo, id), path: a.path } },
          address,
          'FILE_NOT_FOUND',
        );
        if (top.file_type !== 'DIR') return [fileInfo(top, id)];
        await walk(a.repo, id, a.path, out);
        return out;
      }
      if (a.path !== '/') {
        const top = await unary(
          'InspectFile',
          { file: { commit: commitMsg(a.repo, id), path: a.path } },
          address,
          'FILE_NOT_FOUND',
        );
        if (top.file_type !== 'DIR') return [fileInfo(top, id)];
      }
      const infos = await collect(
        'ListFile',
        { file: { commit: commitMsg(a.repo, id), path: a.path } },
        address,
        'FILE_NOT_FOUND',
      );
      return infos.map((f) => fileInfo(f, id)).sort((x, y) => (x.path < y.path ? -1 : 1));
    },

    async getFile(address): Promise<Readable> {
      const a = parseAddress(address, { ref: true, path: true });
      const ci = await inspect(a.repo, a.ref as string);
      const file = { commit: commitMsg(a.repo, ci.commit.id), path: a.path };
      const top = await unary('InspectFile', { file }, address, 'FILE_NOT_FOUND');
      if (top.file_type === 'DIR')
        throw new DataClientError(
          'NOT_A_FILE',
          `${address} is a directory`,
          `List it with: fmnist list file ${address}`,
        );
      const call = serverStream('GetFile', { file, URL: '', offset: '0' });
      return Readable.from(
        (async function* () {
          try {
            for await (const m of call) yield m.value as Buffer;
          } catch (e) {
            throw fail(e, address, 'FILE_NOT_FOUND');
          }
        })(),
        { objectMode: false },
      );
    },

    async localPath() {
      return undefined;
    },

    async listCommits(repo, o = {}) {
      await client.inspectRepo(repo);
      let infos = await collect(
        'ListCommit',
        { repo: repoMsg(repo), number: String(o.branch ? 0 : (o.limit ?? 0)), all: false },
        `commits of ${repo}`,
        'REPO_NOT_FOUND',
      );
      if (o.branch) {
        // Follow the branch's ancestry from its head.
        const head = await inspect(repo, checkName('branch', o.branch));
        const byId = new Map(infos.map((c) => [c.commit.id, c]));
        infos = [];
        for (
          let c: Msg = byId.get(head.commit.id) ?? head;
          c;
          c = c.parent_commit?.id ? byId.get(c.parent_commit.id) : undefined
        )
          infos.push(c);
      }
      const out: CommitInfo[] = [];
      for (const c of infos.slice(0, o.limit ?? infos.length)) out.push(await commitInfo(repo, c));
      return out;
    },

    async inspectCommit(address) {
      const a = parseAddress(address, { ref: true });
      return commitInfo(a.repo, await inspect(a.repo, a.ref as string));
    },

    async diffCommits(from, to) {
      const fa = parseAddress(from, { ref: true });
      const ta = parseAddress(to, { ref: true });
      const [oldC, newC] = [
        await inspect(fa.repo, fa.ref as string),
        await inspect(ta.repo, ta.ref as string),
      ];
      const res = await collect(
        'DiffFile',
        {
          new_file: { commit: commitMsg(ta.repo, newC.commit.id), path: '/' },
          old_file: { commit: commitMsg(fa.repo, oldC.commit.id), path: '/' },
          shallow: false,
        },
        `diff ${from} ${to}`,
      );
      const changes: FileChange[] = [];
      for (const d of res) {
        const n = d.new_file?.file ? d.new_file : undefined;
        const old = d.old_file?.file ? d.old_file : undefined;
        if ((n ?? old)?.file_type === 'DIR') continue;
        const path = stripDir((n ?? old).file.path);
        if (n && !old) changes.push({ path, change: 'added', newSizeBytes: Number(n.size_bytes) });
        else if (old && !n) changes.push({ path, change: 'removed', oldSizeBytes: Number(old.size_bytes) });
        else
          changes.push({
            path,
            change: 'modified',
            oldSizeBytes: Number(old.size_bytes),
            newSizeBytes: Number(n.size_bytes),
          });
      }
      return changes.sort((x, y) => (x.path < y.path ? -1 : 1));
    },

    async close() {
      api.close();
    },
  };
  return client;
}
