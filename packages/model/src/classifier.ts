import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildModel, INPUT_SHAPE, NUM_CLASSES } from './architecture.js';
import { currentBackend, initBackend } from './backend.js';
import { calibrateBatchNorm } from './batch-norm.js';
import { DEFAULT_NORMALIZATION, type ImageSet, type Normalization } from './dataset.js';
import { ModelError } from './errors.js';
import { CLASS_NAMES } from './fashion-mnist/classes.js';
import { FlatAdam } from './flat-adam.js';
import { type Hyperparameters, resolveHyperparameters } from './hyperparameters.js';
import { KeptWorkers } from './parallel.js';
import { PIXELS, Replica, SHARDS } from './replica.js';
import { scorePredictions } from './score.js';
import { StepRunner } from './steps.js';
import type {
  Evaluation,
  ModelMetadata,
  PixelRange,
  TrainingLength,
  TrainingMetrics,
  TrainingProgress,
  ValidationMetrics,
} from './types.js';

export interface TrainOptions {
  train: ImageSet;
  /** Evaluated at the end of each epoch and of the run. */
  validation?: ImageSet;
  length: TrainingLength;
  /**
   * The whole run's length in batches, which the learning-rate schedule spans (lr_schedule: cosine);
   * default: `length`. A trial that trains in chunks passes its full length so every chunk, and a
   * resumed run, continues the same curve.
   */
  runBatches?: number;
  /** Validate every this many batches as well (Determined's min_validation_period). */
  validateEveryBatches?: number;
  onProgress?: (p: TrainingProgress) => void;
  onTrainingMetrics?: (m: TrainingMetrics) => void | Promise<void>;
  onValidation?: (m: ValidationMetrics) => void | Promise<void>;
  /** Checked between batches; training stops early when it returns true. */
  shouldStop?: () => boolean;
  /**
   * Worker threads training data-parallel (1 or 2); results are identical either way. Defaults to
   * FMNIST_WORKERS, else 2 on the wasm backend with two cores and a training set worth the start-up.
   */
  workers?: number;
  /**
   * Keep the worker threads for the next call on the same training set, as a trial training in chunks
   * does: starting them costs about a second each time. They never keep the process alive;
   * `closeWorkers()` ends them.
   */
  keepWorkers?: boolean;
}

export interface TrainResult {
  batches: number;
  epochs: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  workers: number;
  training?: TrainingMetrics;
  validation?: ValidationMetrics;
}

export interface ClassifierOptions {
  hyperparameters?: Record<string, unknown>;
  seed?: number;
  normalization?: Normalization;
}

/** A Fashion-MNIST classifier: build, train, evaluate, predict, save. */
export class Classifier {
  /** Batches trained so far; the data order of batch b is fixed by the seed. */
  batchesTrained = 0;
  /** Epochs trained so far, fractional, on the training set last used. */
  epochsTrained = 0;
  metrics: Record<string, number> = {};
  lineage: Record<string, unknown> = {};
  /**
   * The trained weights as one flat vector, and the optimiser that updates them (and keeps their
   * average when ema_decay is on). Outside training the model itself holds the average.
   */
  readonly replica: Replica;
  readonly adam: FlatAdam;
  private readonly workers = new KeptWorkers();
  /** The batch and training set the batch-normalisation statistics were last measured for. */
  private calibrated: { batches: number; data: ImageSet } | undefined;

  constructor(
    readonly model: tfl.LayersModel,
    readonly hyperparameters: Hyperparameters,
    readonly seed: number,
    readonly normalization: Normalization = DEFAULT_NORMALIZATION,
  ) {
    this.replica = new Replica(model);
    const { learning_rate, ema_decay, weight_decay } = hyperparameters;
    this.adam = new FlatAdam(this.replica.size, learning_rate, ema_decay, weight_decay);
    this.adam.startAverage(this.replica.weights);
  }

  get batchSize(): number {
    return this.hyperparameters.global_batch_size;
  }

