import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPachydermDataClient } from '../src/pachyderm.js';
import { readAll } from './contract.js';
import { startFakePachd } from './fake-pachd.js';

// The official Python client of pachd 2.x, installed by .ci/setup.d/pachyderm.sh.
const tools = process.env.FMNIST_TOOLS_DIR ?? join(homedir(), '.cache', 'fmnist-tools');
const python = join(tools, 'pachyderm', 'venv', 'bin', 'python');
const installed = existsSync(python);
if (!installed) console.warn(`pachyderm_sdk tests skipped: no ${python} (run bash .ci/setup.d/pachyderm.sh)`);

// What pachyderm_sdk's own docs show: create a repo, put files in a commit, finish and wait for it,
// inspect, list, walk and read files; then read what the TypeScript client put, and fail as pachd fails.
const SCRIPT = String.raw`
import json, sys
import grpc
from pachyderm_sdk import Client
from pachyderm_sdk.api import pfs

client = Client(host="127.0.0.1", port=int(sys.argv[1]))
out = {}
client.pfs.create_repo(repo=pfs.Repo(name="images"), description="from python")
out["repo_exists"] = [client.pfs.repo_exists(pfs.Repo(name="images")), client.pfs.repo_exists(pfs.Repo(name="ghost"))]

with client.pfs.commit(branch=pfs.Branch.from_uri("images@master")) as c:
    c.put_file_from_bytes(path="/a.txt", data=b"hello")
    c.put_file_from_bytes(path="/dir/b.bin", data=b"\x00\x01\x02")
    opened = client.pfs.inspect_commit(commit=c, wait=pfs.CommitState.STARTED)
    # betterproto reads an unset Timestamp as the epoch
    out["open_while_writing"] = opened.finished.timestamp() == 0 and opened.finishing.timestamp() == 0
info = c.wait()
out["commit"] = {"id": info.commit.id, "finished": info.finished.timestamp() > 0, "branch": info.commit.branch.name}

again = client.pfs.inspect_commit(commit=pfs.Commit.from_uri("images@master"), wait=pfs.CommitState.FINISHED)
out["head_is_commit"] = again.commit.id == info.commit.id
out["list"] = sorted((f.file.path, pfs.FileType(f.file_type).name, f.size_bytes) for f in client.pfs.list_file(file=pfs.File.from_uri("images@master:/")))
out["walk"] = [f.file.path for f in client.pfs.walk_file(file=pfs.File.from_uri("images@master:/"))]
with client.pfs.pfs_file(file=pfs.File.from_uri("images@master:/a.txt")) as f:
    out["a"] = f.read().decode()
out["path_exists"] = [client.pfs.path_exists(pfs.File.from_uri("images@master:/dir")), client.pfs.path_exists(pfs.File.from_uri("images@master:/nope"))]

try:
    client.pfs.put_file_from_bytes(commit=pfs.Commit(repo=pfs.Repo(name="images"), id=info.commit.id), path="/late.txt", data=b"x")
    out["put_on_finished"] = "accepted"
except grpc.RpcError as e:
    out["put_on_finished"] = e.details()

try:
    client.pfs.inspect_commit(commit=pfs.Commit(id=info.commit.id))
except grpc.RpcError as e:
    out["no_repo"] = e.details()

with client.pfs.pfs_file(file=pfs.File.from_uri("from-ts@master:/labels.txt")) as f:
    out["from_ts"] = f.read().decode()

with client.pfs.commit(branch=pfs.Branch.from_uri("from-ts@master")) as c2:
    c2.put_file_from_bytes(path="/by-python.txt", data=b"python wrote this")
c2.wait()
print(json.dumps(out))
`;

describe.skipIf(!installed)('the real pachyderm_sdk (2.11.6) against the in-test pachd', () => {
  let pachd: Awaited<ReturnType<typeof startFakePachd>>;
  let work: string;
  beforeAll(async () => {
    pachd = await startFakePachd();
    work = await mkdtemp(join(tmpdir(), 'fmnist-sdk-'));
  });
  afterAll(async () => {
    await pachd.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('creates repos, puts files, finishes and inspects commits, lists and gets files', async () => {
    const client = createPachydermDataClient({ address: pachd.address, env: {} });
    await client.createRepo('from-ts');
    await client.putFiles('from-ts@master:/', { name: 'labels.txt', content: 'typescript wrote this' });

    const script = join(work, 'sdk.py');
    await writeFile(script, SCRIPT);
    const { stdout } = await promisify(execFile)(python, [script, String(pachd.port)], { timeout: 120_000 });
    const out = JSON.parse(stdout);

    expect(out.repo_exists).toEqual([true, false]);
    expect(out.open_while_writing).toBe(true);
    // pachd leaves the branch out of a commit asked for by id
    expect(out.commit).toMatchObject({ finished: true, branch: '' });
    expect(out.head_is_commit).toBe(true);
    expect(out.list).toEqual([
      ['/a.txt', 'FILE', 5],
      ['/dir/', 'DIR', 3],
    ]);
    expect(out.walk).toEqual(['/', '/a.txt', '/dir/', '/dir/b.bin']);
    expect(out.a).toBe('hello');
    expect(out.path_exists).toEqual([true, false]);
    expect(out.put_on_finished).toBe(`commit default/images@${out.commit.id} has already finished`);
    expect(out.no_repo).toBe(`inspect commitHandle: commit default/@${out.commit.id} not found`);
    expect(out.from_ts).toBe('typescript wrote this');

    // What the SDK wrote, the TypeScript client reads.
    expect(await readAll(await client.getFile('from-ts@master:/by-python.txt'))).toBe('python wrote this');
    const images = await client.inspectCommit('images@master');
    expect(images).toMatchObject({ id: out.commit.id, fileCount: 2, sizeBytes: 8, description: '' });
    await client.close();
  });
});
