import { resolve } from 'node:path';
import type { Evaluation } from '@fmnist/model';
import { loadImageSet } from '@fmnist/model/data';
import type { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { UsageError } from '../errors.js';
import { loadModelPackage } from '../model-package.js';
import { fetchDataset } from './data.js';

export function printEvaluation(ctx: CliContext, ev: Evaluation): void {
  print(
    ctx,
    `accuracy ${(ev.accuracy * 100).toFixed(2)}%  loss ${ev.loss.toFixed(4)}  (${ev.count.toLocaleString('en-US')} images)`,
  );
  const w = Math.max(...ev.classNames.map((n) => n.length));
  print(ctx, `  ${'class'.padEnd(w)}  precision  recall`);
  ev.classNames.forEach((name, i) => {
    const p = `${((ev.precision[i] as number) * 100).toFixed(1)}%`;
    const r = `${((ev.recall[i] as number) * 100).toFixed(1)}%`;
    print(ctx, `  ${name.padEnd(w)}  ${p.padStart(9)}  ${r.padStart(6)}`);
  });
  print(ctx, '  confusion matrix (rows: true class, columns: predicted)');
  for (const row of ev.confusion) print(ctx, `  ${row.map((v) => String(v).padStart(5)).join('')}`);
}

export function registerEvaluate(program: Command, ctx: () => CliContext): void {
  program
    .command('evaluate')
    .description('Evaluate a saved model on the Fashion-MNIST test set (or given IDX files)')
    .requiredOption('--model <dir>', 'a saved model folder')
    .option('--images <file>', 'IDX images to evaluate on (default: the fetched test set)')
    .option('--labels <file>', 'IDX labels belonging to --images')
    .option('--json', 'print the metrics as JSON')
    .action(async (opts: { model: string; images?: string; labels?: string; json?: boolean }) => {
      const c = ctx();
      if (Boolean(opts.images) !== Boolean(opts.labels))
        throw new UsageError('--images and --labels go together');
      let files: { images: string; labels: string };
      if (opts.images && opts.labels) files = { images: opts.images, labels: opts.labels };
      else {
        const ds = await fetchDataset(c);
        files = { images: ds.files.testImages, labels: ds.files.testLabels };
      }
      const { loadClassifier } = await loadModelPackage();
      const classifier = await loadClassifier(resolve(opts.model));
      const set = await loadImageSet(files.images, files.labels, classifier.normalization);
      const ev = classifier.evaluate(set);
      if (opts.json) print(c, JSON.stringify(ev));
      else printEvaluation(c, ev);
      classifier.dispose();
    });
}
