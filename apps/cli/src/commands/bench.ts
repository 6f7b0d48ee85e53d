import { loadImageSet } from '@fmnist/model/data';
import type { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { fetchDataset } from './data.js';

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

export function registerBench(program: Command, ctx: () => CliContext): void {
  const bench = program.command('bench').description('Measure how fast fmnist runs on this machine');
  bench
    .command('data')
    .description('Time loading the 60,000 training images into a normalised Float32 [N,28,28,1] buffer')
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
      const result = {
        bench: 'data',
        images: count,
        idxLoadMs: Number(load.medianMs.toFixed(1)),
        idxLoadImagesPerSecond: Math.round(count / (load.medianMs / 1000)),
        runsMs: load.runsMs.map((r) => Number(r.toFixed(1))),
      };
      if (opts.json) print(c, JSON.stringify(result));
      else
        print(
          c,
          `loaded ${count.toLocaleString('en-US')} training images (gunzip, parse, normalise) in ${result.idxLoadMs} ms (median of ${opts.runs})`,
        );
    });
}
