import { ConfigError } from '../errors.js';
import type { AshaMode, Hyperparameter, Length, SearcherConfig, SearcherName } from '../types.js';
import { gridSize } from './hyperparameters.js';
import { parseLength } from './lengths.js';
import { bool, isObj, join, num, optional, posInt, show, str } from './values.js';

const SEARCHERS: readonly SearcherName[] = ['single', 'random', 'grid', 'adaptive_asha'];
/** Searchers Determined knows but the embedded master does not run. */
const OTHER_DETERMINED_SEARCHERS = [
  'custom',
  'async_halving',
  'adaptive',
  'adaptive_simple',
  'sync_halving',
  'pbt',
];

const SEARCHER_KEYS: Record<SearcherName, string[]> = {
  single: ['name', 'max_length', 'metric', 'smaller_is_better', 'source_trial_id', 'source_checkpoint_uuid'],
  random: [
    'name',
    'max_concurrent_trials',
    'max_trials',
    'max_length',
    'metric',
    'smaller_is_better',
    'source_trial_id',
    'source_checkpoint_uuid',
  ],
  grid: [
    'name',
    'max_concurrent_trials',
    'max_length',
    'metric',
    'smaller_is_better',
    'source_trial_id',
    'source_checkpoint_uuid',
  ],
  adaptive_asha: [
    'name',
    'bracket_rungs',
    'max_trials',
    'time_metric',
    'max_time',
    'mode',
    'divisor',
    'max_rungs',
    'max_concurrent_trials',
    'max_length',
    'stop_once',
    'metric',
    'smaller_is_better',
    'source_trial_id',
    'source_checkpoint_uuid',
  ],
};

export function parseSearcher(
  v: unknown,
  hps: Record<string, Hyperparameter>,
  warnings: string[],
): SearcherConfig {
  const path = 'searcher';
  if (v === undefined || v === null)
    throw new ConfigError(path, 'required (e.g. {name: single, metric: validation_loss})');
  if (!isObj(v)) throw new ConfigError(path, `expected a mapping, got ${show(v)}`);
  const name = v.name;
  if (name === undefined)
    throw new ConfigError('searcher.name', 'required: one of single, random, grid, adaptive_asha');
  if (typeof name !== 'string' || !(SEARCHERS as readonly string[]).includes(name)) {
    const why = OTHER_DETERMINED_SEARCHERS.includes(String(name))
      ? `the embedded master does not run the ${show(name)} searcher`
      : `unknown searcher ${show(name)}`;
    throw new ConfigError('searcher.name', `${why}; expected one of ${SEARCHERS.join(', ')}`);
  }
  const sname = name as SearcherName;
  for (const k of Object.keys(v)) {
    if (!SEARCHER_KEYS[sname].includes(k)) {
      throw new ConfigError(join(path, k), `unknown field for the ${sname} searcher`);
    }
  }
  if (v.metric === undefined || v.metric === null) {
    throw new ConfigError('searcher.metric', 'required: the validation metric the search compares trials by');
  }
  const metric = str(v.metric, 'searcher.metric');
  const smallerIsBetter = optional(v, 'smaller_is_better', path, bool) ?? true;

  let maxLength: Length | null = null;
  const timeMetric = optional(v, 'time_metric', path, str);
  const maxTime = optional(v, 'max_time', path, (x, p) => posInt(x, p));
  const legacy = v.max_length === undefined || v.max_length === null ? undefined : v.max_length;
  if (timeMetric !== undefined || maxTime !== undefined) {
    if (timeMetric === undefined)
      throw new ConfigError('searcher.time_metric', 'required when max_time is set');
    if (maxTime === undefined) throw new ConfigError('searcher.max_time', 'required when time_metric is set');
    maxLength = { unit: timeMetric, length: maxTime };
    if (legacy !== undefined)
      warnings.push('searcher.max_length is ignored: time_metric and max_time are set');
  } else if (legacy !== undefined) {
    maxLength = parseLength(legacy, 'searcher.max_length', { unitless: true });
    if (maxLength.length === 0)
      throw new ConfigError('searcher.max_length', 'expected a positive length, got 0');
    warnings.push(
      sname === 'adaptive_asha'
        ? 'searcher.max_length is deprecated (Determined 0.38 uses time_metric + max_time, and a 0.38 master refuses adaptive_asha without them); the embedded master still honours it'
        : 'searcher.max_length is deprecated in Determined 0.38 (the trial sets its own length); it is still honoured',
    );
  }
  if (sname === 'adaptive_asha' && !maxLength) {
    throw new ConfigError(
      'searcher.max_time',
      'required for adaptive_asha (with time_metric, or legacy max_length)',
    );
  }

  let maxTrials = 1;
  if (sname === 'random' || sname === 'adaptive_asha') {
    if (v.max_trials === undefined || v.max_trials === null) {
      throw new ConfigError('searcher.max_trials', `required for the ${sname} searcher`);
    }
    maxTrials = posInt(v.max_trials, 'searcher.max_trials');
  }
  if (sname === 'grid') maxTrials = gridSize(hps);

  // Determined's default; 0 means as many as the searcher can use.
  const maxConcurrentTrials = optional(v, 'max_concurrent_trials', path, (x, p) => posInt(x, p, 0)) ?? 16;
  const mode = optional(v, 'mode', path, (x, p) => {
    if (x !== 'aggressive' && x !== 'standard' && x !== 'conservative') {
      throw new ConfigError(p, `expected one of aggressive, standard, conservative, got ${show(x)}`);
    }
    return x as AshaMode;
  });
  const divisor = optional(v, 'divisor', path, (x, p) => {
    const d = num(x, p);
    if (!(d > 1)) throw new ConfigError(p, `expected a number greater than 1, got ${d}`);
    return d;
  });
  const maxRungs = optional(v, 'max_rungs', path, (x, p) => posInt(x, p));
  const bracketRungs = optional(v, 'bracket_rungs', path, (x, p) => {
    if (!Array.isArray(x)) throw new ConfigError(p, `expected a list of integers, got ${show(x)}`);
    return x.map((n, i) => posInt(n, `${p}[${i}]`));
  });
  const sourceCheckpointUuid = optional(v, 'source_checkpoint_uuid', path, str) ?? null;
  const sourceTrialId = optional(v, 'source_trial_id', path, (x, p) => posInt(x, p)) ?? null;
  if (sourceCheckpointUuid && sourceTrialId) {
    throw new ConfigError(
      'searcher.source_trial_id',
      'set at most one of source_trial_id and source_checkpoint_uuid',
    );
  }
  if (v.stop_once !== undefined && v.stop_once !== null) {
    bool(v.stop_once, 'searcher.stop_once');
    warnings.push('searcher.stop_once has no effect on the embedded master');
  }
  return {
    name: sname,
    metric,
    smallerIsBetter,
    maxLength,
    maxTrials,
    maxConcurrentTrials,
    mode: mode ?? 'standard',
    divisor: divisor ?? 4,
    maxRungs: maxRungs ?? 5,
    bracketRungs: bracketRungs ?? [],
    sourceCheckpointUuid,
    sourceTrialId,
  };
}
