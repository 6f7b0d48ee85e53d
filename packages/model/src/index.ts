export { buildModel, INPUT_SHAPE, NUM_CLASSES } from './architecture.js';
export type { BackendChoice, BackendName, BackendOptions } from './backend.js';
export { BACKENDS, currentBackend, initBackend, resetBackendChoice } from './backend.js';
export type { ClassifierOptions, TrainOptions, TrainResult } from './classifier.js';
export { Classifier, createClassifier } from './classifier.js';
export * from './data.js';
export { ModelError } from './errors.js';
export type { Hyperparameters } from './hyperparameters.js';
export { DEFAULT_HYPERPARAMETERS, resolveHyperparameters } from './hyperparameters.js';
export { WASM_TRAINING_KERNELS } from './kernels/index.js';
export type { SaveOptions } from './persist.js';
export { loadClassifier, MODEL_FILES, readModelMetadata, saveClassifier } from './persist.js';
export { scorePredictions } from './score.js';
export type {
  Evaluation,
  ModelMetadata,
  PixelRange,
  TrainingLength,
  TrainingMetrics,
  TrainingProgress,
  ValidationMetrics,
} from './types.js';
