import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, parseExperimentConfig } from '../src/index.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

function configError(input: string | Record<string, unknown>): ConfigError {
  try {
    parseExperimentConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe("Determined's expconf test vectors", () => {
  const cases = parse(fixture('expconf-cases.yaml')) as { name: string; error?: string }[];
  for (const { name, error, ...config } of cases) {
    it(name, () => {
      if (error) {
        const e = configError(config);
        expect(e.path).toBe(error);
        expect(e.code).toBe('BAD_CONFIG');
      } else {
        expect(() => parseExperimentConfig(config)).not.toThrow();
      }
    });
  }
});

describe('parseExperimentConfig', () => {
  it("reads Determined 0.38's adaptive example as written", () => {
    const { config, ignored } = parseExperimentConfig(fixture('mnist-adaptive.v0.38.yaml'));
    expect(config.searcher).toMatchObject({
      name: 'adaptive_asha',
      metric: 'validation_loss',
      smallerIsBetter: true,
      maxTrials: 16,
      maxLength: { unit: 'batches', length: 937 },
      divisor: 4,
      maxRungs: 5,
      mode: 'standard',
    });
    expect(config.hyperparameters.n_filters1).toEqual({ type: 'int', minval: 8, maxval: 64, count: null });
    expect(ignored.join()).toMatch(/^entrypoint/);
  });

  it('reads the legacy length form with records_per_epoch, with a deprecation warning', () => {
    const { config, warnings } = parseExperimentConfig(`
records_per_epoch: 60000
searcher: {name: adaptive_asha, metric: validation_accuracy, smaller_is_better: false, max_trials: 8, max_length: {epochs: 16}}
`);
    expect(config.searcher.maxLength).toEqual({ unit: 'epochs', length: 16 });
    expect(config.recordsPerEpoch).toBe(60000);
    expect(warnings.join('\n')).toMatch(/max_length is deprecated/);
  });

  it('accepts fields that do nothing locally and lists them as ignored', () => {
    const { ignored, config } = parseExperimentConfig(`
name: fashion
resources: {slots_per_trial: 2}
environment: {image: determinedai/pytorch-ngc:0.38.1}
checkpoint_storage: {type: shared_fs, host_path: /tmp, storage_path: ckpt}
entrypoint: model_def:FashionTrial
min_validation_period: {epochs: 1}
max_restarts: 2
searcher: {name: single, metric: validation_loss, max_length: {epochs: 5}}
`);
    expect(ignored.map((x) => x.split(' ')[0])).toEqual([
      'resources',
      'environment',
      'checkpoint_storage',
      'entrypoint',
    ]);
    expect(config).toMatchObject({ maxRestarts: 2, minValidationPeriod: { unit: 'epochs', length: 1 } });
  });

  it('names the field at fault', () => {
    const e = configError('searcher: {name: random, metric: loss, max_trials: ten, max_length: {epochs: 1}}');
    expect(e.message).toBe('searcher.max_trials: expected a positive integer, got "ten"');
    expect(configError('searcher: {name: hyperband, metric: loss}').path).toBe('searcher.name');
    expect(configError('searcher: {name: pbt, metric: loss}').message).toMatch(
      /does not run the "pbt" searcher/,
    );
    expect(configError('searcher: {name: single}').message).toMatch(/^searcher\.metric: required/);
    expect(configError('searcher: {name: random, metric: loss}').path).toBe('searcher.max_trials');
    expect(configError('searcher: {name: adaptive_asha, metric: loss, max_trials: 4}').path).toBe(
      'searcher.max_time',
    );
    expect(configError('searcher: {name: adaptive_asha, metric: l, max_trials: 4, max_time: 9}').path).toBe(
      'searcher.time_metric',
    );
    expect(
      configError(
        'searcher: {name: adaptive_asha, metric: l, max_trials: 4, max_time: 9, time_metric: batches, divisor: 1}',
      ).path,
    ).toBe('searcher.divisor');
    expect(
      configError(
        'searcher: {name: adaptive_asha, metric: l, max_trials: 4, max_time: 9, time_metric: batches, mode: wild}',
      ).path,
    ).toBe('searcher.mode');
    expect(configError({ searcher: { name: 'single', metric: 'l' }, searchr: {} }).path).toBe('searchr');
    expect(configError({ searcher: { name: 'single', metric: 'l', max_trial: 3 } }).path).toBe(
      'searcher.max_trial',
    );
    expect(configError('max_restarts: -1\nsearcher: {name: single, metric: l}').path).toBe('max_restarts');
    expect(configError('searcher: [1]').path).toBe('searcher');
    expect(configError('searcher: {name: single, metric: l\n').message).toMatch(/not valid YAML/);
  });

  it('checks the shape of the fields it passes on as a 0.38 master would', () => {
    const top = (y: string) => configError(`${y}\nsearcher: {name: single, metric: l}`);
    expect(top('checkpoint_storage: {type: nfs}').message).toBe(
      'checkpoint_storage.type: expected one of shared_fs, directory, s3, gcs, azure, got "nfs"',
    );
    expect(top('checkpoint_policy: sometimes').path).toBe('checkpoint_policy');
    expect(top('labels: {a: 1}').path).toBe('labels');
    expect(top('data: [1]').path).toBe('data');
    expect(top('internal: {}').path).toBe('internal');
  });

  it('refuses a value the master would read otherwise (it reads YAML 1.1)', () => {
    expect(configError('debug: on\nsearcher: {name: single, metric: l}').message).toBe(
      'debug: "on" is read as true by a Determined master (YAML 1.1); write true, or quote it to keep the string',
    );
    expect(() =>
      parseExperimentConfig('description: "on"\nsearcher: {name: single, metric: l}'),
    ).not.toThrow();
  });

  it('rejects hyperparameters Determined rejects, with their paths', () => {
    const hp = (h: string) => configError(`hyperparameters: ${h}\nsearcher: {name: single, metric: l}`);
    expect(hp('{lr: {type: double, minval: 0.1, maxval: 0.01}}').message).toBe(
      'hyperparameters.lr: minval (0.1) must be less than maxval (0.01)',
    );
    expect(hp('{n: {type: int, minval: 1.5, maxval: 3}}').path).toBe('hyperparameters.n.minval');
    expect(hp('{n: {type: log, minval: -3, maxval: -1}}').path).toBe('hyperparameters.n.base');
    expect(hp('{n: {type: uniform}}').path).toBe('hyperparameters.n.type');
    expect(hp('{n: {type: double, minval: 1}}').path).toBe('hyperparameters.n.maxval');
  });

  it('needs a count for numeric hyperparameters under grid search', () => {
    const e = configError(`
hyperparameters: {lr: {type: double, minval: 0.1, maxval: 0.2}}
searcher: {name: grid, metric: l, max_length: {epochs: 1}}`);
    expect(e.message).toBe('hyperparameters.lr.count: grid search is in use but count was not provided');
  });
});
