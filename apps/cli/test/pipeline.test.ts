import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIdx } from '@fmnist/model/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

let home: string;
let dataDir: string;
let config: string;

/** Four IDX files where each class lights up its own band of rows: learnable in a few batches. */
async function writeTinyDataset(dir: string) {
  for (const [prefix, count] of [
    ['train', 192],
    ['t10k', 80],
  ] as const) {
    const images = new Uint8Array(count * 784);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = i % 10;
      for (let p = 0; p < 784; p++) {
        const row = Math.floor(p / 28);
        images[i * 784 + p] = row >= (i % 10) * 2 + 4 && row < (i % 10) * 2 + 6 ? 220 : (i * 7 + p) % 40;
      }
    }
    await writeIdx(
      join(dir, `${prefix}-images-idx3-ubyte.gz`),
      { dtype: 'uint8', shape: [count, 28, 28], data: images },
      { gzip: true },
    );
    await writeIdx(
      join(dir, `${prefix}-labels-idx1-ubyte.gz`),
      { dtype: 'uint8', shape: [count], data: labels },
      { gzip: true },
    );
  }
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'fmnist-pipeline-'));
  dataDir = join(home, 'idx');
  await (await import('node:fs/promises')).mkdir(dataDir);
  await writeTinyDataset(dataDir);
  config = join(home, 'tiny.yaml');
  await writeFile(
    config,
    `name: tiny
hyperparameters: { global_batch_size: 32, learning_rate: 0.003, filters1: 8, filters2: 16, dense1: 32 }
searcher: { name: single, metric: val_accuracy, smaller_is_better: false, max_length: { batches: 18 } }
max_restarts: 0
`,
  );
});
afterAll(() => rm(home, { recursive: true, force: true }));

const pipeline = (...extra: string[]) =>
  runCli(
    home,
    'pipeline',
    '--data-dir',
    dataDir,
    '--config',
    config,
    '--no-serve',
    '--min-accuracy',
    '0.8',
    ...extra,
  );

describe('fmnist pipeline', () => {
  it('goes from data to a tested, registered version, and a re-run reuses everything', async () => {
    const first = await pipeline();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/fmnist-train-raw@\w+ \(new commit\)/);
    expect(first.stdout).toMatch(/fashion-classifier version 1: checkpoint/);
    expect(first.stderr).toMatch(/✔ test: accuracy gate/);
    const report = JSON.parse(
      await readFile(join(home, 'reports', 'fashion-classifier', 'report.json'), 'utf8'),
    );
    expect(report.versions[0].metrics.accuracy).toBeGreaterThanOrEqual(0.8);

    const again = await pipeline();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/fmnist-train-raw@\w+ \(unchanged\)/);
    expect(again.stderr).toMatch(/already trained on this data; reusing it/);
    expect(again.stdout).toMatch(/version 1 \(already registered\)/);

    const experiments = JSON.parse((await runCli(home, 'experiment', 'list', '--json')).stdout);
    expect(experiments).toHaveLength(1);
    const commits = JSON.parse((await runCli(home, 'list', 'commit', 'fmnist-train-raw', '--json')).stdout);
    expect(commits).toHaveLength(1);
    const versions = JSON.parse(
      (await runCli(home, 'model', 'list-versions', 'fashion-classifier', '--json')).stdout,
    );
    expect(versions).toHaveLength(1);
  });

  it('trains again only when asked', async () => {
    const r = await pipeline('--retrain');
    expect(r.code, r.stderr).toBe(0);
    const experiments = JSON.parse((await runCli(home, 'experiment', 'list', '--json')).stdout);
    expect(experiments).toHaveLength(2);
  });

  it('stops at the gate with exit 1 and says which stage failed', async () => {
    const barely = join(home, 'one-batch.yaml');
    await writeFile(barely, (await readFile(config, 'utf8')).replace('batches: 18', 'batches: 1'));
    const r = await runCli(
      home,
      'pipeline',
      '--data-dir',
      dataDir,
      '--config',
      barely,
      '--no-serve',
      '--min-accuracy',
      '0.99',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✖ test: accuracy gate ≥ 0.99 failed/);
    expect(r.stderr).toMatch(/below the accuracy threshold/);
  });
});
