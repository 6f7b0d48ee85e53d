import { ModelError } from './errors.js';

/** What a model is built and trained from; names follow the experiment configs. */
export interface Hyperparameters {
  architecture: 'cnn' | 'mlp';
  /** Filters of the first and second convolution (cnn only). */
  filters1: number;
  filters2: number;
  /** Units of the hidden dense layer. */
  dense1: number;
  /**
   * Batch normalisation after each pooling layer (cnn only). Trained on each shard's statistics; the
   * statistics used for inference are measured afresh on training images whenever the model is shown
   * (validation, saving), so they match the weights shown, averaged or not.
   */
  batch_norm: boolean;
  /** Dropout rate after the hidden dense layer (cnn only). */
  dropout: number;
  /** Adam's learning rate in the first epoch. */
  learning_rate: number;
  /**
   * How the learning rate moves over the run: `exponential` multiplies it by `lr_decay` at every epoch
   * boundary; `cosine` lowers it along half a cosine from `learning_rate` at the first batch to 0 after
   * the run's last (the whole run's length, not one call's, so a resumed run follows the same curve).
   */
  lr_schedule: 'exponential' | 'cosine';
  /** The learning rate is multiplied by this at every epoch boundary (1: constant; exponential only). */
  lr_decay: number;
  /**
   * Validation and the saved model use an exponential moving average of the weights, updated after
   * every batch with this decay (0: off, the trained weights themselves). Early on the decay is
   * lowered to (1 + t) / (10 + t) at batch t, so short runs are not dominated by the initial weights.
   */
  ema_decay: number;
  /**
   * Decoupled weight decay (AdamW): every step first scales each weight by 1 - learning rate × this
   * (0: off, plain Adam).
   */
  weight_decay: number;
  /** Share of each one-hot target spread evenly over all classes (0: plain cross-entropy). */
  label_smoothing: number;
  /** Training images are shifted by up to this many pixels each way, at random per image (0: off). */
  augment_shift: number;
  /** Training images are mirrored left-right at random, half of the time (never upside down). */
  augment_flip: boolean;
  global_batch_size: number;
}

export const DEFAULT_HYPERPARAMETERS: Readonly<Hyperparameters> = {
  architecture: 'cnn',
  filters1: 32,
  filters2: 64,
  dense1: 128,
  batch_norm: false,
  dropout: 0.25,
  learning_rate: 1e-3,
  lr_schedule: 'exponential',
  lr_decay: 1,
  ema_decay: 0,
  weight_decay: 0,
  label_smoothing: 0,
  augment_shift: 0,
  augment_flip: false,
  global_batch_size: 64,
};

type Check = (v: unknown) => string | undefined;
const positiveInt: Check = (v) =>
  Number.isInteger(v) && (v as number) > 0 ? undefined : 'a positive integer';
const CHECKS: Record<keyof Hyperparameters, Check> = {
  architecture: (v) => (v === 'cnn' || v === 'mlp' ? undefined : '"cnn" or "mlp"'),
  filters1: positiveInt,
  filters2: positiveInt,
  dense1: positiveInt,
  batch_norm: (v) => (typeof v === 'boolean' ? undefined : 'true or false'),
  dropout: (v) =>
    typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'a number from 0 up to (not including) 1',
  learning_rate: (v) =>
    typeof v === 'number' && v > 0 && Number.isFinite(v) ? undefined : 'a positive number',
  lr_schedule: (v) => (v === 'exponential' || v === 'cosine' ? undefined : '"exponential" or "cosine"'),
  lr_decay: (v) => (typeof v === 'number' && v > 0 && v <= 1 ? undefined : 'a number above 0, up to 1'),
  ema_decay: (v) =>
    typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'a number from 0 (off) up to (not including) 1',
  weight_decay: (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a number from 0 (off) to 1'),
  label_smoothing: (v) =>
    typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'a number from 0 up to (not including) 1',
  augment_shift: (v) =>
    Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 8
      ? undefined
      : 'a whole number of pixels, 0 to 8',
  augment_flip: (v) => (typeof v === 'boolean' ? undefined : 'true or false'),
  global_batch_size: positiveInt,
};

/** Fills in defaults and checks every value; an unknown name is an error that lists the known ones. */
export function resolveHyperparameters(input: Record<string, unknown> = {}): Hyperparameters {
  const known = Object.keys(CHECKS);
  const unknown = Object.keys(input).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new ModelError(
      'BAD_HYPERPARAMETER',
      `unknown hyperparameter${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${known.join(', ')}`,
    );
  }
  const hp = { ...DEFAULT_HYPERPARAMETERS, ...input } as Record<string, unknown>;
  for (const [name, check] of Object.entries(CHECKS)) {
    const problem = check(hp[name]);
    if (problem) {
      throw new ModelError(
        'BAD_HYPERPARAMETER',
        `hyperparameter ${name} must be ${problem}, got ${JSON.stringify(hp[name])}`,
      );
    }
  }
  if (hp.lr_schedule === 'cosine' && hp.lr_decay !== 1) {
    throw new ModelError(
      'BAD_HYPERPARAMETER',
      `hyperparameter lr_decay (${hp.lr_decay}) applies to lr_schedule "exponential" only; with "cosine" leave it out or set it to 1`,
    );
  }
  return hp as unknown as Hyperparameters;
}
