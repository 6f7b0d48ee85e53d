import { join, resolve } from 'node:path';
import type { FetchResult } from '@fmnist/model/data';
import { type StageContext, timed } from '../stage.js';

/** The repos the pipeline versions its data in, and which IDX files go in each. */
const REPOS = [
  { repo: 'fmnist-train-raw', split: 'train', description: 'Fashion-MNIST training set (IDX, gzipped)' },
  { repo: 'fmnist-test-raw', split: 'test', description: 'Fashion-MNIST test set (IDX, gzipped)' },
] as const;

/** The dataset from a folder of the four IDX files, checked, in the shape a fetch returns. */
async function datasetFromDir(dir: string): Promise<FetchResult> {
  const { FASHION_MNIST_FILES, readIdx } = await import('@fmnist/model/data');
  const files = Object.fromEntries(
    Object.entries(FASHION_MNIST_FILES).map(([k, v]) => [k, join(dir, v)]),
  ) as FetchResult['files'];
  const split = async (images: string, labels: string) => {
    const l = await readIdx(labels);
    await readIdx(images);
    const perClass = new Array<number>(10).fill(0);
    for (const x of l.data) perClass[x] = (perClass[x] ?? 0) + 1;
    return { images: l.shape[0] ?? 0, perClass };
  };
  return {
    dir,
    files,
    source: `files in ${dir}`,
    officialOrder: true,
    reused: true,
    train: await split(files.trainImages, files.trainLabels),
    test: await split(files.testImages, files.testLabels),
  };
}

/** Stage 1: Fashion-MNIST fetched into the home (or the IDX files given), checked. */
export function datasetStage(ctx: StageContext): Promise<FetchResult> {
  const { dataDir, home } = ctx.options;
  return timed(ctx, 'dataset', dataDir ? 'check the dataset' : 'fetch Fashion-MNIST', async () => {
    let dataset: FetchResult;
    if (dataDir) dataset = await datasetFromDir(resolve(dataDir));
    else {
      const outDir = join(home, 'datasets', 'fashion-mnist');
      const fetch =
        ctx.clients.fetchDataset ??
        (async (dir: string) => (await import('@fmnist/model/data')).fetchFashionMnist({ outDir: dir }));
      dataset = await fetch(outDir);
    }
    ctx.emit({ type: 'dataset', dataset });
    return dataset;
  });
}

/**
 * Stage 2: the dataset put into fmnist-train-raw and fmnist-test-raw (created when absent); unchanged
 * files make no new commit. Returns each split's pinned commit, `repo@commit`.
 */
export async function dataStage(
  ctx: StageContext,
  ds: FetchResult,
): Promise<{ train: string; test: string }> {
  const files = {
    train: [ds.files.trainImages, ds.files.trainLabels],
    test: [ds.files.testImages, ds.files.testLabels],
  };
  const data = await timed(
    ctx,
    'data',
    'version the data in fmnist-train-raw and fmnist-test-raw',
    async () => {
      const client = ctx.clients.data;
      const pinned: Record<string, string> = {};
      for (const { repo, split, description } of REPOS) {
        await client.createRepo(repo, { ifAbsent: true, description });
        const r = await client.putFiles(
          `${repo}@master:/`,
          files[split].map((file) => ({ file })),
          {
            skipIfUnchanged: true,
            onProgress: (p) =>
              ctx.emit({
                type: 'put-progress',
                repo,
                path: p.path,
                bytesDone: p.bytesDone,
                bytesTotal: p.bytesTotal,
              }),
          },
        );
        ctx.emit({ type: 'data-committed', repo, commit: r.commit.id, created: r.created });
        pinned[split] = `${repo}@${r.commit.id}`;
      }
      return { train: pinned.train as string, test: pinned.test as string };
    },
  );
  ctx.state.data = data;
  await ctx.save();
  return data;
}
