import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteDeterminedClient, MAX_CONTEXT_BYTES, readContext } from '../src/index.js';
import { type FakeMaster, startFakeMaster } from './fake-master/index.js';

describe('the context directory sent with an experiment (as det builds it)', () => {
  let dir: string;
  let master: FakeMaster;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'det-context-'));
    master = await startFakeMaster({ user: 'determined', password: 'pw' });
    for (const d of [
      'src',
      'node_modules/x',
      '.fmnist/determined',
      'dist',
      'apps/train/dist',
      '.git',
      'data',
    ]) {
      await mkdir(join(dir, d), { recursive: true });
    }
    await writeFile(join(dir, 'src', 'main.js'), 'console.log(1)');
    await writeFile(join(dir, 'node_modules', 'x', 'index.js'), 'x');
    await writeFile(join(dir, '.fmnist', 'determined', 'master.db'), 'db');
    await writeFile(join(dir, 'dist', 'bin.js'), 'b');
    await writeFile(join(dir, 'apps', 'train', 'dist', 'main.js'), 'm');
    await writeFile(join(dir, '.git', 'HEAD'), 'ref');
    await writeFile(join(dir, 'data', 'big.bin'), 'd');
    await writeFile(join(dir, 'notes.log'), 'l');
    await writeFile(join(dir, '.detignore'), '*.log\ndata/\n');
  });
  afterAll(async () => {
    await master.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('skips .detignore matches, Determined’s defaults, and never sends node_modules, .fmnist or dist', async () => {
    const files = await readContext(dir);
    const paths = files.map((f) => f.path).sort();
    expect(paths).toEqual(['apps', 'apps/train', 'src', 'src/main.js']);
    const main = files.find((f) => f.path === 'src/main.js')!;
    expect(main).toMatchObject({ type: 48, content: Buffer.from('console.log(1)').toString('base64') });
  });

  it('refuses a context over the master’s limit before reading it, naming the largest files', async () => {
    expect(MAX_CONTEXT_BYTES).toBe(95 * 1024 * 1024);
    const big = join(dir, 'src', 'weights.bin');
    await writeFile(big, '');
    await truncate(big, MAX_CONTEXT_BYTES + 1);
    try {
      const client = createRemoteDeterminedClient({ master: master.url, user: 'determined', password: 'pw' });
      const before = master.requests.length;
      const err = await client
        .createExperiment('entrypoint: node src/main.js\nsearcher: {name: single, metric: acc}\n', {
          modelDefinition: dir,
        })
        .catch((e) => e);
      expect(err.code).toBe('CONTEXT_TOO_LARGE');
      expect(err.message).toMatch(/src\/weights\.bin 95\.0 MiB/);
      expect(err.message).toMatch(/\.detignore/);
      expect(master.requests.slice(before).some((r) => r.path === '/api/v1/experiments')).toBe(false);
    } finally {
      await rm(big);
    }
  });
});
