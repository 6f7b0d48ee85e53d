import { appendFileSync, createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDataClient, createLocalDataClient, materializeFile, readablePath } from '../src/index.js';
import { readAll, testDataClient } from './contract.js';

const tempHome = () => mkdtemp(join(tmpdir(), 'fmnist-home-'));

testDataClient('embedded store', async () => {
  const home = await tempHome();
  return { client: createLocalDataClient({ home }), stop: () => rm(home, { recursive: true, force: true }) };
});

async function countBlobs(home: string): Promise<number> {
  let n = 0;
  for (const d of await readdir(join(home, 'pfs', 'blobs')))
    n += (await readdir(join(home, 'pfs', 'blobs', d))).length;
  return n;
}

describe('embedded store', () => {
  it('stores identical content once, across files, commits and repos', async () => {
    const home = await tempHome();
    const client = createLocalDataClient({ home });
    await client.createRepo('a');
    await client.createRepo('b');
    const first = await client.putFiles('a@master:/', [
      { name: 'x.bin', content: 'same bytes' },
      { name: 'copy/x.bin', content: 'same bytes' },
    ]);
    expect(first.newBlobs).toBe(1);
    const other = await client.putFiles('b@master:/', { name: 'y.bin', content: 'same bytes' });
    expect(other.newBlobs).toBe(0);
    expect(await countBlobs(home)).toBe(1);
    const grown = await client.putFiles('b@master:/', { name: 'z.bin', content: 'new bytes' });
    expect(grown.newBlobs).toBe(1);
    expect(await countBlobs(home)).toBe(2);
    await rm(home, { recursive: true, force: true });
  });

  it('keeps the store under <home>/pfs and gives a read-only local path for a file of a commit', async () => {
    const home = await tempHome();
    const client = createDataClient({ home, pachdAddress: '' });
    expect(client.backend).toBe('local');
    expect(client.location).toBe(join(home, 'pfs'));
    await client.createRepo('raw');
    const { commit } = await client.putFiles('raw@master:/', { name: 'f.txt', content: 'hello' });
    const local = await client.localPath(`raw@${commit.id}:/f.txt`);
    expect(local?.startsWith(join(home, 'pfs', 'blobs'))).toBe(true);
    expect(await readablePath(client, `raw@${commit.id}:/f.txt`, join(home, 'cache'))).toBe(local);
    const out = await materializeFile(client, `raw@${commit.id}:/f.txt`, join(home, 'out', 'f.txt'));
    expect(await readAll(createReadStream(out))).toBe('hello');
    await rm(home, { recursive: true, force: true });
  });

  it('chooses the Pachyderm backend when a pachd address is given', async () => {
    const client = createDataClient({ home: '/nonexistent', pachdAddress: 'grpc://127.0.0.1:1' });
    expect(client.backend).toBe('pachyderm');
    expect((await client.listRepos().catch((e) => e)).code).toBe('BACKEND_UNAVAILABLE');
    await client.close();
  });

  it('fails with SOURCE_CHANGED when a file grows while it is put, and commits nothing', async () => {
    const home = await tempHome();
    const client = createLocalDataClient({ home });
    await client.createRepo('raw');
    const file = join(home, 'growing.bin');
    await writeFile(file, Buffer.alloc(4 << 20, 1));
    let grown = false;
    const put = client.putFiles(
      'raw@master:/',
      { file },
      {
        onProgress: () => {
          if (!grown) {
            grown = true;
            // Appending while the put reads the file: its size no longer matches what was listed.
            appendFileSync(file, 'more');
          }
        },
      },
    );
    expect((await put.catch((e) => e)).code).toBe('SOURCE_CHANGED');
    expect(await client.listCommits('raw')).toEqual([]);
    await rm(home, { recursive: true, force: true });
  });
});
