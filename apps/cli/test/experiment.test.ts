import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDeterminedClient } from '@fmnist/determined-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

describe('fmnist experiment, as det spells it', () => {
  let home: string;
  let config: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'fmnist-exp-'));
    config = join(home, 'const.yaml');
    await writeFile(
      config,
      'name: c\nentrypoint: node t.js --epochs 2\nhyperparameters: {lr: 0.1}\nsearcher: {name: single, metric: acc}\n',
    );
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it('takes the config as the first argument or with -f', async () => {
    const positional = await runCli(home, 'experiment', 'create', config, '--dry-run');
    expect(positional.code).toBe(0);
    expect(positional.stdout).toMatch(/c: single search, 1 trial/);
    const flag = await runCli(home, 'experiment', 'create', '-f', config, '--dry-run');
    expect(flag.stdout).toBe(positional.stdout);
    const none = await runCli(home, 'experiment', 'create');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give the experiment config/);
  });

  it('has list-trials and list-checkpoints', async () => {
    const master = createLocalDeterminedClient({ home });
    const { experiment } = await master.createExperiment(
      'hyperparameters: {lr: 0.1}\nsearcher: {name: single, metric: acc, max_length: {batches: 2}}\n',
    );
    await master.close();
    const trials = await runCli(home, 'experiment', 'list-trials', String(experiment.id), '--json');
    expect(trials.code).toBe(0);
    expect(JSON.parse(trials.stdout)).toHaveLength(1);
    const missing = await runCli(home, 'experiment', 'list-trials', '999');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/experiment 999 not found\n {2}Run: fmnist experiment list\n/);
    const checkpoints = await runCli(home, 'experiment', 'list-checkpoints', String(experiment.id), '--json');
    expect(JSON.parse(checkpoints.stdout)).toEqual([]);
  });
});
