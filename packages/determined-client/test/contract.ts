import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type DeterminedClient, trialContextFromEnv } from '../src/index.js';

export async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

export interface ContractBackend {
  client: DeterminedClient;
  /** The environment a trial process of `trialId` would get from this master. */
  trialEnv(trialId: number): NodeJS.ProcessEnv;
  /** Extra config the backend needs (e.g. checkpoint storage a remote trial can write). */
  extraConfig: string;
  stop(): Promise<void>;
}

/** The behaviour every DeterminedClient backend shares, including the trial side (Core API). */
export function testDeterminedClient(name: string, make: () => Promise<ContractBackend>) {
  describe(`DeterminedClient contract: ${name}`, () => {
    let b: ContractBackend;
    let work: string;
    const config = () => `
name: contract
description: one trial
hyperparameters:
  lr: 0.01
  global_batch_size: 64
searcher: {name: single, metric: validation_accuracy, smaller_is_better: false, max_length: {epochs: 2}}
${b.extraConfig}`;

    beforeAll(async () => {
      b = await make();
      work = await mkdtemp(join(tmpdir(), 'det-contract-'));
    });
    afterAll(async () => {
      await b.client.close();
      await b.stop();
      await rm(work, { recursive: true, force: true });
    });

    it('creates, gets, lists and kills experiments', async () => {
      const { experiment } = await b.client.createExperiment(config(), { activate: false });
      expect(experiment).toMatchObject({
        name: 'contract',
        description: 'one trial',
        searcherType: 'single',
      });
      expect(experiment.searcherMetric).toBe('validation_accuracy');
      expect(experiment.smallerIsBetter).toBe(false);
      const got = await b.client.getExperiment(experiment.id);
      expect(got.id).toBe(experiment.id);
      expect((got.config.searcher as { name: string }).name).toBe('single');
      expect((await b.client.listExperiments()).map((e) => e.id)).toContain(experiment.id);
      const trials = await b.client.listTrials(experiment.id);
      expect(trials).toHaveLength(1);
      expect(trials[0]!.hparams).toMatchObject({ lr: 0.01, global_batch_size: 64 });
      await b.client.killExperiment(experiment.id);
      expect((await b.client.getExperiment(experiment.id)).state).toBe('CANCELED');
    });

    it('refuses an invalid config before creating anything', async () => {
      const before = (await b.client.listExperiments()).length;
      const err = await b.client
        .createExperiment('searcher: {name: random, metric: l, max_trials: ten}')
        .catch((e) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.path).toBe('searcher.max_trials');
      expect((await b.client.listExperiments()).length).toBe(before);
    });

    it('answers unknown ids with NotFoundError codes', async () => {
      expect(await code(b.client.getExperiment(987654))).toBe('EXPERIMENT_NOT_FOUND');
      expect(await code(b.client.getTrial(987654))).toBe('TRIAL_NOT_FOUND');
      expect(await code(b.client.getCheckpoint('00000000-0000-0000-0000-000000000000'))).toBe(
        'CHECKPOINT_NOT_FOUND',
      );
      expect(await code(b.client.getModel('no-such-model'))).toBe('MODEL_NOT_FOUND');
      expect(await code(b.client.listVersions('no-such-model'))).toBe('MODEL_NOT_FOUND');
    });

    it('lets a trial report metrics and store, restore and download checkpoints; then registers it', async () => {
      const { experiment } = await b.client.createExperiment(config());
      const [trial] = await b.client.listTrials(experiment.id);
      const ctx = await trialContextFromEnv(b.trialEnv(trial!.id));
      expect(ctx).toMatchObject({
        trialId: trial!.id,
        experimentId: experiment.id,
        backend: b.client.backend,
      });
      expect(ctx.hparams).toMatchObject({ lr: 0.01 });
      expect(ctx.target).toEqual({ unit: 'epochs', length: 2 });
      expect(ctx.config.searcher.metric).toBe('validation_accuracy');
      expect(await ctx.checkpoint.restore()).toBeNull();

      await ctx.report.training(1, { loss: 0.5 });
      await ctx.report.validation(1, { validation_accuracy: 81.5 });
      await ctx.report.training(2, { loss: 0.3 });
      await ctx.report.validation(2, { validation_accuracy: 88.25 });
      const src = join(work, 'model');
      await rm(src, { recursive: true, force: true });
      await mkdir(join(src, 'weights'), { recursive: true });
      await writeFile(join(src, 'model.json'), '{"format":"layers-model"}');
      await writeFile(join(src, 'weights', 'group1.bin'), Buffer.from([1, 2, 3, 4]));
      const uuid = await ctx.checkpoint.store(src, 2, {
        data_commits: { 'fashion-mnist': 'abc123' },
        backend: 'cpu',
        code_version: '0.1.0',
      });
      await ctx.close();

      const v = await b.client.getTrialMetrics(trial!.id, 'validation');
      expect(v.map((m) => [m.stepsCompleted, m.metrics.validation_accuracy])).toEqual([
        [1, 81.5],
        [2, 88.25],
      ]);
      expect((await b.client.getTrialMetrics(trial!.id, 'training')).map((m) => m.metrics.loss)).toEqual([
        0.5, 0.3,
      ]);
      const t = await b.client.getTrial(trial!.id);
      expect(t.latestValidation).toEqual({ stepsCompleted: 2, metrics: { validation_accuracy: 88.25 } });
      expect(t.stepsCompleted).toBe(2);

      const c = await b.client.getCheckpoint(uuid);
      expect(c).toMatchObject({
        uuid,
        experimentId: experiment.id,
        trialId: trial!.id,
        state: 'COMPLETED',
        stepsCompleted: 2,
        resources: { 'model.json': 25, 'weights/group1.bin': 4 },
        hparams: { lr: 0.01 },
        validationMetrics: { validation_accuracy: 88.25 },
      });
      expect(c.metadata).toMatchObject({ data_commits: { 'fashion-mnist': 'abc123' } });
      expect((await b.client.listCheckpoints({ trialId: trial!.id })).map((x) => x.uuid)).toEqual([uuid]);
      expect((await b.client.listCheckpoints({ experimentId: experiment.id })).map((x) => x.uuid)).toEqual([
        uuid,
      ]);

      const dest = await b.client.downloadCheckpoint(uuid, join(work, 'download'));
      expect(await readFile(join(dest, 'weights', 'group1.bin'))).toEqual(Buffer.from([1, 2, 3, 4]));

      const again = await trialContextFromEnv(b.trialEnv(trial!.id));
      expect(again.latestCheckpoint).toBe(uuid);
      const restored = await again.checkpoint.restore();
      expect(restored?.uuid).toBe(uuid);
      expect(await readFile(join(restored!.dir, 'model.json'), 'utf8')).toBe('{"format":"layers-model"}');
      await again.close();

      // The registry
      const model = await b.client.createModel('fashion-classifier', {
        description: 'FMNIST',
        labels: ['cv'],
      });
      expect(model).toMatchObject({
        name: 'fashion-classifier',
        description: 'FMNIST',
        labels: ['cv'],
        numVersions: 0,
      });
      expect(await code(b.client.createModel('fashion-classifier'))).toBe('MODEL_EXISTS');
      expect((await b.client.listModels()).map((m) => m.name)).toContain('fashion-classifier');
      const v1 = await b.client.registerVersion('fashion-classifier', uuid, { comment: 'first' });
      expect(v1).toMatchObject({
        model: 'fashion-classifier',
        version: 1,
        comment: 'first',
        experimentId: experiment.id,
        trialId: trial!.id,
        hparams: { lr: 0.01, global_batch_size: 64 },
        metrics: { validation: { validation_accuracy: 88.25 }, training: { loss: 0.3 } },
        dataCommits: { 'fashion-mnist': 'abc123' },
        backend: 'cpu',
        codeVersion: '0.1.0',
      });
      expect(v1.checkpoint.uuid).toBe(uuid);
      const v2 = await b.client.registerVersion('fashion-classifier', uuid, {
        metadata: { backend: 'wasm' },
      });
      expect(v2.version).toBe(2);
      expect(v2.backend).toBe('wasm');
      expect((await b.client.listVersions('fashion-classifier')).map((x) => x.version)).toEqual([1, 2]);
      expect((await b.client.getVersion('fashion-classifier', 'latest')).version).toBe(2);
      expect((await b.client.getVersion('fashion-classifier', 1)).comment).toBe('first');
      expect((await b.client.getModel('fashion-classifier')).numVersions).toBe(2);
      expect(await code(b.client.getVersion('fashion-classifier', 9))).toBe('MODEL_VERSION_NOT_FOUND');
      expect(
        await code(b.client.registerVersion('fashion-classifier', '00000000-0000-0000-0000-000000000000')),
      ).toBe('CHECKPOINT_NOT_FOUND');
      expect(await code(b.client.registerVersion('nope', uuid))).toBe('MODEL_NOT_FOUND');
    });
  });
}
