import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import type {
  AshaMode,
  ExperimentConfig,
  Hyperparameter,
  Length,
  ParsedConfig,
  SearcherConfig,
  SearcherName,
} from './types.js';

type Obj = Record<string, unknown>;

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
const LENGTH_UNITS = ['batches', 'records', 'epochs'] as const;

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

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  return JSON.stringify(v) ?? String(v);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function posInt(v: unknown, path: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new ConfigError(path, `expected ${what}, got ${show(v)}`);
  }
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ConfigError(path, `expected a number, got ${show(v)}`);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ConfigError(path, `expected a string, got ${show(v)}`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(path, `expected true or false, got ${show(v)}`);
  return v;
}

function optional<T>(o: Obj, key: string, path: string, read: (v: unknown, p: string) => T): T | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : read(v, join(path, key));
}

/** A Length (`{batches|records|epochs: N}`) or, where `unitless` is allowed, a bare integer. */
export function parseLength(
  v: unknown,
  path: string,
  opts: { unitless?: boolean; allowZero?: boolean } = {},
): Length {
  if (typeof v === 'number' && opts.unitless) return { unit: 'batches', length: posInt(v, path, 0) };
  if (!isObj(v)) throw new ConfigError(path, `expected a length like {epochs: 5}, got ${show(v)}`);
  const keys = Object.keys(v);
  const [key] = keys;
  if (keys.length !== 1 || !key || !(LENGTH_UNITS as readonly string[]).includes(key)) {
    throw new ConfigError(
      path,
      'a length object must have one attribute named "batches", "records", or "epochs"',
    );
  }
  return { unit: key, length: posInt(v[key], join(path, key), opts.allowZero ? 0 : 1) };
}

/** One hyperparameter: a `type:` object, a nested mapping of hyperparameters, or a constant. */
export function parseHyperparameter(v: unknown, path: string): Hyperparameter {
  if (!isObj(v)) return { type: 'const', val: v ?? null };
  if (!('type' in v)) {
    const fields: Record<string, Hyperparameter> = {};
    for (const [k, sub] of Object.entries(v)) fields[k] = parseHyperparameter(sub, join(path, k));
    return { type: 'nested', fields };
  }
  const type = v.type;
  const allow = (keys: string[]) => {
    for (const k of Object.keys(v)) {
      if (!keys.includes(k))
        throw new ConfigError(join(path, k), `unknown field for a ${show(type)} hyperparameter`);
    }
  };
  switch (type) {
    case 'const':
      allow(['type', 'val']);
      if (!('val' in v)) throw new ConfigError(join(path, 'val'), 'required for a const hyperparameter');
      return { type: 'const', val: v.val ?? null };
    case 'categorical': {
      allow(['type', 'vals']);
      const vals = v.vals;
      if (!Array.isArray(vals) || vals.length === 0) {
        throw new ConfigError(join(path, 'vals'), `expected a non-empty list, got ${show(vals)}`);
      }
      return { type: 'categorical', vals };
    }
    case 'int':
    case 'double':
    case 'log': {
      allow(
        type === 'log'
          ? ['type', 'minval', 'maxval', 'base', 'count']
          : ['type', 'minval', 'maxval', 'count'],
      );
      const read = type === 'int' ? (x: unknown, p: string) => posIntAny(x, p) : num;
      if (v.minval === undefined)
        throw new ConfigError(join(path, 'minval'), `required for a ${type} hyperparameter`);
      if (v.maxval === undefined)
        throw new ConfigError(join(path, 'maxval'), `required for a ${type} hyperparameter`);
      const minval = read(v.minval, join(path, 'minval'));
      const maxval = read(v.maxval, join(path, 'maxval'));
      if (!(minval < maxval)) {
        throw new ConfigError(path, `minval (${minval}) must be less than maxval (${maxval})`);
      }
      const count = optional(v, 'count', path, (x, p) => posInt(x, p)) ?? null;
      if (type === 'log') {
        if (v.base === undefined)
          throw new ConfigError(join(path, 'base'), 'required for a log hyperparameter');
        const base = num(v.base, join(path, 'base'));
        if (!(base > 0)) throw new ConfigError(join(path, 'base'), `expected a number > 0, got ${base}`);
        return { type, minval, maxval, base, count };
      }
      return { type, minval, maxval, count };
    }
    default:
      throw new ConfigError(
        join(path, 'type'),
        `if a hyperparameter object's "type" is set, it must be one of "int", "double", "log", "const", or "categorical"; got ${show(type)}`,
      );
  }
}

