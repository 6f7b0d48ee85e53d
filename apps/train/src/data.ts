import { join } from 'node:path';
import { createDataClient, readablePath } from '@fmnist/data-client';
import { readIdx, toImageSet } from '@fmnist/model/data';
import type { TrialData } from './trial.js';

export const DEFAULT_DATA = { train: 'fmnist-train-raw', test: 'fmnist-test-raw' } as const;

/** Where a trial's data is: `repo`, `repo@branch` or `repo@commit`; a branch is pinned to its commit. */
export interface DataSpec {
  train?: string;
  test?: string;
}

async function loadSplit(home: string, address: string, prefix: 'train' | 't10k') {
  const client = createDataClient({ home });
  try {
    const at = address.includes('@') ? address : `${address}@master`;
    const commit = await client.inspectCommit(at);
    const pinned = `${commit.repo}@${commit.id}`;
    const cache = join(home, 'cache', 'pfs');
    const images = await readablePath(client, `${pinned}:/${prefix}-images-idx3-ubyte.gz`, cache);
    const labels = await readablePath(client, `${pinned}:/${prefix}-labels-idx1-ubyte.gz`, cache);
    const [i, l] = await Promise.all([readIdx(images), readIdx(labels)]);
    return { set: toImageSet(i, l, { images, labels }), pinned };
  } finally {
    await client.close();
  }
}

/** Reads training and validation data from data repos by commit, so the trial can record which it used. */
export async function loadTrialData(home: string, spec: DataSpec = {}): Promise<TrialData> {
  const train = await loadSplit(home, spec.train ?? DEFAULT_DATA.train, 'train');
  const test = await loadSplit(home, spec.test ?? DEFAULT_DATA.test, 't10k');
  return { train: train.set, validation: test.set, commits: { train: train.pinned, test: test.pinned } };
}
