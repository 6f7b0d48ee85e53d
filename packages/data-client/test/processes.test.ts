import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDataClient, type DataClient } from '../src/index.js';
import { bundleFixture } from './fixtures/bundle.js';

let work: string;
let writer: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'fmnist-proc-'));
  writer = await bundleFixture('writer', join(work, 'writer.mjs'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

function startWriter(
  home: string,
  ...args: string[]
): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [writer, home, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  child.stdout?.on('data', (d) => {
    buf += String(d);
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, exited };
}

async function until(cond: () => boolean) {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

/** Every commit reachable from a branch is whole: its manifest reads and each blob holds the bytes it names. */
async function checkConsistent(home: string, client: DataClient) {
  for (const repo of await client.listRepos()) {
    for (const c of await client.listCommits(repo.name)) {
      for (const f of await client.listFiles(`${repo.name}@${c.id}:/`, { recursive: true })) {
        const bytes = await readFile(join(home, 'pfs', 'blobs', f.hash.slice(0, 2), f.hash));
        expect(bytes.length).toBe(f.sizeBytes);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.hash);
      }
    }
  }
}

describe('embedded store across processes', () => {
  it('keeps the branch at its previous commit when a writer is killed (SIGKILL) mid-put', async () => {
    const home = join(work, 'crash-stream');
    const client = createLocalDataClient({ home });
    await client.createRepo('raw');
    const before = await client.putFiles('raw@master:/', { name: 'keep.txt', content: 'kept' });
    const w = startWriter(home, 'endless-stream');
    await until(() => w.lines.includes('writing'));
    w.child.kill('SIGKILL');
    await w.exited;
    expect((await client.inspectCommit('raw@master')).id).toBe(before.commit.id);
    expect(await client.listCommits('raw')).toHaveLength(1);
    await checkConsistent(home, client);
    // The dead writer's temp file is cleared by the next put, which works as usual.
    expect((await readdir(join(home, 'pfs', 'tmp'))).length).toBeGreaterThan(0);
    const after = await client.putFiles('raw@master:/', { name: 'next.txt', content: 'next' });
    expect(after.commit.parent).toBe(before.commit.id);
    expect(await readdir(join(home, 'pfs', 'tmp'))).toEqual([]);
  });

  it('leaves whole commits only when writers are killed at arbitrary moments', async () => {
    const home = join(work, 'crash-loop');
    const client = createLocalDataClient({ home });
    await client.createRepo('raw');
    for (let round = 0; round < 4; round++) {
      const w = startWriter(home, 'put-loop');
      await until(() => w.lines.length >= 2);
      await new Promise((r) => setTimeout(r, Math.random() * 30));
      w.child.kill('SIGKILL');
      await w.exited;
      const head = await client.inspectCommit('raw@master');
      // The head is the last commit reported, or one that landed just before the kill.
      const reported = w.lines.filter(Boolean);
      const last = reported[reported.length - 1] as string;
      expect(head.id === last || head.parent === last).toBe(true);
      await checkConsistent(home, client);
    }
  });

  it('lands every commit of two processes putting to one branch at once', async () => {
    const home = join(work, 'concurrent');
    const client = createLocalDataClient({ home });
    await client.createRepo('raw');
    const [a, b] = [startWriter(home, 'writer', 'a'), startWriter(home, 'writer', 'b')];
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    const ids = [...JSON.parse(a.lines[0] as string), ...JSON.parse(b.lines[0] as string)] as string[];
    const chain = await client.listCommits('raw', { branch: 'master' });
    expect(chain).toHaveLength(30);
    expect(new Set(chain.map((c) => c.id))).toEqual(new Set(ids));
    // One line of history: each commit's parent is the one before it.
    for (let i = 0; i < chain.length - 1; i++) expect(chain[i]?.parent).toBe(chain[i + 1]?.id);
    const files = await client.listFiles('raw@master:/');
    expect(files).toHaveLength(30);
    await checkConsistent(home, client);
  });
});
