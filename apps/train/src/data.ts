import { join } from 'node:path';
import { createDataClient, type DataClient, readablePath } from '@fmnist/data-client';
import { type ImageSet, readIdx, toImageSet } from '@fmnist/model/data';
import type { TrialData } from './trial.js';

export const DEFAULT_DATA = { train: 'fmnist-train-raw', test: 'fmnist-test-raw' } as const;

/** Where a trial's data is: `repo`, `repo@branch` or `repo@commit`; a branch is pinned to its commit. */
export interface DataSpec {
  train?: string;
  test?: string;
}

/** One split read from a data commit: model input, the raw pixels, and the commit it came from. */
export interface DataSplit {
  set: ImageSet;
  pixels: Uint8Array;
  /** `repo@commit` */
  pinned: string;
}

/**
 * Reads a split (`train` or `t10k` IDX files) from a data repo by commit; a branch is pinned to its
 * head first, so the caller can record exactly which data it used.
 */
export async function loadDataSplit(
  client: DataClient,
  address: string,
  prefix: 'train' | 't10k',
  cacheDir: string,
): Promise<DataSplit> {
  const commit = await client.inspectCommit(address.includes('@') ? address : `${address}@master`);
  const pinned = `${commit.repo}@${commit.id}`;
  const images = await readablePath(client, `${pinned}:/${prefix}-images-idx3-ubyte.gz`, cacheDir);
  const labels = await readablePath(client, `${pinned}:/${prefix}-labels-idx1-ubyte.gz`, cacheDir);
  const [i, l] = await Promise.all([readIdx(images), readIdx(labels)]);
  return { set: toImageSet(i, l, { images, labels }), pixels: i.data as Uint8Array, pinned };
}

/** Reads training and validation data from data repos by commit, so the trial can record which it used. */
export async function loadTrialData(home: string, spec: DataSpec = {}): Promise<TrialData> {
  const client = createDataClient({ home });
  const cache = join(home, 'cache', 'pfs');
  try {
    const train = await loadDataSplit(client, spec.train ?? DEFAULT_DATA.train, 'train', cache);
    const test = await loadDataSplit(client, spec.test ?? DEFAULT_DATA.test, 't10k', cache);
    return { train: train.set, validation: test.set, commits: { train: train.pinned, test: test.pinned } };
  } finally {
    await client.close();
  }
}
