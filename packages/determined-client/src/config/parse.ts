import { ConfigError } from '../errors.js';
import type { Hyperparameter, ParsedConfig } from '../types.js';
import { parseHyperparameter } from './hyperparameters.js';
import { parseLength } from './lengths.js';
import { parseSearcher } from './searcher.js';
import { checkTopLevelShapes } from './top-level.js';
import { isObj, optional, posInt, show, str } from './values.js';
import { parseConfigYaml } from './yaml.js';

/** Top-level fields of Determined's experiment config that change nothing on the embedded master. */
const IGNORED_LOCALLY: Record<string, string> = {
  bind_mounts: 'no containers locally',
  checkpoint_storage: 'checkpoints are kept in <home>/determined/checkpoints',
  data_layer: 'deprecated',
  debug: 'no effect',
  entrypoint: 'the trial command is set by the program that runs the experiment',
  environment: 'no containers locally',
  integrations: 'no effect',
  internal: 'no effect',
  log_policies: 'no effect',
  optimizations: 'no effect',
  pbs: 'no HPC scheduler locally',
  perform_initial_validation: 'no effect',
  preemption_timeout: 'no effect',
  profiling: 'no effect',
  project: 'no projects locally',
  resources: 'one trial process per worker; set max_concurrent_trials to cap',
  retention_policy: 'logs are kept',
  scheduling_unit: 'no effect',
  security: 'no effect',
  slurm: 'no HPC scheduler locally',
  tensorboard_storage: 'no effect',
  workspace: 'no workspaces locally',
};
const KNOWN_TOP = new Set([
  ...Object.keys(IGNORED_LOCALLY),
  // Free-form, for the trial: it reaches the trial with the config (fmnist reads data repos from it).
  'data',
  // Read by the trial: checkpoint after each validation (all), after a best one (best, the default), or not.
  'checkpoint_policy',
  'description',
  'hyperparameters',
  'labels',
  'max_restarts',
  'min_checkpoint_period',
  'min_validation_period',
  'name',
  'records_per_epoch',
  'reproducibility',
  'searcher',
]);

/**
 * Parses and validates a Determined experiment config (YAML text or an object). Throws ConfigError
 * naming the field at fault. Fields without effect on the embedded master are accepted and listed in
 * `ignored`.
 */
export function parseExperimentConfig(input: string | Record<string, unknown>): ParsedConfig {
  const raw: unknown = typeof input === 'string' ? parseConfigYaml(input) : input;
  if (!isObj(raw)) throw new ConfigError('', `an experiment config is a mapping of fields, got ${show(raw)}`);
  const warnings: string[] = [];
  const ignored: string[] = [];
  for (const k of Object.keys(raw)) {
    if (!KNOWN_TOP.has(k)) throw new ConfigError(k, 'unknown field in an experiment config');
    const why = IGNORED_LOCALLY[k];
    if (why && raw[k] !== null && raw[k] !== undefined) ignored.push(`${k} (${why})`);
  }

  checkTopLevelShapes(raw);

  const hpsRaw = raw.hyperparameters ?? {};
  if (!isObj(hpsRaw)) throw new ConfigError('hyperparameters', `expected a mapping, got ${show(hpsRaw)}`);
  const hyperparameters: Record<string, Hyperparameter> = {};
  for (const [k, v] of Object.entries(hpsRaw))
    hyperparameters[k] = parseHyperparameter(v, `hyperparameters.${k}`);

  const searcher = parseSearcher(raw.searcher, hyperparameters, warnings);
  const name = optional(raw, 'name', '', str) ?? 'experiment';
  const description = optional(raw, 'description', '', str) ?? '';
  const labels =
    optional(raw, 'labels', '', (v, p) => {
      // A list only: a 0.38 master refuses a mapping (experiment.json).
      if (Array.isArray(v)) return v.map((x, i) => str(x, `${p}[${i}]`));
      throw new ConfigError(p, `expected a list of strings, got ${show(v)}`);
    }) ?? [];
  const recordsPerEpoch = optional(raw, 'records_per_epoch', '', (v, p) => posInt(v, p, 0)) || null;
  if (recordsPerEpoch !== null)
    warnings.push('records_per_epoch is deprecated in Determined; it is still honoured');
  const minValidationPeriod =
    optional(raw, 'min_validation_period', '', (v, p) => parseLength(v, p, { allowZero: true })) ?? null;
  const minCheckpointPeriod =
    optional(raw, 'min_checkpoint_period', '', (v, p) => parseLength(v, p, { allowZero: true })) ?? null;
  const maxRestarts = optional(raw, 'max_restarts', '', (v, p) => posInt(v, p, 0)) ?? 5;
  const checkpointStorage =
    optional(raw, 'checkpoint_storage', '', (v, p) => {
      if (!isObj(v)) throw new ConfigError(p, `expected a mapping, got ${show(v)}`);
      return v;
    }) ?? null;
  const entrypoint =
    optional(raw, 'entrypoint', '', (v, p) => {
      if (typeof v === 'string') return v;
      if (Array.isArray(v)) return v.map((x, i) => str(x, `${p}[${i}]`));
      throw new ConfigError(p, `expected a string or a list of strings, got ${show(v)}`);
    }) ?? null;
  const repro = optional(raw, 'reproducibility', '', (v, p) => {
    if (!isObj(v)) throw new ConfigError(p, `expected a mapping, got ${show(v)}`);
    return v;
  });
  const seed =
    (repro && optional(repro, 'experiment_seed', 'reproducibility', (v, p) => posInt(v, p, 0))) ??
    Math.floor(Math.random() * 2 ** 31);
  return {
    config: {
      name,
      description,
      labels,
      hyperparameters,
      searcher,
      recordsPerEpoch,
      minValidationPeriod,
      minCheckpointPeriod,
      maxRestarts,
      checkpointStorage,
      entrypoint,
      seed,
      raw,
    },
    warnings,
    ignored,
  };
}
