import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDataClient } from '@fmnist/data-client/local';
import { loadImageSet } from '@fmnist/model/data';
import type { Command } from 'commander';
import { positiveInt } from '../args.js';
import { type CliContext, print } from '../context.js';
import { loadModelPackage } from '../model-package.js';
import { fetchDataset } from './data.js';
import { registerBenchServe } from './serve.js';

/** Median of several runs after a warm-up, so one noisy run does not decide the figure. */
export async function measure(
  runs: number,
  fn: () => Promise<void>,
): Promise<{ medianMs: number; runsMs: number[] }> {
  await fn();
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    runsMs.push(performance.now() - t);
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)] as number, runsMs };
}

/**
 * Puts the files into a fresh store in a temporary home (hashed, stored, fsynced; median of three
 * fresh stores), then again unchanged into the last one.
 */
async function benchPut(files: string[]) {
  const home = await mkdtemp(join(tmpdir(), 'fmnist-bench-'));
  try {
    const sources = files.map((file) => ({ file }));
    const runs: { ms: number; bytes: number; newBlobs: number }[] = [];
    let client = createLocalDataClient({ dir: join(home, 'run0') });
    for (let i = 0; i < 3; i++) {
      client = createLocalDataClient({ dir: join(home, `run${i}`) });
      await client.createRepo('bench');
      const t = performance.now();
      const r = await client.putFiles('bench@master:/', sources);
      runs.push({ ms: performance.now() - t, bytes: r.bytes, newBlobs: r.newBlobs });
    }
    const median = [...runs].sort((a, b) => a.ms - b.ms)[1] as (typeof runs)[number];
    const t = performance.now();
    const again = await client.putFiles('bench@master:/', sources, { skipIfUnchanged: true });
    const reputMs = performance.now() - t;
    return {
      putMB: Number((median.bytes / 1e6).toFixed(1)),
      putMs: Number(median.ms.toFixed(1)),
      putMBPerSecond: Math.round(median.bytes / 1e6 / (median.ms / 1000)),
      putNewBlobs: median.newBlobs,
      reputMs: Number(reputMs.toFixed(1)),
      reputNewBlobs: again.newBlobs,
      reputNewCommit: again.created,
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export function registerBench(program: Command, ctx: () => CliContext): void {
  const bench = program.command('bench').description('Measure how fast fmnist runs on this machine');
  bench
    .command('data')
    .description(
      'Time loading the 60,000 training images, and putting the four files into a fresh data store',
    )
    .option('--runs <n>', 'timed runs after one warm-up', '5')
    .option('--json', 'print one JSON line')
    .action(async (opts: { runs: string; json?: boolean }) => {
      const c = ctx();
      const ds = await fetchDataset(c);
      let count = 0;
      const load = await measure(Number(opts.runs), async () => {
        const set = await loadImageSet(ds.files.trainImages, ds.files.trainLabels);
        count = set.count;
      });
      const put = await benchPut(Object.values(ds.files));
      const result = {
        bench: 'data',
        images: count,
        idxLoadMs: Number(load.medianMs.toFixed(1)),
        idxLoadImagesPerSecond: Math.round(count / (load.medianMs / 1000)),
        runsMs: load.runsMs.map((r) => Number(r.toFixed(1))),
        ...put,
      };
      if (opts.json) print(c, JSON.stringify(result));
      else
        print(
          c,
          `loaded ${count.toLocaleString('en-US')} training images (gunzip, parse, normalise) in ${result.idxLoadMs} ms (median of ${opts.runs}); put ${put.putMB} MB at ${put.putMBPerSecond} MB/s, again unchanged in ${put.reputMs} ms with ${put.reputNewBlobs} new blobs`,
        );
    });

  bench
    .command('train')
    .description('Training speed of the default CNN (batch 64, Adam 1e-3) after a warm-up')
    .option('--images <n>', 'training images to time', positiveInt('--images'), 4096)
    .option('--json', 'print one JSON line')
    .action(async (opts: { images: number; json?: boolean }) => {
      const c = ctx();
      const { createClassifier, initBackend, WASM_TRAINING_KERNELS } = await loadModelPackage();
      const backend = await initBackend();
      const ds = await fetchDataset(c);
      const train = await loadImageSet(ds.files.trainImages, ds.files.trainLabels);
      const classifier = await createClassifier();
      const batchSize = classifier.batchSize;
      // The warm-up's workers are the timed run's, so the timing starts with their code compiled.
      const warmup = 32;
      await classifier.train({ train, length: { batches: warmup }, keepWorkers: true });
      const batches = Math.ceil(opts.images / batchSize);
      const r = await classifier.train({ train, length: { batches: warmup + batches } });
      const result = {
        backend: backend.name,
        imagesPerSecond: Math.round(r.imagesPerSecond),
        batchSize,
        images: r.images,
        workers: r.workers,
        kernels: backend.name === 'wasm' ? WASM_TRAINING_KERNELS : {},
        // Resident set of the whole process, worker threads and both wasm heaps included.
        peakMemoryMB: Math.round(process.resourceUsage().maxRSS / 1024),
      };
      if (opts.json) print(c, JSON.stringify(result));
      else
        print(
          c,
          `trained ${r.images} images at ${result.imagesPerSecond} images/s on ${backend.name} (batch ${batchSize}, ${r.workers} workers, peak memory ${result.peakMemoryMB} MB)`,
        );
      classifier.dispose();
    });

  registerBenchServe(bench, ctx);

  bench
    .command('infer')
    .description('Inference speed of the default CNN at batch 1 and batch 256')
    .option('--json', 'print one JSON line')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const { createClassifier, initBackend } = await loadModelPackage();
      const backend = await initBackend();
      const classifier = await createClassifier();
      const image = new Float32Array(784).fill(0.5);
      const batch = new Float32Array(256 * 784).fill(0.5);
      const one = await measure(200, async () => {
        classifier.predictNormalized(image, 1);
      });
      const many = await measure(10, async () => {
        classifier.predictNormalized(batch, 256);
      });
      const result = {
        backend: backend.name,
        batch1: {
          imagesPerSecond: Math.round(1000 / one.medianMs),
          latencyMs: Number(one.medianMs.toFixed(3)),
        },
        batch256: {
          imagesPerSecond: Math.round((256 * 1000) / many.medianMs),
          latencyMs: Number(many.medianMs.toFixed(2)),
        },
      };
      if (opts.json) print(c, JSON.stringify(result));
      else
        print(
          c,
          `batch 1: ${result.batch1.latencyMs} ms (${result.batch1.imagesPerSecond} images/s); batch 256: ${result.batch256.imagesPerSecond} images/s on ${backend.name}`,
        );
      classifier.dispose();
    });
}