function posIntAny(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ConfigError(path, `expected an integer, got ${show(v)}`);
  return v;
}

function parseSearcher(v: unknown, hps: Record<string, Hyperparameter>, warnings: string[]): SearcherConfig {
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

/** The values a grid search takes for one hyperparameter (Determined's grid rules). */
export function gridAxis(hp: Hyperparameter, path: string): unknown[] {
  const needCount = (count: number | null) => {
    if (count === null)
      throw new ConfigError(join(path, 'count'), 'grid search is in use but count was not provided');
    return count;
  };
  switch (hp.type) {
    case 'const':
      return [hp.val];
    case 'categorical':
      return hp.vals;
    case 'int': {
      const count = Math.min(needCount(hp.count), hp.maxval - hp.minval + 1);
      if (count === 1) return [Math.floor((hp.minval + hp.maxval) / 2)];
      const out = new Set<number>();
      for (let i = 0; i < count; i++)
        out.add(hp.minval + Math.round((i * (hp.maxval - hp.minval)) / (count - 1)));
      return [...out];
    }
    case 'double':
    case 'log': {
      const count = needCount(hp.count);
      const xs =
        count === 1
          ? [(hp.minval + hp.maxval) / 2]
          : Array.from({ length: count }, (_, i) => hp.minval + (i * (hp.maxval - hp.minval)) / (count - 1));
      return hp.type === 'log' ? xs.map((x) => hp.base ** x) : xs;
    }
    case 'nested':
      throw new Error('nested hyperparameters are flattened before taking grid axes');
  }
}

/** Leaf hyperparameters with their dotted paths, in config order. */
export function flattenHyperparameters(hps: Record<string, Hyperparameter>, prefix: string[] = []) {
  const out: { path: string[]; hp: Hyperparameter }[] = [];
  for (const [k, hp] of Object.entries(hps)) {
    if (hp.type === 'nested') out.push(...flattenHyperparameters(hp.fields, [...prefix, k]));
    else out.push({ path: [...prefix, k], hp });
  }
  return out;
}

function gridSize(hps: Record<string, Hyperparameter>): number {
  let n = 1;
  for (const { path, hp } of flattenHyperparameters(hps))
    n *= gridAxis(hp, `hyperparameters.${path.join('.')}`).length;
  return n;
}

/**
 * Parses and validates a Determined experiment config (YAML text or an object). Throws ConfigError
 * naming the field at fault. Fields without effect on the embedded master are accepted and listed in
 * `ignored`.
 */
export function parseExperimentConfig(input: string | Record<string, unknown>): ParsedConfig {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = parseYaml(input);
    } catch (e) {
      throw new ConfigError('', `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (!isObj(raw)) throw new ConfigError('', `an experiment config is a mapping of fields, got ${show(raw)}`);
  const warnings: string[] = [];
  const ignored: string[] = [];
  for (const k of Object.keys(raw)) {
    if (!KNOWN_TOP.has(k)) throw new ConfigError(k, 'unknown field in an experiment config');
    const why = IGNORED_LOCALLY[k];
    if (why && raw[k] !== null && raw[k] !== undefined) ignored.push(`${k} (${why})`);
  }

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
      if (Array.isArray(v)) return v.map((x, i) => str(x, `${p}[${i}]`));
      if (isObj(v)) return Object.keys(v);
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

/**
 * What a Determined 0.38 master refuses at creation, checked before sending so the user hears why:
 * adaptive_asha without `time_metric` + `max_time` (SearcherConfig.AssertCurrent in
 * master/pkg/schemas/expconf/searcher_config.go) and no `entrypoint` (experiment.json's
 * eventuallyRequired).
 */
export function assertRunnableByDetermined(config: ExperimentConfig): void {
  const s = (config.raw.searcher ?? {}) as Record<string, unknown>;
  if (config.searcher.name === 'adaptive_asha' && (s.max_time == null || s.time_metric == null)) {
    const legacy = config.searcher.maxLength;
    throw new ConfigError(
      'searcher.max_time',
      `the \`adaptive_asha\` searcher requires \`max_time\` and \`time_metric\` to be set on a Determined 0.38 master${
        legacy
          ? ` (write time_metric: ${legacy.unit} and max_time: ${legacy.length} instead of max_length)`
          : ''
      }`,
    );
  }
  if (config.entrypoint === null) {
    throw new ConfigError(
      'entrypoint',
      'required by a Determined master (e.g. entrypoint: node apps/train/dist/main.js)',
    );
  }
}