  /** Trains until the budget is reached, continuing from `batchesTrained`. */
  async train(options: TrainOptions): Promise<TrainResult> {
    const { train } = options;
    checkImageSet(train, 'training set');
    if (options.validation) checkImageSet(options.validation, 'validation set');
    const batchSize = this.batchSize;
    const perEpoch = Math.ceil(train.count / batchSize);
    const target =
      'epochs' in options.length ? Math.round(options.length.epochs * perEpoch) : options.length.batches;
    if (!Number.isInteger(target) || target < 0) {
      throw new ModelError(
        'BAD_INPUT',
        `training length must be a whole, non-negative budget, got ${JSON.stringify(options.length)}`,
      );
    }
    const runBatches = options.runBatches ?? target;
    if (
      !Number.isInteger(runBatches) ||
      runBatches < 1 ||
      (this.hyperparameters.lr_schedule === 'cosine' && runBatches < target)
    ) {
      throw new ModelError(
        'BAD_INPUT',
        `runBatches must be a whole number of batches, at least the ${target} trained to, got ${runBatches}`,
      );
    }
    const workers = resolveWorkers(options.workers, train.count);
    let start = performance.now();
    const startBatches = this.batchesTrained;
    let images = 0;
    // Metrics since the last report, and at the last progress update.
    let period = { lossSum: 0, hits: 0, seen: 0 };
    let lastTraining: TrainingMetrics | undefined;
    let lastValidation: ValidationMetrics | undefined;

    const progress = (batches: number, done: { lossSum: number; seen: number }, seenNow: number) => {
      const secs = (performance.now() - start) / 1000;
      const rate = (images + seenNow) / Math.max(secs, 1e-9);
      options.onProgress?.({
        batches,
        targetBatches: target,
        epochs: batches / perEpoch,
        loss: done.seen ? done.lossSum / done.seen : 0,
        imagesPerSecond: rate,
        etaSeconds: ((target - batches) * batchSize) / Math.max(rate, 1e-9),
      });
    };

    const pool =
      workers > 1 && this.batchesTrained < target
        ? await this.workers.get({
            workers,
            backend: currentBackend(),
            hyperparameters: this.hyperparameters,
            seed: this.seed,
            batchSize,
            weightCount: this.replica.size,
            data: train,
          })
        : undefined;
    let failed = true;
    const runner = pool
      ? undefined
      : new StepRunner(this.replica, this.adam, train, this.hyperparameters, this.seed);
    // Rates measure training, not the workers' one-off start-up.
    start = performance.now();
    try {
      while (this.batchesTrained < target) {
        if (options.shouldStop?.()) break;
        const from = this.batchesTrained;
        // Training steps from the trained weights, which the model holds only during training.
        if (runner && this.adam.average) this.replica.writeWeights();
        const every = options.validateEveryBatches;
        let to = Math.min(target, (Math.floor(from / perEpoch) + 1) * perEpoch);
        if (every) to = Math.min(to, (Math.floor(from / every) + 1) * every);
        if (pool) {
          to = Math.min(to, from + 64);
          const done = await pool.run(
            {
              from,
              to,
              runBatches,
              weights: this.replica.weights,
              adam: this.adam.state(),
              progressEvery: 4,
            },
            (p) =>
              progress(
                p.batches,
                { lossSum: period.lossSum + p.lossSum, seen: period.seen + p.seen },
                p.seen,
              ),
          );
          this.replica.weights.set(done.weights);
          this.replica.writeWeights();
          this.adam.restore(done.adam);
          period = {
            lossSum: period.lossSum + done.lossSum,
            hits: period.hits + done.hits,
            seen: period.seen + done.seen,
          };
          images += done.seen;
          this.batchesTrained = to;
          progress(to, period, 0);
        } else {
          for (let b = from; b < to; b++) {
            if (b > from && options.shouldStop?.()) break;
            const r = (runner as StepRunner).step(b, runBatches);
            period = {
              lossSum: period.lossSum + r.lossSum,
              hits: period.hits + r.hits,
              seen: period.seen + r.n,
            };
            images += r.n;
            this.batchesTrained = b + 1;
            progress(b + 1, period, 0);
            // Let timers and signals run between batches.
            if ((b + 1) % 16 === 0) await new Promise((r) => setImmediate(r));
          }
        }
        this.epochsTrained = this.batchesTrained / perEpoch;
        const atEpochEnd = this.batchesTrained % perEpoch === 0;
        const atEnd = this.batchesTrained >= target;
        const periodic = every !== undefined && this.batchesTrained % every === 0;
        if ((atEpochEnd || atEnd || periodic) && period.seen > 0) {
          lastTraining = {
            batches: this.batchesTrained,
            epochs: this.epochsTrained,
            loss: period.lossSum / period.seen,
            accuracy: period.hits / period.seen,
          };
          this.metrics = { ...this.metrics, loss: lastTraining.loss, accuracy: lastTraining.accuracy };
          await options.onTrainingMetrics?.(lastTraining);
          period = { lossSum: 0, hits: 0, seen: 0 };
          if (options.validation) {
            this.showAverage(train);
            const ev = this.evaluate(options.validation);
            lastValidation = {
              batches: this.batchesTrained,
              epochs: this.epochsTrained,
              val_loss: ev.loss,
              val_accuracy: ev.accuracy,
            };
            this.metrics = { ...this.metrics, val_loss: ev.loss, val_accuracy: ev.accuracy };
            await options.onValidation?.(lastValidation);
          }
        }
      }
      failed = false;
    } finally {
      if (pool && options.keepWorkers && !failed) pool.unref();
      else await this.workers.close();
      this.showAverage(train);
    }
    const seconds = (performance.now() - start) / 1000;
    return {
      batches: this.batchesTrained - startBatches,
      epochs: this.epochsTrained,
      images,
      seconds,
      imagesPerSecond: images / Math.max(seconds, 1e-9),
      workers,
      training: lastTraining,
      validation: lastValidation,
    };
  }

