// An in-memory pachd serving the pfs_v2 calls of its own proto (test/fake-pachd/pfs.proto), with pachd
// v2.11.6's semantics where a client can see them; the rules live in fake-pachd/state.ts, each citing
// the pachd file it follows. The real Python client (pachyderm_sdk) is run against it in pachyderm-sdk.test.ts.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { modifyFileHandler } from './fake-pachd/modify-file.js';
import {
  cleanPath,
  type FakeCommit,
  type Msg,
  PachdError,
  PachdState,
  toServiceError,
} from './fake-pachd/state.js';

export type { FakeCommit } from './fake-pachd/state.js';

export interface FakePachdOptions {
  /** Auth on: token → user name. Calls without a known `authn-token` are refused, as pachd's auth does. */
  users?: Record<string, string>;
  /** Methods that never answer (a stuck pachd), for deadline tests. */
  stall?: string[];
  /** Listen on this unix socket path instead of a loopback port. */
  socket?: string;
}

const ts = (d: Date | null) =>
  d ? { seconds: String(Math.floor(d.getTime() / 1000)), nanos: (d.getTime() % 1000) * 1e6 } : null;
const err = toServiceError;
type CancellableCall = { on(event: 'cancelled', fn: () => void): unknown };

/** The in-test pachd's own pfs_v2 definition (test/fake-pachd/pfs.proto). */
export function fakePfsDefinition() {
  return loadSync(join(import.meta.dirname, 'fake-pachd', 'pfs.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

export async function startFakePachd(opts: FakePachdOptions = {}) {
  const state = new PachdState();
  const stall = new Set(opts.stall ?? []);

  /** The caller's user name; with auth on, an unknown token is refused (src/server/auth/server/api_server.go). */
  function user(meta: grpc.Metadata): string {
    if (!opts.users) return '';
    const token = String(meta.get('authn-token')[0] ?? '');
    const name = opts.users[token];
    if (!name) throw new PachdError(grpc.status.UNAUTHENTICATED, 'no authentication token (try logging in)');
    return name;
  }

  const repoMsg = (project: string, name: string) => ({ name, type: 'user', project: { name: project } });
  const commitMsg = (c: FakeCommit) => {
    const repo = repoMsg(c.project, c.repo);
    return { branch: { repo, name: c.branch }, id: c.id, repo };
  };
  const size = (c: FakeCommit) => String([...c.files.values()].reduce((s, b) => s + b.length, 0));
  // pachd names the branch only when the commit was asked for by branch alone: one asked for by id
  // (with or without its branch), and every commit of ListCommit, come back without it (seen with
  // pachd 2.11.6 built from source; Commit.NilBranch, src/pfs/pfs.go).
  const commitInfo = (c: FakeCommit, withBranch = false) => ({
    commit: withBranch ? commitMsg(c) : { ...commitMsg(c), branch: null },
    origin: { kind: 'USER' },
    description: c.description,
    parent_commit: c.parent ? { ...commitMsg(c), id: c.parent } : null,
    started: ts(c.started),
    finishing: ts(c.finishing),
    finished: ts(c.finished),
    created_by: c.createdBy,
    size_bytes_upper_bound: size(c),
    details: c.finished ? { size_bytes: size(c) } : null,
  });
  const repoInfo = (r: {
    project: string;
    name: string;
    created: Date;
    description: string;
    branches: Map<string, string>;
  }) => ({
    repo: repoMsg(r.project, r.name),
    created: ts(r.created),
    description: r.description,
    branches: [...r.branches.keys()].map((name) => ({ repo: repoMsg(r.project, r.name), name })),
    size_bytes_upper_bound: '0',
  });
  const fileInfo = (c: FakeCommit, e: { path: string; dir: boolean; size: number; hash: Buffer }) => ({
    file: { commit: commitMsg(c), path: e.path, datum: 'default' },
    file_type: e.dir ? 'DIR' : 'FILE',
    committed: ts(c.finishing),
    size_bytes: String(e.size),
    hash: e.hash,
  });

  /** Resolves when `ready` holds, or fails when the call is cancelled (deadline, client gone). */
  function until(call: CancellableCall, ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const stop = state.watch(() => {
        if (ready()) {
          stop();
          resolve();
        }
      });
      call.on('cancelled', () => {
        stop();
        reject(new PachdError(grpc.status.CANCELLED, 'context canceled'));
      });
    });
  }

  /** driver.go, inspectCommitInfo wraps what resolving fails with in "inspect commitHandle: ". */
  function inspectCommitHandle<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof PachdError && e.code === grpc.status.NOT_FOUND) {
        throw new PachdError(e.code, `inspect commitHandle: ${e.details}`);
      }
      throw e;
    }
  }

  /** driver_file.go, openCommit: reading a FINISHING commit waits until it is FINISHED. */
  async function openCommit(call: CancellableCall, commit: Msg): Promise<FakeCommit> {
    const c = state.resolve(commit);
    if (c.finishing && !c.finished) await until(call, () => Boolean(c.finished));
    return c;
  }

  /** Entries below a path; an empty answer is ErrFileNotFound (source.go, NewErrOnEmpty). */
  function entriesOrNotFound(c: FakeCommit, path: string) {
    const all = state.entries(c, path);
    if (all.length === 0) {
      throw new PachdError(
        grpc.status.NOT_FOUND,
        `file ${cleanPath(path)} not found in repo ${c.project}/${c.repo} at commit ${c.id}`,
      );
    }
    return all;
  }

  type Unary = (req: Msg, call: grpc.ServerUnaryCall<Msg, Msg>) => Msg | Promise<Msg>;
  type Stream = (req: Msg, call: grpc.ServerWritableStream<Msg, Msg>) => Msg[] | Promise<Msg[]>;
  /** Runs a handler for the caller (auth checked first); a stalled method's answer never comes. */
  function handle<C extends { metadata: grpc.Metadata; request: Msg }, R>(
    name: string,
    call: C,
    fn: (req: Msg, call: C) => R,
  ) {
    if (stall.has(name)) return new Promise<Awaited<R>>(() => {});
    return Promise.resolve().then(() => {
      user(call.metadata);
      return fn(call.request, call);
    });
  }
  const unary =
    (name: string, fn: Unary) => (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      handle(name, call, fn).then(
        (r) => cb(null, r),
        (e) => cb(err(e)),
      );
    };
  const stream = (name: string, fn: Stream) => (call: grpc.ServerWritableStream<Msg, Msg>) => {
    handle(name, call, fn).then(
      (msgs) => {
        for (const m of msgs as Msg[]) call.write(m);
        call.end();
      },
      (e) => call.emit('error', err(e)),
    );
  };

  const impl: grpc.UntypedServiceImplementation = {
    CreateProject: unary('CreateProject', (req) => {
      const name = req.project?.name ?? '';
      if (!/^[a-zA-Z0-9_-]+$/.test(name))
        throw new PachdError(grpc.status.UNKNOWN, `invalid project name "${name}"`);
      if (state.projects.has(name) && !req.update)
        throw new PachdError(grpc.status.ALREADY_EXISTS, `project ${name} already exists`);
      state.projects.set(name, new Date());
      return {};
    }),
    InspectProject: unary('InspectProject', (req) => {
      const at = state.projects.get(req.project?.name);
      if (!at) throw new PachdError(grpc.status.NOT_FOUND, `project "${req.project?.name}" not found`);
      return { project: { name: req.project.name }, description: '', created_at: ts(at) };
    }),
    ListProject: stream('ListProject', () =>
      [...state.projects].map(([name, at]) => ({ project: { name }, created_at: ts(at) })),
    ),
    CreateRepo: unary('CreateRepo', (req) => {
      state.createRepo(req);
      return {};
    }),
    InspectRepo: unary('InspectRepo', (req) => repoInfo(state.repoOf(req.repo))),
    ListRepo: stream('ListRepo', (req) => {
      const only = new Set((req.projects ?? []).map((p: Msg) => p.name));
      return [...state.repos.values()].filter((r) => only.size === 0 || only.has(r.project)).map(repoInfo);
    }),
    DeleteRepo: unary('DeleteRepo', (req) => ({ deleted: state.deleteRepo(req.repo) })),
    InspectBranch: unary('InspectBranch', (req) => {
      const repo = state.repoOf(req.branch?.repo);
      const head = repo.branches.get(req.branch?.name);
      if (!head)
        throw new PachdError(
          grpc.status.NOT_FOUND,
          `branch "${req.branch?.name}" not found in repo ${repo.project}/${repo.name}`,
        );
      return {
        branch: { repo: repoMsg(repo.project, repo.name), name: req.branch.name },
        head: commitMsg(repo.commits.get(head) as FakeCommit),
      };
    }),
    StartCommit: unary('StartCommit', (req, call) =>
      commitMsg(state.startCommit(req.branch, req.description, user(call.metadata))),
    ),
    FinishCommit: unary('FinishCommit', (req) => {
      state.finishCommit(state.resolve(req.commit), req.description);
      return {};
    }),
    // driver.go, inspectCommit: STARTED and READY answer at once; FINISHING and FINISHED wait for that
    // state (inspectProcessingCommits), until the caller's deadline; a commit deleted meanwhile is an error.
    InspectCommit: unary('InspectCommit', async (req, call) => {
      const c = inspectCommitHandle(() => state.resolve(req.commit));
      const wait = req.wait as string;
      if (wait === 'FINISHING' || wait === 'FINISHED') {
        const repoKey = `${c.project}/${c.repo}`;
        await until(
          call,
          () => !state.repos.has(repoKey) || Boolean(wait === 'FINISHED' ? c.finished : c.finishing),
        );
        if (!state.repos.has(repoKey))
          throw new PachdError(grpc.status.UNKNOWN, `commit ${repoKey}@${c.id} was deleted`);
      }
      return commitInfo(c, Boolean(req.commit?.branch?.name) && !req.commit?.id);
    }),
    ListCommit: stream('ListCommit', (req) => {
      const repo = state.repoOf(req.repo);
      const all = [...repo.order].reverse().map((id) => commitInfo(repo.commits.get(id) as FakeCommit));
      const n = Number(req.number);
      return n > 0 ? all.slice(0, n) : all;
    }),
    InspectFile: unary('InspectFile', async (req, call) => {
      const c = await openCommit(call, req.file?.commit);
      const path = cleanPath(req.file.path);
      const top = entriesOrNotFound(c, path)[0] as ReturnType<PachdState['entries']>[number];
      return fileInfo(c, top);
    }),
    // ListFile: the path itself when it is a file, else its direct children (driver_file.go, listFile).
    ListFile: stream('ListFile', async (req, call) => {
      const c = await openCommit(call, req.file?.commit);
      const path = cleanPath(req.file.path);
      const all = entriesOrNotFound(c, path);
      const first = all[0] as (typeof all)[number];
      if (!first.dir) return [fileInfo(c, first)];
      const depth = path === '/' ? 1 : path.split('/').length;
      return all
        .filter((e) => e.path.replace(/\/$/, '').split('/').length === depth + 1)
        .map((e) => fileInfo(c, e));
    }),
    // WalkFile: the path and everything below it, directories included, in path order (driver_file.go, walkFile).
    WalkFile: stream('WalkFile', async (req, call) => {
      const c = await openCommit(call, req.file?.commit);
      return entriesOrNotFound(c, req.file.path).map((e) => fileInfo(c, e));
    }),
    GetFile: stream('GetFile', async (req, call) => {
      const c = await openCommit(call, req.file?.commit);
      const path = cleanPath(req.file.path);
      const data = c.files.get(path);
      if (!data) entriesOrNotFound(c, path);
      const bytes = data ?? Buffer.alloc(0);
      const out: Msg[] = [];
      for (let off = 0; off < bytes.length; off += 64 * 1024)
        out.push({ value: bytes.subarray(off, off + 64 * 1024) });
      return out;
    }),
    DiffFile: stream('DiffFile', async (req, call) => {
      const n = await openCommit(call, req.new_file?.commit);
      const o = req.old_file?.commit
        ? await openCommit(call, req.old_file.commit)
        : n.parent
          ? state.resolve({ repo: repoMsg(n.project, n.repo), id: n.parent })
          : undefined;
      const out: Msg[] = [];
      const names = [...new Set([...n.files.keys(), ...(o?.files.keys() ?? [])])].sort();
      for (const p of names) {
        const a = o?.files.get(p);
        const b = n.files.get(p);
        if (a && b && a.equals(b)) continue;
        const info = (c: FakeCommit) =>
          fileInfo(c, state.entries(c, p)[0] as ReturnType<PachdState['entries']>[number]);
        out.push({ new_file: b ? info(n) : null, old_file: a && o ? info(o) : null });
      }
      return out;
    }),
    ModifyFile: modifyFileHandler(state, user, stall.has('ModifyFile')),
  };

  const loaded = grpc.loadPackageDefinition(fakePfsDefinition()) as unknown as {
    pfs_v2: { API: grpc.ServiceClientConstructor };
  };
  const server = new grpc.Server();
  server.addService(loaded.pfs_v2.API.service, impl);
  const bindTo = opts.socket ? `unix://${opts.socket}` : '127.0.0.1:0';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bindTo, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    address: opts.socket ? `unix://${opts.socket}` : `grpc://127.0.0.1:${port}`,
    port,
    state,
    /** The repo's commits, for assertions. */
    commits: (repo: string, project = 'default') => [
      ...(state.repos.get(`${project}/${repo}`)?.commits.values() ?? []),
    ],
    stop: () =>
      new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
  };
}
