import { createHash, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { pfsPackageDefinition } from '../src/pachyderm.js';

// biome-ignore lint/suspicious/noExplicitAny: request messages are plain objects shaped by the .proto
type Msg = any;

interface FakeCommit {
  id: string;
  repo: string;
  branch: string;
  parent: string | null;
  description: string;
  started: Date;
  finished: Date | null;
  files: Map<string, Buffer>;
}

interface FakeRepo {
  name: string;
  created: Date;
  description: string;
  branches: Map<string, string>;
  commits: Map<string, FakeCommit>;
  order: string[];
}

const ts = (d: Date) => ({
  seconds: String(Math.floor(d.getTime() / 1000)),
  nanos: (d.getTime() % 1000) * 1e6,
});
const err = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

/**
 * An in-memory pachd speaking the pfs_v2 calls the client uses, with pachd's semantics: StartCommit
 * moves the branch head to an open commit, file sets are staged uploads, directories are listed
 * with a trailing "/", and missing things are NOT_FOUND with pachd's wording.
 */
export async function startFakePachd(): Promise<{
  address: string;
  stop: () => Promise<void>;
  repos: Map<string, FakeRepo>;
}> {
  const repos = new Map<string, FakeRepo>();
  const fileSets = new Map<string, { op: 'add' | 'delete'; path: string; data?: Buffer }[]>();

  const repoOf = (r: Msg): FakeRepo => {
    const repo = repos.get(r?.name);
    if (!repo) throw err(grpc.status.NOT_FOUND, `repo default/${r?.name} not found`);
    return repo;
  };
  const commitOf = (c: Msg): FakeCommit => {
    const repo = repoOf(c?.repo?.name ? c.repo : c?.branch?.repo);
    if (c.id) {
      const found = repo.commits.get(c.id);
      if (!found) throw err(grpc.status.NOT_FOUND, `commit ${repo.name}@${c.id} not found`);
      return found;
    }
    const head = repo.branches.get(c.branch?.name);
    if (!head)
      throw err(grpc.status.NOT_FOUND, `branch ${c.branch?.name} not found in repo default/${repo.name}`);
    return repo.commits.get(head) as FakeCommit;
  };
  const commitMsg = (c: FakeCommit) => {
    const repo = { name: c.repo, type: 'user', project: { name: 'default' } };
    return { branch: { repo, name: c.branch }, id: c.id, repo };
  };
  const commitInfo = (c: FakeCommit) => ({
    commit: commitMsg(c),
    origin: { kind: 'USER' },
    description: c.description,
    parent_commit: c.parent ? { ...commitMsg(c), id: c.parent } : null,
    started: ts(c.started),
    finished: c.finished ? ts(c.finished) : null,
    size_bytes_upper_bound: String([...c.files.values()].reduce((s, b) => s + b.length, 0)),
    details: { size_bytes: String([...c.files.values()].reduce((s, b) => s + b.length, 0)) },
  });
  const norm = (p: string) => `/${(p ?? '').split('/').filter(Boolean).join('/')}`;
  const fileInfo = (c: FakeCommit, path: string): Msg => {
    const data = c.files.get(path);
    if (data) {
      return {
        file: { commit: commitMsg(c), path },
        file_type: 'FILE',
        size_bytes: String(data.length),
        hash: createHash('sha256').update(data).digest(),
      };
    }
    const prefix = path === '/' ? '/' : `${path}/`;
    const under = [...c.files.entries()].filter(([p]) => p.startsWith(prefix));
    if (under.length === 0 && path !== '/')
      throw err(grpc.status.NOT_FOUND, `file ${path} not found in repo default/${c.repo} at commit ${c.id}`);
    const h = createHash('sha256');
    for (const [p, b] of under.sort()) h.update(p).update(createHash('sha256').update(b).digest());
    return {
      file: { commit: commitMsg(c), path: path === '/' ? '/' : `${path}/` },
      file_type: 'DIR',
      size_bytes: String(under.reduce((s, [, b]) => s + b.length, 0)),
      hash: h.digest(),
    };
  };
  const children = (c: FakeCommit, dir: string): string[] => {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names = new Set<string>();
    for (const p of c.files.keys()) {
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      names.add(prefix + rest.split('/')[0]);
    }
    return [...names].sort();
  };
  const walkFiles = (c: FakeCommit) => new Map([...c.files.entries()]);

  const unary =
    (fn: (req: Msg) => Msg) => (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      try {
        cb(null, fn(call.request));
      } catch (e) {
        cb(e as grpc.ServiceError);
      }
    };
  const stream = (fn: (req: Msg) => Msg[]) => (call: grpc.ServerWritableStream<Msg, Msg>) => {
    try {
      for (const m of fn(call.request)) call.write(m);
      call.end();
    } catch (e) {
      call.destroy(e as Error);
    }
  };

  const impl: grpc.UntypedServiceImplementation = {
    CreateRepo: unary((req) => {
      const name = req.repo?.name;
      if (!/^[A-Za-z0-9_-]+$/.test(name ?? ''))
        throw err(grpc.status.INVALID_ARGUMENT, `invalid repo name "${name}"`);
      if (repos.has(name) && !req.update)
        throw err(grpc.status.ALREADY_EXISTS, `repo default/${name} already exists`);
      repos.set(name, {
        name,
        created: new Date(),
        description: req.description,
        branches: new Map(),
        commits: new Map(),
        order: [],
      });
      return {};
    }),
    InspectRepo: unary((req) => {
      const r = repoOf(req.repo);
      return {
        repo: { name: r.name, type: 'user', project: { name: 'default' } },
        created: ts(r.created),
        description: r.description,
        branches: [...r.branches.keys()].map((name) => ({ repo: { name: r.name }, name })),
        size_bytes_upper_bound: '0',
      };
    }),
    ListRepo: stream(() =>
      [...repos.values()].map((r) => ({
        repo: { name: r.name, type: 'user', project: { name: 'default' } },
        created: ts(r.created),
        description: r.description,
        branches: [...r.branches.keys()].map((name) => ({ name })),
      })),
    ),
    DeleteRepo: unary((req) => {
      repoOf(req.repo);
      repos.delete(req.repo.name);
      return {};
    }),
    StartCommit: unary((req) => {
      const repo = repoOf(req.branch?.repo);
      const name = req.branch?.name;
      const parentId = repo.branches.get(name) ?? null;
      const parent = parentId ? repo.commits.get(parentId) : undefined;
      if (parent && !parent.finished)
        throw err(grpc.status.FAILED_PRECONDITION, `parent commit ${parentId} has not been finished`);
      const c: FakeCommit = {
        id: randomUUID().replaceAll('-', ''),
        repo: repo.name,
        branch: name,
        parent: parentId,
        description: req.description,
        started: new Date(),
        finished: null,
        files: new Map(parent?.files ?? []),
      };
      repo.commits.set(c.id, c);
      repo.order.push(c.id);
      repo.branches.set(name, c.id);
      return commitMsg(c);
    }),
    AddFileSet: unary((req) => {
      const c = commitOf(req.commit);
      if (c.finished) throw err(grpc.status.FAILED_PRECONDITION, `commit ${c.id} is finished`);
      const ops = fileSets.get(req.file_set_id);
      if (!ops) throw err(grpc.status.NOT_FOUND, `file set ${req.file_set_id} not found`);
      const added = new Map<string, Buffer[]>();
      for (const op of ops) {
        if (op.op === 'delete') {
          c.files.delete(op.path);
          added.delete(op.path);
        } else added.set(op.path, [...(added.get(op.path) ?? []), op.data as Buffer]);
      }
      for (const [p, parts] of added) c.files.set(p, Buffer.concat(parts));
      return {};
    }),
    FinishCommit: unary((req) => {
      const c = commitOf(req.commit);
      if (c.finished) throw err(grpc.status.FAILED_PRECONDITION, `commit ${c.id} is already finished`);
      c.finished = new Date();
      if (req.description) c.description = req.description;
      return {};
    }),
    DropCommitSet: unary((req) => {
      for (const repo of repos.values()) {
        const c = repo.commits.get(req.commit_set?.id);
        if (!c) continue;
        repo.commits.delete(c.id);
        repo.order = repo.order.filter((id) => id !== c.id);
        if (repo.branches.get(c.branch) === c.id) {
          if (c.parent) repo.branches.set(c.branch, c.parent);
          else repo.branches.delete(c.branch);
        }
      }
      return {};
    }),
    InspectCommit: unary((req) => commitInfo(commitOf(req.commit))),
    ListCommit: stream((req) => {
      const repo = repoOf(req.repo);
      const all = [...repo.order].reverse().map((id) => commitInfo(repo.commits.get(id) as FakeCommit));
      const n = Number(req.number);
      return n > 0 ? all.slice(0, n) : all;
    }),
    InspectFile: unary((req) => fileInfo(commitOf(req.file.commit), norm(req.file.path))),
    ListFile: stream((req) => {
      const c = commitOf(req.file.commit);
      const path = norm(req.file.path);
      const top = fileInfo(c, path);
      if (top.file_type === 'FILE') return [top];
      return children(c, path).map((p) => fileInfo(c, p));
    }),
    GetFile: stream((req) => {
      const c = commitOf(req.file.commit);
      const path = norm(req.file.path);
      const data = c.files.get(path);
      if (!data)
        throw err(
          grpc.status.NOT_FOUND,
          `file ${path} not found in repo default/${c.repo} at commit ${c.id}`,
        );
      const out: Msg[] = [];
      for (let off = 0; off < data.length; off += 64 * 1024)
        out.push({ value: data.subarray(off, off + 64 * 1024) });
      return out;
    }),
    DiffFile: stream((req) => {
      const n = commitOf(req.new_file.commit);
      const o = req.old_file?.commit
        ? commitOf(req.old_file.commit)
        : n.parent
          ? commitOf({ repo: { name: n.repo }, id: n.parent })
          : undefined;
      const nf = walkFiles(n);
      const of = o ? walkFiles(o) : new Map<string, Buffer>();
      const out: Msg[] = [];
      for (const p of [...new Set([...nf.keys(), ...of.keys()])].sort()) {
        const a = of.get(p);
        const b = nf.get(p);
        if (a && b && a.equals(b)) continue;
        out.push({ new_file: b ? fileInfo(n, p) : null, old_file: a && o ? fileInfo(o, p) : null });
      }
      return out;
    }),
    CreateFileSet: (call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const ops: { op: 'add' | 'delete'; path: string; data?: Buffer }[] = [];
      call.on('data', (m: Msg) => {
        if (m.delete_file) ops.push({ op: 'delete', path: norm(m.delete_file.path) });
        else if (m.add_file)
          ops.push({
            op: 'add',
            path: norm(m.add_file.path),
            data: Buffer.from(m.add_file.raw?.value ?? []),
          });
      });
      call.on('end', () => {
        const id = randomUUID().replaceAll('-', '');
        fileSets.set(id, ops);
        cb(null, { file_set_id: id });
      });
      call.on('error', () => {});
    },
    ModifyFile: (_call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      cb(err(grpc.status.UNIMPLEMENTED, 'ModifyFile is not used by this client'));
    },
  };

  const loaded = grpc.loadPackageDefinition(pfsPackageDefinition()) as Msg;
  const server = new grpc.Server();
  server.addService(loaded.pfs_v2.API.service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    address: `grpc://127.0.0.1:${port}`,
    repos,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