  /**
   * Puts the weight average (when ema_decay is on) into the model, for validation, prediction and saving,
   * and measures the batch-normalisation statistics (if any) for the weights shown.
   */
  private showAverage(train: ImageSet): void {
    if (this.adam.average) this.replica.writeWeights(this.adam.average);
    const last = this.calibrated;
    if (last?.batches === this.batchesTrained && last.data === train) return;
    calibrateBatchNorm(this.model, train.images, train.count);
    this.calibrated = { batches: this.batchesTrained, data: train };
  }

  /** Class probabilities, `count × 10`, for images given as bytes (0..255) or floats (0..1). */
  predict(input: Uint8Array | Float32Array | number[], pixels: PixelRange): Float32Array {
    const normalized = this.normalizeInput(input, pixels);
    return this.predictNormalized(normalized, normalized.length / PIXELS);
  }

  /** Turns caller pixels into model input, checking shape, type and range. */
  normalizeInput(input: Uint8Array | Float32Array | number[], pixels: PixelRange): Float32Array {
    if (pixels !== 'uint8' && pixels !== 'unit') {
      throw new ModelError(
        'BAD_INPUT',
        `pixel range must be "uint8" (0..255) or "unit" (0..1), got ${JSON.stringify(pixels)}`,
      );
    }
    if (input.length === 0 || input.length % PIXELS !== 0) {
      throw new ModelError(
        'BAD_INPUT',
        `input holds ${input.length} values; expected a multiple of ${PIXELS} (images of ${INPUT_SHAPE.slice(0, 2).join('×')} pixels)`,
      );
    }
    const max = pixels === 'uint8' ? 255 : 1;
    const scale = this.normalization.scale * (255 / max);
    const { offset } = this.normalization;
    const out = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const v = input[i] as number;
      if (!(v >= 0 && v <= max)) {
        throw new ModelError(
          'BAD_INPUT',
          `pixel ${i} is ${v}; ${pixels === 'uint8' ? 'bytes must be 0..255' : 'unit pixels must be 0..1'}`,
        );
      }
      out[i] = v * scale + offset;
    }
    return out;
  }

  /** Probabilities for input that is already normalised. */
  predictNormalized(images: Float32Array, count: number, batch = 256): Float32Array {
    const out = new Float32Array(count * NUM_CLASSES);
    for (let from = 0; from < count; from += batch) {
      const n = Math.min(batch, count - from);
      const probs = tf.tidy(() => {
        const xs = tf.tensor4d(images.subarray(from * PIXELS, (from + n) * PIXELS), [n, ...INPUT_SHAPE]);
        return (this.model.predict(xs) as tf.Tensor).dataSync() as Float32Array;
      });
      out.set(probs, from * NUM_CLASSES);
    }
    return out;
  }

  /** Accuracy, loss, per-class precision and recall, and the confusion matrix on a labelled set. */
  evaluate(set: ImageSet): Evaluation {
    checkImageSet(set, 'evaluation set');
    const probs = this.predictNormalized(set.images, set.count);
    return scorePredictions(probs, set.labels);
  }

  metadata(): ModelMetadata {
    return {
      format: 'fmnist-model',
      formatVersion: 1,
      classNames: [...CLASS_NAMES],
      inputShape: [...INPUT_SHAPE],
      normalization: this.normalization,
      hyperparameters: this.hyperparameters,
      seed: this.seed,
      backend: currentBackend(),
      training: {
        batches: this.batchesTrained,
        epochs: this.epochsTrained,
        images: this.batchesTrained * this.batchSize,
      },
      metrics: this.metrics,
      lineage: this.lineage,
      createdAt: new Date().toISOString(),
      tfjsVersion: tf.version_core,
    };
  }

  /** Ends the worker threads a run kept (`keepWorkers`). */
  closeWorkers(): Promise<void> {
    return this.workers.close();
  }

  dispose(): void {
    void this.workers.close();
    this.model.dispose();
  }
}

