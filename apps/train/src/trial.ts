import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Length, TrialContext } from '@fmnist/determined-client';
import {
  type Classifier,
  createClassifier,
  type ImageSet,
  loadClassifier,
  resolveHyperparameters,
  saveClassifier,
} from '@fmnist/model';

/** Training and validation data of a trial, and the data commits they came from. */
export interface TrialData {
  train: ImageSet;
  validation: ImageSet;
  /** Dataset name → `repo@commit`, recorded with every checkpoint. */
  commits: Record<string, string>;
}

export interface TrialOptions {
  data: TrialData;
  /** Worker threads for training (1 when several trials share the machine). */
  workers?: number;
  log?: (line: string) => void;
  seed?: number;
}

/** The hyperparameters the model knows, from a trial's (possibly nested or extra) hyperparameters. */
export function modelHyperparameters(hparams: Record<string, unknown>): Record<string, unknown> {
  const { global_batch_size, ...rest } = hparams;
  return global_batch_size === undefined ? rest : { ...rest, global_batch_size };
}

/** Converts a searcher length to batches of this trial's training set. */
export function lengthInBatches(length: Length, trainCount: number, batchSize: number): number {
  const perEpoch = Math.ceil(trainCount / batchSize);
  switch (length.unit) {
    case 'batches':
      return Math.round(length.length);
    case 'epochs':
      return Math.round(length.length * perEpoch);
    case 'records':
      return Math.ceil(length.length / batchSize);
    default:
      throw new Error(
        `the searcher counts in "${length.unit}", which this trial cannot train by; use epochs, batches or records`,
      );
  }
}

function inUnits(batches: number, unit: string, trainCount: number, batchSize: number): number {
  if (unit === 'epochs') return batches / Math.ceil(trainCount / batchSize);
  if (unit === 'records') return batches * batchSize;
  return batches;
}

/** The code version of a checkout: its git commit, when there is one. */
export function codeVersion(cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/**
 * Runs one trial through Determined's Core API: resumes from the latest checkpoint, trains each
 * searcher operation's length, validates on schedule, reports metrics and checkpoints, and stops
 * cleanly when the master preempts it. The same code runs under the embedded master and Determined.
 */
export async function runTrial(ctx: TrialContext, options: TrialOptions): Promise<void> {
  const log = options.log ?? (() => {});
  const { train, validation } = options.data;
  const hp = resolveHyperparameters(modelHyperparameters(ctx.hparams));
  const seed = options.seed ?? ctx.trialId;
  let classifier: Classifier;
  const restored = await ctx.checkpoint.restore();
  if (restored) {
    classifier = await loadClassifier(restored.dir);
    log(
      `trial ${ctx.trialId}: resuming from checkpoint ${restored.uuid} at batch ${classifier.batchesTrained}`,
    );
  } else {
    classifier = await createClassifier({ hyperparameters: { ...hp }, seed });
  }
  const batchSize = classifier.batchSize;
  const unit = ctx.target?.unit ?? 'batches';
  const steps = (batches: number) => inUnits(batches, unit, train.count, batchSize);
  const validateEvery = ctx.config.minValidationPeriod
    ? lengthInBatches(ctx.config.minValidationPeriod, train.count, batchSize)
    : undefined;
  const version = codeVersion();

  const checkpoint = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-ckpt-'));
    try {
      await saveClassifier(classifier, join(dir, 'model'), {
        lineage: {
          data_commits: options.data.commits,
          experiment_id: ctx.experimentId,
          trial_id: ctx.trialId,
          code_version: version,
        },
      });
      const meta = classifier.metadata();
      return await ctx.checkpoint.store(join(dir, 'model'), steps(classifier.batchesTrained), {
        data_commits: options.data.commits,
        backend: meta.backend,
        code_version: version,
        format: 'fmnist-model',
        hyperparameters: { ...meta.hyperparameters },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  let preempted = false;
  try {
    for await (const op of ctx.searcher.operations()) {
      const target = lengthInBatches({ unit, length: op.length }, train.count, batchSize);
      let lastMetric: number | undefined;
      let batchesSinceCheck = 0;
      await classifier.train({
        train,
        validation,
        length: { batches: target },
        validateEveryBatches: validateEvery,
        workers: options.workers,
        onTrainingMetrics: (m) =>
          ctx.report.training(steps(m.batches), { loss: m.loss, accuracy: m.accuracy }),
        onValidation: async (m) => {
          // Reported under both common names, so either works as the searcher's metric.
          const metrics: Record<string, number> = {
            validation_loss: m.val_loss,
            validation_accuracy: m.val_accuracy,
            val_loss: m.val_loss,
            val_accuracy: m.val_accuracy,
          };
          lastMetric = metrics[ctx.config.searcher.metric];
          await ctx.report.validation(steps(m.batches), metrics);
          await op.reportProgress(steps(m.batches));
        },
        shouldStop: () => {
          // Asking the master costs a round trip; ask every few hundred batches.
          if (++batchesSinceCheck < 200) return preempted;
          batchesSinceCheck = 0;
          // A master that does not answer this time is asked again later; training goes on meanwhile.
          ctx.shouldPreempt().then(
            (p) => {
              preempted = p;
            },
            () => {},
          );
          return preempted;
        },
      });
      await checkpoint();
      if (preempted) {
        log(`trial ${ctx.trialId}: preempted at batch ${classifier.batchesTrained}; checkpoint stored`);
        return;
      }
      if (lastMetric === undefined) {
        throw new Error(
          `the searcher's metric "${ctx.config.searcher.metric}" is not one this trial reports; use val_accuracy, val_loss, validation_accuracy or validation_loss`,
        );
      }
      await op.reportCompleted(lastMetric);
    }
  } finally {
    classifier.dispose();
  }
}
