import { join, resolve } from 'node:path';
import type { TrainingProgress } from '@fmnist/model';
import { loadImageSet } from '@fmnist/model/data';
import type { Command } from 'commander';
import { positiveInt } from '../args.js';
import { type CliContext, note, print } from '../context.js';
import { UsageError } from '../errors.js';
import { loadModelPackage } from '../model-package.js';
import { createProgress } from '../output/progress.js';
import { fetchDataset } from './data.js';

function collectHparam(pair: string, acc: Record<string, unknown>): Record<string, unknown> {
  const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(pair);
  if (!m) throw new UsageError(`--hparam takes name=value, got "${pair}"`);
  const raw = m[2] as string;
  const n = Number(raw);
  const value =
    raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(n) ? n : raw;
  return { ...acc, [m[1] as string]: value };
}

/** Renders training progress: a redrawn bar on a terminal, periodic lines otherwise. */
export function trainingProgress(ctx: CliContext, perEpoch: number) {
  const bar = createProgress(ctx, 'training');
  return {
    update(p: TrainingProgress) {
      const epochs = Math.ceil(p.targetBatches / perEpoch);
      const epoch = Math.min(epochs, Math.floor((p.batches - 1) / perEpoch) + 1);
      bar.update(
        `epoch ${epoch}/${epochs}`,
        p.batches,
        p.targetBatches,
        `${Math.round(p.imagesPerSecond)} img/s loss ${p.loss.toFixed(3)}`,
      );
    },
    done: () => bar.done(),
  };
}

export function registerTrain(program: Command, ctx: () => CliContext): void {
  program
    .command('train')
    .description('Train the default CNN on the fetched Fashion-MNIST and save it')
    .option('--epochs <n>', 'epochs to train', positiveInt('--epochs'), 5)
    .option('--out <dir>', 'where to save the model (default: <home>/models/default)')
    .option('--seed <n>', 'seed for weights, data order and dropout', (v) => Number(v), 0)
    .option(
      '--hparam <name=value>',
      'set a hyperparameter (repeatable), e.g. --hparam dropout=0.3',
      collectHparam,
      {},
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        epochs: number;
        out?: string;
        seed: number;
        hparam: Record<string, unknown>;
        json?: boolean;
      }) => {
        const c = ctx();
        const { createClassifier, initBackend, saveClassifier } = await loadModelPackage();
        const backend = await initBackend();
        note(c, `backend: ${backend.name}`);
        const ds = await fetchDataset(c);
        const [train, test] = await Promise.all([
          loadImageSet(ds.files.trainImages, ds.files.trainLabels),
          loadImageSet(ds.files.testImages, ds.files.testLabels),
        ]);
        const classifier = await createClassifier({ seed: opts.seed, hyperparameters: opts.hparam });
        const perEpoch = Math.ceil(train.count / classifier.batchSize);
        const progress = trainingProgress(c, perEpoch);
        const result = await classifier.train({
          train,
          validation: test,
          length: { epochs: opts.epochs },
          onProgress: (p) => progress.update(p),
          onValidation: (m) => {
            progress.done();
            note(
              c,
              `epoch ${Math.round(m.epochs)}: val_accuracy ${(m.val_accuracy * 100).toFixed(2)}% val_loss ${m.val_loss.toFixed(4)}`,
            );
          },
        });
        progress.done();
        const out = resolve(opts.out ?? join(c.home, 'models', 'default'));
        const metadata = await saveClassifier(classifier, out, {
          lineage: { dataset: ds.source, trainImages: train.count },
        });
        const summary = { model: out, backend: metadata.backend, ...result, metrics: metadata.metrics };
        if (opts.json) print(c, JSON.stringify(summary));
        else
          print(
            c,
            `saved ${out}: val_accuracy ${((metadata.metrics.val_accuracy ?? 0) * 100).toFixed(2)}% after ${opts.epochs} epochs (${Math.round(result.imagesPerSecond)} images/s on ${metadata.backend})`,
          );
        classifier.dispose();
      },
    );
}
