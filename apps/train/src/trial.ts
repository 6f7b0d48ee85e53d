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

/** Converts a searcher length to batches of this trial's training set (always a whole number). */
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

/** Where training stands in every unit a searcher may count in: what goes with each validation as its time metric. */
export function timeMetrics(batches: number, trainCount: number, batchSize: number) {
  return { batches, epochs: batches / Math.ceil(trainCount / batchSize), records: batches * batchSize };
}

/** Training length when the searcher sets none (Determined 0.38): `--epochs N` / `--batches N` in the entrypoint. */
export const DEFAULT_LENGTH: Length = { unit: 'epochs', length: 1 };

export function lengthFromEntrypoint(args: readonly string[]): Length | null {
  for (let i = 0; i < args.length; i++) {
    const m = /^--(epochs|batches|records)(?:=(.+))?$/.exec(args[i]!);
    if (!m) continue;
    const n = Number(m[2] ?? args[i + 1]);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`--${m[1]} needs a positive number, got ${m[2] ?? args[i + 1]}`);
    return { unit: m[1]!, length: n };
  }
  return null;
}

function entrypointArgs(entrypoint: string | string[] | null): string[] {
  if (!entrypoint) return [];
  return Array.isArray(entrypoint) ? entrypoint : entrypoint.split(/\s+/).filter(Boolean);
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
 * Runs one trial through Determined's Core API: resumes from the latest checkpoint, trains to the
 * searcher's length (or the entrypoint's `--epochs N` when the searcher sets none), validates on
 * schedule with the time metric in every report, checkpoints every `min_checkpoint_period` and after
 * validations as `checkpoint_policy` says (default `best`), and on preemption checkpoints and returns.
 * `stepsCompleted` is always the whole number of batches trained.
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
  const perEpoch = Math.ceil(train.count / batchSize);
  const inBatches = (l: Length) => lengthInBatches(l, train.count, batchSize);
  const validateEvery = ctx.config.minValidationPeriod ? inBatches(ctx.config.minValidationPeriod) : 0;
  const checkpointEvery = ctx.config.minCheckpointPeriod ? inBatches(ctx.config.minCheckpointPeriod) : 0;
  const policy = String(ctx.config.raw.checkpoint_policy ?? 'best');
  const metricName = ctx.config.searcher.metric;
  const better = (a: number, b: number) => (ctx.config.searcher.smallerIsBetter ? a < b : a > b);
  const version = codeVersion();
  let lastCheckpointAt = restored ? classifier.batchesTrained : -1;
  let best: number | undefined;

  const checkpoint = async () => {
    if (lastCheckpointAt === classifier.batchesTrained) return;
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
      await ctx.checkpoint.store(join(dir, 'model'), classifier.batchesTrained, {
        data_commits: options.data.commits,
        backend: meta.backend,
        code_version: version,
        format: 'fmnist-model',
        hyperparameters: { ...meta.hyperparameters },
      });
      lastCheckpointAt = classifier.batchesTrained;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  let preempted = false;
  let batchesSinceCheck = 0;
  const shouldStop = () => {
    // Asking the master costs a round trip; ask every few hundred batches.
    if (++batchesSinceCheck < 200) return preempted;
    batchesSinceCheck = 0;
    // A master that does not answer this time is asked again later; training goes on meanwhile.
    ctx.shouldPreempt().then(
      (p) => {
        preempted ||= p;
      },
      () => {},
    );
    return preempted;
  };

  try {
    for await (const op of ctx.searcher.operations()) {
      const length =
        op.length !== null && ctx.target
          ? { unit: ctx.target.unit, length: op.length }
          : (lengthFromEntrypoint(process.argv.slice(2)) ??
            lengthFromEntrypoint(entrypointArgs(ctx.config.entrypoint)) ??
            DEFAULT_LENGTH);
      const target = inBatches(length);
      if (target < 1) throw new Error(`the trial's length ${JSON.stringify(length)} is less than one batch`);
      // A schedule over the run (lr_schedule: cosine) spans a full-length trial, the searcher's budget
      // when it sets one: a trial promoted to a longer rung, or resumed, stays on the same curve.
      const maxLength = ctx.config.searcher.maxLength;
      const runBatches = Math.max(target, maxLength ? inBatches(maxLength) : target);
      let lastMetric: number | undefined;
      // Chunks end at each epoch, validation and checkpoint boundary, so a checkpoint can be taken between them.
      while (classifier.batchesTrained < target && !preempted) {
        const from = classifier.batchesTrained;
        const next = (every: number) =>
          every ? (Math.floor(from / every) + 1) * every : Number.POSITIVE_INFINITY;
        const to = Math.min(target, next(perEpoch), next(validateEvery), next(checkpointEvery));
        const validates =
          to === target || to % perEpoch === 0 || (validateEvery > 0 && to % validateEvery === 0);
        let validatedBest = false;
        await classifier.train({
          train,
          validation: validates ? validation : undefined,
          length: { batches: to },
          runBatches,
          workers: options.workers,
          // The chunks of one trial share their worker threads (closed with the classifier below).
          keepWorkers: true,
          onTrainingMetrics: (m) => ctx.report.training(m.batches, { loss: m.loss, accuracy: m.accuracy }),
          onValidation: async (m) => {
            // Reported under both common names, so either works as the searcher's metric.
            const metrics: Record<string, number> = {
              ...timeMetrics(m.batches, train.count, batchSize),
              validation_loss: m.val_loss,
              validation_accuracy: m.val_accuracy,
              val_loss: m.val_loss,
              val_accuracy: m.val_accuracy,
            };
            lastMetric = metrics[metricName];
            if (lastMetric !== undefined && (best === undefined || better(lastMetric, best))) {
              best = lastMetric;
              validatedBest = true;
            }
            await ctx.report.validation(m.batches, metrics);
            await op.reportProgress(
              op.length !== null ? Math.min(op.length, (m.batches / target) * op.length) : 0,
            );
            if (op.length === null) await ctx.searcher.progress(Math.min(1, m.batches / target));
          },
          shouldStop,
        });
        // Between chunks the master is asked as well: a preemption waits at most one chunk.
        if (!preempted) preempted = await ctx.shouldPreempt().catch(() => false);
        const at = classifier.batchesTrained;
        if (
          (checkpointEvery > 0 && at - Math.max(lastCheckpointAt, 0) >= checkpointEvery) ||
          (validates && (policy === 'all' || (policy === 'best' && validatedBest)))
        ) {
          await checkpoint();
        }
      }
      await checkpoint();
      if (preempted) {
        log(`trial ${ctx.trialId}: preempted at batch ${classifier.batchesTrained}; checkpoint stored`);
        return;
      }
      if (lastMetric === undefined) {
        throw new Error(
          `the searcher's metric "${metricName}" is not one this trial reports; use val_accuracy, val_loss, validation_accuracy or validation_loss`,
        );
      }
      await op.reportCompleted(lastMetric);
    }
  } finally {
    await classifier.closeWorkers();
    classifier.dispose();
  }
}
