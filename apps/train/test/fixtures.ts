import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataClient } from '@fmnist/data-client';
import { writeBandsDataset } from '@fmnist/test-fixtures';

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