/** Builds a new, untrained classifier on the chosen backend. */
export async function createClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  await initBackend();
  const hp = resolveHyperparameters(options.hyperparameters);
  const seed = options.seed ?? 0;
  return new Classifier(buildModel(hp, seed), hp, seed, options.normalization);
}

function resolveWorkers(requested: number | undefined, count: number): number {
  const env = process.env.FMNIST_WORKERS;
  const value = requested ?? (env ? Number(env) : undefined);
  if (value !== undefined) {
    if (!Number.isInteger(value) || value < 1 || value > SHARDS) {
      throw new ModelError(
        'BAD_INPUT',
        `workers must be a whole number from 1 to ${SHARDS}, got ${env && requested === undefined ? `FMNIST_WORKERS=${env}` : value}`,
      );
    }
    return value;
  }
  // Native TensorFlow threads by itself; small runs do not repay the workers' start-up.
  return currentBackend() === 'wasm' && availableParallelism() >= 2 && count >= 4096 ? SHARDS : 1;
}

function checkImageSet(set: ImageSet, what: string): void {
  if (set.height !== INPUT_SHAPE[0] || set.width !== INPUT_SHAPE[1]) {
    throw new ModelError(
      'BAD_INPUT',
      `${what} has ${set.height}×${set.width} images; the model takes ${INPUT_SHAPE[0]}×${INPUT_SHAPE[1]}`,
    );
  }
  if (set.images.length !== set.count * PIXELS || set.labels.length !== set.count) {
    throw new ModelError(
      'BAD_INPUT',
      `${what} holds ${set.images.length / PIXELS} images and ${set.labels.length} labels for a count of ${set.count}`,
    );
  }
  if (set.count === 0) throw new ModelError('BAD_INPUT', `${what} is empty`);
}
