// Determined experiment configs: parsed and checked the way a 0.38 master checks them.
export { flattenHyperparameters, gridAxis, parseHyperparameter } from './hyperparameters.js';
export { parseLength } from './lengths.js';
export { parseExperimentConfig } from './parse.js';
export { assertRunnableByDetermined } from './rules-038.js';
