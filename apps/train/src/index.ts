export type { DataSpec, DataSplit } from './data.js';
export { DEFAULT_DATA, loadDataSplit, loadTrialData } from './data.js';
export type { TrialData, TrialOptions } from './trial.js';
export {
  codeVersion,
  DEFAULT_LENGTH,
  lengthFromEntrypoint,
  lengthInBatches,
  modelHyperparameters,
  runTrial,
  timeMetrics,
} from './trial.js';

/** The trial entrypoint script, for a master's trial runner. */
export const TRIAL_ENTRYPOINT = new URL('./main.js', import.meta.url);

/** The experiment configs that ship with fmnist. */
export const EXPERIMENT_CONFIGS = {
  const: new URL('../const.yaml', import.meta.url),
  adaptive: new URL('../adaptive.yaml', import.meta.url),
} as const;
