// The shape of the top-level fields the embedded master does not read itself, checked as a 0.38
// master's sanity check does, so that nothing it would refuse is sent to it.
import { ConfigError } from '../errors.js';
import { isObj, show } from './values.js';

type JsonType = 'array' | 'boolean' | 'integer' | 'object' | 'string';

/** Each field's JSON type (null is always allowed), from the `properties` of schemas/expconf/v0/experiment.json. */
const TOP_LEVEL_TYPES: Record<string, JsonType[]> = {
  bind_mounts: ['array'],
  checkpoint_storage: ['object'],
  data: ['object'],
  data_layer: ['object'],
  debug: ['boolean'],
  entrypoint: ['string', 'array'],
  environment: ['object'],
  integrations: ['object'],
  labels: ['array'],
  log_policies: ['array'],
  optimizations: ['object'],
  pbs: ['object'],
  perform_initial_validation: ['boolean'],
  preemption_timeout: ['integer'],
  profiling: ['object'],
  project: ['string'],
  resources: ['object'],
  retention_policy: ['object'],
  scheduling_unit: ['integer'],
  security: ['object'],
  slurm: ['object'],
  tensorboard_storage: ['object'],
  workspace: ['string'],
};

/** experiment.json: `checkpoint_policy` is an enum. */
const CHECKPOINT_POLICIES = ['best', 'all', 'none'];

/** checkpoint-storage.json: the union's `type`s, and the union of its members' properties. */
const STORAGE_TYPES = ['shared_fs', 'directory', 's3', 'gcs', 'azure'];
const STORAGE_KEYS = new Set([
  'access_key',
  'account_url',
  'bucket',
  'checkpoint_path',
  'connection_string',
  'container',
  'container_path',
  'credential',
  'endpoint_url',
  'host_path',
  'prefix',
  'propagation',
  'save_experiment_best',
  'save_trial_best',
  'save_trial_latest',
  'secret_key',
  'storage_path',
  'tensorboard_path',
  'type',
  'user',
]);

function typeOf(v: unknown): JsonType | 'null' | 'number' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v as 'boolean' | 'string';
}

export function checkTopLevelShapes(raw: Record<string, unknown>): void {
  for (const [key, types] of Object.entries(TOP_LEVEL_TYPES)) {
    const t = typeOf(raw[key]);
    if (t !== 'null' && !(types as string[]).includes(t)) {
      throw new ConfigError(key, `expected ${types.join(' or ')}, got ${show(raw[key])}`);
    }
  }
  // `internal` only lets pre-0.15.6 experiments be forked: it must be null (experiment.json).
  if (typeOf(raw.internal) !== 'null') throw new ConfigError('internal', 'must be null if set');
  const policy = raw.checkpoint_policy;
  if (policy !== undefined && policy !== null && !CHECKPOINT_POLICIES.includes(policy as string)) {
    throw new ConfigError(
      'checkpoint_policy',
      `expected one of ${CHECKPOINT_POLICIES.join(', ')}, got ${show(policy)}`,
    );
  }
  const labels = raw.labels;
  if (Array.isArray(labels)) {
    labels.forEach((l, i) => {
      if (typeof l !== 'string') throw new ConfigError(`labels[${i}]`, `expected a string, got ${show(l)}`);
    });
  }
  const storage = raw.checkpoint_storage;
  if (isObj(storage)) {
    for (const k of Object.keys(storage)) {
      if (!STORAGE_KEYS.has(k)) throw new ConfigError(`checkpoint_storage.${k}`, 'unknown field');
    }
    if (storage.type !== undefined && !STORAGE_TYPES.includes(storage.type as string)) {
      throw new ConfigError(
        'checkpoint_storage.type',
        `expected one of ${STORAGE_TYPES.join(', ')}, got ${show(storage.type)}`,
      );
    }
  }
}
