import type { Hyperparameters } from './hyperparameters.js';

/**
 * The learning rate of batch `batch` (0-based) of a run of `runBatches` batches, `perEpoch` to an epoch.
 * A pure function of its arguments, so one thread, several workers and a resumed run agree.
 */
export function learningRateAt(
  hp: Pick<Hyperparameters, 'learning_rate' | 'lr_schedule' | 'lr_decay'>,
  batch: number,
  perEpoch: number,
  runBatches: number,
): number {
  if (hp.lr_schedule === 'cosine') {
    // Past the run's planned end the rate stays at 0: a longer run must say so in runBatches.
    const progress = runBatches > 0 ? Math.min(batch / runBatches, 1) : 1;
    return hp.learning_rate * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
  return hp.learning_rate * hp.lr_decay ** Math.floor(batch / perEpoch);
}

/** The decay of the weight average at batch `t` (0-based): `ema_decay`, lowered early in a run. */
export function averageDecayAt(emaDecay: number, t: number): number {
  return Math.min(emaDecay, (1 + t) / (10 + t));
}
