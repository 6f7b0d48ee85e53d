import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAccuracyGate } from '@fmnist/ci-test';
import { createDataClient } from '@fmnist/data-client';
import { bestCheckpoint, createDeterminedClient } from '@fmnist/determined-client';
import { loadClassifier } from '@fmnist/model';
import { writeIdx } from '@fmnist/model/data';
import { loadDataSplit, TRIAL_ENTRYPOINT } from '@fmnist/train';

export const MODEL = 'fashion-classifier';

/** Each class lights up its own band of rows: a tiny CNN learns it in a few batches. */
function tinyImages(count: number, seed: number) {
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    for (let p = 0; p < 784; p++) {
      const row = Math.floor(p / 28);
      images[i * 784 + p] = row >= (i % 10) * 2 + 4 && row < (i % 10) * 2 + 6 ? 220 : (i * 7 + p + seed) % 40;
    }
  }
  return { images, labels };
}

async function writeSplit(dir: string, prefix: 'train' | 't10k', count: number) {
  const { images, labels } = tinyImages(count, prefix === 'train' ? 0 : 3);
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
  return { images, labels };
}

/** The embedded master of a home, running trials with the real trial entrypoint of apps/train. */
export function openMaster(home: string) {
  return createDeterminedClient({
    home,
    workers: 2,
    trialRunner: {
      command: process.execPath,
      args: [fileURLToPath(TRIAL_ENTRYPOINT)],
      env: { FMNIST_HOME: home, FMNIST_WORKERS: '1' },
    },
  });
}

/** One trial of the small CNN for `batches` batches (default 18), validated every 6, on the given data commits. */
export function tinyConfig(name: string, commits: { train: string; test: string }, batches = 18): string {
  return `name: ${name}
data: { train: fmnist-train-raw@${commits.train}, test: fmnist-test-raw@${commits.test} }
hyperparameters: { global_batch_size: 32, learning_rate: 0.003, filters1: 8, filters2: 16, dense1: 32 }
searcher: { name: single, metric: val_accuracy, smaller_is_better: false, max_length: { batches: ${batches} } }
min_validation_period: { batches: 6 }
max_restarts: 0
`;
}

export interface TestHome {
  home: string;
  commits: { trainFirst: string; train: string; test: string };
  single: number;
  asha: number;
  checkpoint: string;
  modelDir: string;
  /** Test images (0..255) and labels, for the try-it page. */
  testImages: { images: Uint8Array; labels: Uint8Array };
}

/**
 * A home made the way `npm start` makes one, but tiny: two data repos (train with two commits), a
 * single-trial experiment and a small ASHA search run by the embedded master with the real trial
 * entrypoint, the best checkpoint registered as version 1, and the accuracy gate's report.
 */
export async function makeHome(): Promise<TestHome> {
  const home = await mkdtemp(join(tmpdir(), 'fmnist-dashboard-'));
  const idx = join(home, 'idx');
  await mkdir(idx);
  await writeSplit(idx, 'train', 192);
  const testImages = await writeSplit(idx, 't10k', 80);

  const data = createDataClient({ home });
  let commits: TestHome['commits'];
  try {
    await data.createRepo('fmnist-train-raw', { description: 'training images' });
    await data.createRepo('fmnist-test-raw', { description: 'test images' });
    const first = await data.putFiles('fmnist-train-raw@master:/', [
      { file: join(idx, 'train-images-idx3-ubyte.gz') },
      { file: join(idx, 'train-labels-idx1-ubyte.gz') },
    ]);
    const second = await data.putFiles(
      'fmnist-train-raw@master:/',
      { name: 'SOURCE.txt', content: 'tiny synthetic bands\n' },
      { description: 'say where the images come from' },
    );
    const test = await data.putFiles('fmnist-test-raw@master:/', [
      { file: join(idx, 't10k-images-idx3-ubyte.gz') },
      { file: join(idx, 't10k-labels-idx1-ubyte.gz') },
    ]);
    commits = { trainFirst: first.commit.id, train: second.commit.id, test: test.commit.id };
  } finally {
    await data.close();
  }

  const master = openMaster(home);
  try {
    const dataSection = `data: { train: fmnist-train-raw@${commits.train}, test: fmnist-test-raw@${commits.test} }`;
    const single = await master.createExperiment(tinyConfig('tiny', commits));
    const asha = await master.createExperiment(`name: tiny-asha
${dataSection}
hyperparameters:
  global_batch_size: 32
  learning_rate: { type: log, base: 10, minval: -3, maxval: -2 }
  filters1: 8
  filters2: 16
  dense1: 32
searcher:
  name: adaptive_asha
  metric: val_accuracy
  smaller_is_better: false
  max_trials: 4
  max_length: { batches: 12 }
  divisor: 2
  max_rungs: 2
  mode: aggressive
  max_concurrent_trials: 0
max_restarts: 0
`);
    for (const e of [single, asha]) {
      const done = await master.waitForExperiment(e.experiment.id);
      if (done.state !== 'COMPLETED') throw new Error(`experiment ${done.id} ended ${done.state}`);
    }
    const best = await bestCheckpoint(master, single.experiment.id);
    await master.createModel(MODEL, { description: 'Fashion-MNIST image classifier' });
    const v1 = await master.registerVersion(MODEL, best.uuid);
    const modelDir = join(home, 'cache', 'checkpoints', best.uuid);
    await master.downloadCheckpoint(best.uuid, modelDir);

    // The accuracy gate's report for version 1, as the pipeline writes it.
    const dataForGate = createDataClient({ home });
    const split = await loadDataSplit(
      dataForGate,
      `fmnist-test-raw@${commits.test}`,
      't10k',
      join(home, 'cache', 'pfs'),
    );
    await dataForGate.close();
    await runAccuracyGate({
      model: MODEL,
      testSet: { ...split.set, pixels: split.pixels, source: split.pinned },
      minAccuracy: 0.5,
      reportDir: join(home, 'reports', MODEL),
      versions: [
        {
          version: v1.version,
          metadata: { checkpoint: best.uuid, experimentId: v1.experimentId, trialId: v1.trialId },
          load: async () => {
            const c = await loadClassifier(modelDir);
            return { predictProbabilities: (x, n) => c.predictNormalized(x, n), dispose: () => c.dispose() };
          },
        },
      ],
    });
    await writeFile(join(home, 'README.txt'), 'a home made by the dashboard tests\n');
    return {
      home,
      commits,
      single: single.experiment.id,
      asha: asha.experiment.id,
      checkpoint: best.uuid,
      modelDir,
      testImages,
    };
  } finally {
    await master.close();
  }
}
