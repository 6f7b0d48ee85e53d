/** A loaded model, as far as the gate needs it: class probabilities for a batch of images. */
export interface GateModel {
  /** `images` is [count, 28, 28, 1] normalised; returns count × 10 probabilities, row by row. */
  predictProbabilities(images: Float32Array, count: number): Float32Array | Promise<Float32Array>;
  dispose(): void;
}

/** One registered model version to test. Loading is deferred so that only one model is in memory at a time. */
export interface VersionInput {
  version: number;
  /** Free-form: hyperparameters, training metrics, experiment/trial ids, data commits, backend, checkpoint… */
  metadata: Record<string, unknown>;
  load: () => Promise<GateModel>;
}

/** The labelled test images every version is measured on. */
export interface TestSet {
  /** Normalised pixels, [count, 28, 28, 1]. */
  images: Float32Array;
  /** Raw 0..255 pixels for the report's thumbnails; when absent they are derived from `images`. */
  pixels?: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** Where the data came from, e.g. a data commit `fmnist-test-raw@<commit>`. */
  source: string;
}

/** Which versions must reach the threshold: every one, or only the highest version number. */
export type GateMode = 'all' | 'latest';

export interface AccuracyGateOptions {
  /** The registry's model name, e.g. `fashion-classifier`. */
  model: string;
  versions: VersionInput[];
  testSet: TestSet;
  /** Default 0.92 (DEFAULT_MIN_ACCURACY). */
  minAccuracy?: number;
  /** Default `all`. */
  gate?: GateMode;
  /** Where report.json, report.md, report.html and junit.xml are written (created if missing). */
  reportDir: string;
  /** For reproducible reports; default: now. */
  now?: () => Date;
}

export interface ClassMetrics {
  name: string;
  /** null when the model never predicted this class. */
  precision: number | null;
  /** null when the test set has no example of this class. */
  recall: number | null;
  support: number;
}

export interface Misclassified {
  /** Position in the test set. */
  index: number;
  true: number;
  predicted: number;
  /** The probability the model gave its (wrong) prediction. */
  confidence: number;
}

export interface VersionReport {
  version: number;
  metadata: Record<string, unknown>;
  metrics: { accuracy: number; loss: number };
  perClass: ClassMetrics[];
  /** confusion[true][predicted] = count. */
  confusion: number[][];
  /** The most confident mistakes, at most 36. */
  misclassified: Misclassified[];
  timings: { loadMs: number; predictMs: number; imagesPerSecond: number };
  /** accuracy ≥ threshold. */
  passed: boolean;
  /** Whether this version decides the gate. */
  gated: boolean;
}

export interface GateReport {
  model: string;
  generatedAt: string;
  threshold: number;
  gate: GateMode;
  testSet: { source: string; count: number };
  versions: VersionReport[];
  passed: boolean;
}

export interface GateFailure {
  version: number;
  accuracy: number;
  /** threshold − accuracy, > 0. */
  shortfall: number;
}

export interface GateResult {
  passed: boolean;
  failures: GateFailure[];
  reportDir: string;
  report: GateReport;
}
