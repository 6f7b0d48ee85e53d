import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataClient } from '@fmnist/data-client';
import { writeIdx } from '@fmnist/model/data';

/**
 * Writes a tiny Fashion-MNIST look-alike (the four IDX files) where each class lights up its own band
 * of rows, so a few batches of training learn it.
 */
export async function writeBandsDataset(dir: string, train = 256, test = 100): Promise<string> {
  await mkdir(dir, { recursive: true });
  let s = 7;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const make = (count: number) => {
    const images = new Uint8Array(count * 784);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const label = i % 10;
      labels[i] = label;
      for (let p = 0; p < 784; p++) {
        const row = Math.floor(p / 28);
        const lit = row >= label * 2 + 4 && row < label * 2 + 6;
        images[i * 784 + p] = Math.round((lit ? 200 : 20) + rand() * 50);
      }
    }
    return { images, labels };
  };
  for (const [prefix, count] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    const { images, labels } = make(count);
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
  return dir;
}

/** A fresh fmnist home whose data repos `fmnist-train-raw` and `fmnist-test-raw` hold the bands dataset. */
export async function homeWithData(prefix = 'fmnist-train-') {
  const home = await mkdtemp(join(tmpdir(), prefix));
  const dir = await writeBandsDataset(join(home, 'idx'));
  const data = createDataClient({ home });
  const commits: Record<string, string> = {};
  for (const [repo, split] of [
    ['fmnist-train-raw', 'train'],
    ['fmnist-test-raw', 't10k'],
  ] as const) {
    await data.createRepo(repo);
    const r = await data.putFiles(`${repo}@master:/`, [
      { file: join(dir, `${split}-images-idx3-ubyte.gz`) },
      { file: join(dir, `${split}-labels-idx1-ubyte.gz`) },
    ]);
    commits[repo] = `${repo}@${r.commit.id}`;
  }
  await data.close();
  return { home, commits };
}
