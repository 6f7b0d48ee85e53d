import type { BackendName } from './backend.js';
import type { Normalization } from './dataset.js';
import type { Hyperparameters } from './hyperparameters.js';

/** How much to train: an absolute budget counted from the model's first batch. */
export type TrainingLength = { epochs: number } | { batches: number };

export interface TrainingProgress {
  /** Batches trained since the model was created (including earlier runs). */
  batches: number;
  /** The batch count this run stops at. */
  targetBatches: number;
  /** Epochs completed, fractional. */
  epochs: number;
  loss: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface TrainingMetrics {
  batches: number;
  epochs: number;
  loss: number;
  accuracy: number;
}

export interface ValidationMetrics {
  batches: number;
  epochs: number;
  val_loss: number;
  val_accuracy: number;
}

export interface Evaluation {
  count: number;
  accuracy: number;
  loss: number;
  /** Per class, in label order. */
  precision: number[];
  recall: number[];
  /** confusion[true][predicted] */
  confusion: number[][];
  classNames: string[];
}

/** What `metadata.json` beside a saved model holds. */
export interface ModelMetadata {
  format: 'fmnist-model';
  formatVersion: 1;
  classNames: string[];
  inputShape: number[];
  normalization: Normalization;
  hyperparameters: Hyperparameters;
  seed: number;
  backend: BackendName;
  training: { batches: number; epochs: number; images: number };
  metrics: Record<string, number>;
  /** Free-form provenance: data commits, experiment and trial ids, code version. */
  lineage: Record<string, unknown>;
  createdAt: string;
  tfjsVersion: string;
}

/** How the caller's pixels are scaled: bytes 0..255, or floats 0..1. */
export type PixelRange = 'uint8' | 'unit';
