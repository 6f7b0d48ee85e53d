// The data model of the in-test pachd. Each rule cites the pachd v2.11.6 file it follows
// (pachyderm/pachyderm, src/server/pfs/...); errors carry pachd's gRPC status codes and wording
// (src/server/pfs/pfs.go). No type or constant here comes from the client under test.
import { createHash, randomUUID } from 'node:crypto';
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';

// biome-ignore lint/suspicious/noExplicitAny: requests are plain objects decoded by proto-loader
export type Msg = any;

export class PachdError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
  }
}
const fail = (code: status, details: string) => new PachdError(code, details);

/** The gRPC error a handler answers with: pachd's code and text, or INTERNAL for a bug in the fake. */
export function toServiceError(e: unknown): ServiceError {
  const [code, details] = e instanceof PachdError ? [e.code, e.details] : [status.INTERNAL, String(e)];
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

export interface FakeCommit {
  id: string;
  project: string;
  repo: string;
  branch: string;
  parent: string | null;
  description: string;
  createdBy: string;
  started: Date;
  finishing: Date | null;
  finished: Date | null;
  files: Map<string, Buffer>;
}

export interface FakeRepo {
  project: string;
  name: string;
  created: Date;
  description: string;
  branches: Map<string, string>;
  commits: Map<string, FakeCommit>;
  order: string[];
}

/** One change of a ModifyFile stream, applied in order (driver_file.go: UnorderedWriter). */
export type FileOp = { op: 'add'; path: string; data: Buffer } | { op: 'delete'; path: string };

const VALID_NAME = /^[a-zA-Z0-9_-]+$/; // src/internal/ancestry/ancestry.go, ValidateName

/** pachd's CleanPath (src/internal/storage/fileset/path.go): rooted, cleaned, no trailing slash. */
export function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const part of (p ?? '').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

export class PachdState {
  readonly projects = new Map<string, Date>([['default', new Date()]]);
  readonly repos = new Map<string, FakeRepo>();
  private readonly watchers = new Set<() => void>();

  /** Wakes InspectCommit calls waiting for a state (driver.go, inspectProcessingCommits). */
  changed() {
    for (const w of [...this.watchers]) w();
  }
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  projectOf(r: Msg): string {
    // Repo.EnsureProject (src/pfs/pfs.go): an unset project is "default".
    return r?.project?.name || 'default';
  }

  repoOf(r: Msg): FakeRepo {
    if (!r?.name) throw fail(status.INVALID_ARGUMENT, 'no repo specified');
    const repo = this.repos.get(`${this.projectOf(r)}/${r.name}`);
    if (!repo) throw fail(status.NOT_FOUND, `repo ${this.projectOf(r)}/${r.name} not found`);
    return repo;
  }

  createRepo(req: Msg) {
    const project = this.projectOf(req.repo);
    const name = req.repo?.name ?? '';
    if (!VALID_NAME.test(name)) {
      throw fail(
        status.UNKNOWN,
        `repo name (${name}) invalid: only alphanumeric characters, underscores, and dashes are allowed`,
      );
    }
    // driver.go, createRepo: the project must exist (ErrProjectNotFound).
    if (!this.projects.has(project)) throw fail(status.NOT_FOUND, `project "${project}" not found`);
    const key = `${project}/${name}`;
    const existing = this.repos.get(key);
    if (existing && !req.update) throw fail(status.ALREADY_EXISTS, `repo ${key} already exists`);
    if (existing) existing.description = req.description;
    else {
      this.repos.set(key, {
        project,
        name,
        created: new Date(),
        description: req.description,
        branches: new Map(),
        commits: new Map(),
        order: [],
      });
    }
  }

  /**
   * A commit's repo is Commit.repo when set (even with no name), else Commit.branch.repo; neither is an
   * error (val_server.go, checkCommit; pfs.go, AccessRepo). A repo with no name finds nothing: pachd
   * answers NotFound for `default/@<id>` (seen with pachd 2.11.6 and pachyderm_sdk, which always sends one).
   */
  private commitRepo(c: Msg): FakeRepo {
    if (!c) throw fail(status.UNKNOWN, 'commit cannot be nil');
    const repo = c.repo ?? c.branch?.repo;
    if (!repo) throw fail(status.UNKNOWN, 'commit must have a repo');
    if (!repo.name) throw fail(status.NOT_FOUND, `commit ${this.projectOf(repo)}/@${c.id} not found`);
    return this.repoOf(repo);
  }

  /** Resolves a commit by id, or a branch name's head (driver.go, resolveCommit). */
  resolve(c: Msg): FakeCommit {
    const repo = this.commitRepo(c);
    // driver_file.go, modifyFile: an id that is not a commit id is read as a branch name.
    const branchName = c.branch?.name || (c.id && !/^[0-9a-f]{32}$/.test(c.id) ? c.id : '');
    if (c.id && !branchName) {
      const found = repo.commits.get(c.id);
      if (!found) throw fail(status.NOT_FOUND, `commit ${repo.project}/${repo.name}@${c.id} not found`);
      return found;
    }
    const head = repo.branches.get(branchName);
    if (!head)
      throw fail(status.NOT_FOUND, `branch "${branchName}" not found in repo ${repo.project}/${repo.name}`);
    return repo.commits.get(head) as FakeCommit;
  }

  /** driver.go, startCommit + linkParent: the branch is made when missing; its head must be finishing or finished. */
  startCommit(
    branchMsg: Msg,
    description: string,
    createdBy: string,
    files?: Map<string, Buffer>,
  ): FakeCommit {
    if (!branchMsg?.name) throw fail(status.UNKNOWN, 'branch must be specified');
    if (!VALID_NAME.test(branchMsg.name))
      throw fail(status.UNKNOWN, `branch name (${branchMsg.name}) invalid`);
    const repo = this.repoOf(branchMsg.repo);
    const parentId = repo.branches.get(branchMsg.name) ?? null;
    const parent = parentId ? (repo.commits.get(parentId) as FakeCommit) : undefined;
    if (parent && !parent.finishing) {
      throw fail(
        status.UNKNOWN,
        `parent commit ${repo.project}/${repo.name}@${parentId} has not been finished`,
      );
    }
    const c: FakeCommit = {
      id: randomUUID().replaceAll('-', ''),
      project: repo.project,
      repo: repo.name,
      branch: branchMsg.name,
      parent: parentId,
      description: description ?? '',
      createdBy,
      started: new Date(),
      finishing: null,
      finished: null,
      files: files ?? new Map(parent?.files ?? []),
    };
    repo.commits.set(c.id, c);
    repo.order.push(c.id);
    repo.branches.set(branchMsg.name, c.id);
    this.changed();
    return c;
  }

  /**
   * driver.go, finishCommit: a commit already finishing is ErrCommitFinished. pachd then marks it
   * FINISHING and its master compacts it to FINISHED later (master.go, finishCommits): here, on the next
   * turn of the event loop, so a client that reads it at once sees FINISHING and must wait.
   */
  finishCommit(c: FakeCommit, description = '') {
    if (c.finishing) throw fail(status.UNKNOWN, `commit ${c.project}/${c.repo}@${c.id} has already finished`);
    if (description) c.description = description;
    c.finishing = new Date();
    this.changed();
    setImmediate(() => {
      if (!c.finished) {
        c.finished = new Date();
        this.changed();
      }
    });
  }

  /** Applies a ModifyFile stream's changes in order; adds append (api_server.go, putFileRaw: append=true). */
  apply(files: Map<string, Buffer>, ops: FileOp[]) {
    for (const op of ops) {
      if (op.op === 'delete') {
        // deleteFile removes the path and, for a directory, everything below it.
        for (const p of [...files.keys()])
          if (p === op.path || p.startsWith(`${op.path === '/' ? '' : op.path}/`)) files.delete(p);
      } else files.set(op.path, Buffer.concat([files.get(op.path) ?? Buffer.alloc(0), op.data]));
    }
  }

  deleteRepo(r: Msg): boolean {
    // driver.go, deleteRepo: a missing repo is not an error; the answer says nothing was deleted.
    const key = `${this.projectOf(r)}/${r?.name}`;
    const repo = this.repos.get(key);
    if (!repo) return false;
    this.repos.delete(key);
    for (const c of repo.commits.values()) c.finished ??= new Date(); // wake waiters; they then see it gone
    this.changed();
    return true;
  }

  /** The entries of a commit at and below `path`, directories with a trailing "/" (source.go, Iterate). */
  entries(c: FakeCommit, path: string): { path: string; dir: boolean; size: number; hash: Buffer }[] {
    const p = cleanPath(path);
    const prefix = p === '/' ? '/' : `${p}/`;
    const dirs = new Map<string, [string, Buffer][]>();
    const files: { path: string; dir: boolean; size: number; hash: Buffer }[] = [];
    for (const [fp, data] of c.files) {
      if (fp !== p && !fp.startsWith(prefix)) continue;
      files.push({
        path: fp,
        dir: false,
        size: data.length,
        hash: createHash('sha256').update(data).digest(),
      });
      // every ancestor directory from the walk's root down
      const parts = fp.split('/').slice(1, -1);
      for (let i = p === '/' ? 0 : p.split('/').length - 1; i <= parts.length; i++) {
        const d = `/${parts.slice(0, i).join('/')}${i ? '/' : ''}`;
        if (!dirs.has(d)) dirs.set(d, []);
        (dirs.get(d) as [string, Buffer][]).push([fp, data]);
      }
    }
    const out = [...files];
    for (const [d, under] of dirs) {
      const h = createHash('sha256');
      for (const [fp, data] of under.sort(([a], [b]) => (a < b ? -1 : 1)))
        h.update(fp).update(createHash('sha256').update(data).digest());
      out.push({ path: d, dir: true, size: under.reduce((s, [, b]) => s + b.length, 0), hash: h.digest() });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
