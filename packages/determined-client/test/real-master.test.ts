/**
 * The client against a real Determined 0.38.1 master (no agents, so no trial ever runs): login,
 * experiment create / get / list / kill, config validation, unknown ids, the model registry, and the
 * master's own search preview against fmnist's `--dry-run` plan.
 * Skips, saying why, when the master or PostgreSQL is not installed.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  AuthError,
  ConfigError,
  createRemoteDeterminedClient,
  type DeterminedClient,
  parseExperimentConfig,
  planSearch,
} from '../src/index.js';
import { code } from './contract.js';
import {
  exampleConfigs,
  exampleText,
  exampleVerdicts,
  variants,
  variantText,
} from './determined-examples.js';
import {
  REAL_MASTER_PASSWORD,
  type RealMaster,
  realMasterMissing,
  realMasterToken,
  startRealMaster,
  unmanagedTrial,
} from './real-master.js';

const missing = realMasterMissing();
if (missing) console.log(`skipping the real Determined master tests: ${missing}`);

// No agents: a trial that asks for no slots passes the master's capacity check and waits queued.
const config = `
name: contract
description: one trial
hyperparameters: {lr: 0.01, global_batch_size: 64}
searcher: {name: single, metric: validation_accuracy, smaller_is_better: false, max_length: {epochs: 2}}
resources: {slots_per_trial: 0}
entrypoint: fmnist-trial
`;

describe.skipIf(missing !== null)('a real Determined 0.38.1 master', () => {
  let master: RealMaster;
  let client: DeterminedClient;
  beforeAll(async () => {
    master = await startRealMaster();
    client = createRemoteDeterminedClient({
      master: master.url,
      user: 'determined',
      password: REAL_MASTER_PASSWORD,
    });
  }, 180_000);
  afterAll(async () => {
    await client?.close();
    await master?.stop();
  });

  it('logs in, and refuses a wrong password without showing it', async () => {
    expect(Array.isArray(await client.listModels())).toBe(true);
    const wrong = createRemoteDeterminedClient({
      master: master.url,
      user: 'determined',
      password: 'wrong-pass-0381',
    });
    const err = await wrong.listModels().catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('LOGIN_FAILED');
    expect(`${err.message}\n${err.stack}`).not.toContain('wrong-pass-0381');
    await wrong.close();
  });

  it('creates, gets, lists and kills an experiment', async () => {
    const { experiment } = await client.createExperiment(config, { activate: false });
    // (searcherType, searcherMetric and smallerIsBetter are not asserted here: the client reads them
    // from fields a 0.38 master no longer fills; the config below carries them.)
    expect(experiment).toMatchObject({ name: 'contract', description: 'one trial' });
    const got = await client.getExperiment(experiment.id);
    expect(got.config.searcher).toMatchObject({ name: 'single', metric: 'validation_accuracy' });
    expect((await client.listExperiments()).map((e) => e.id)).toContain(experiment.id);
    await client.killExperiment(experiment.id);
    // The master kills asynchronously (STOPPING_KILLED first); with no trial running it ends soon.
    let state = (await client.getExperiment(experiment.id)).state;
    for (const until = Date.now() + 30_000; state !== 'CANCELED' && Date.now() < until; ) {
      expect(['STOPPING_KILLED', 'STOPPING_CANCELED']).toContain(state);
      await new Promise((r) => setTimeout(r, 250));
      state = (await client.getExperiment(experiment.id)).state;
    }
    expect(state).toBe('CANCELED');
  });

  it('refuses an invalid config before creating anything', async () => {
    const before = (await client.listExperiments()).length;
    const err = await client
      .createExperiment('searcher: {name: random, metric: l, max_trials: ten}')
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((await client.listExperiments()).length).toBe(before);
  });

  it('answers unknown ids with NotFoundError codes', async () => {
    expect(await code(client.getExperiment(987654))).toBe('EXPERIMENT_NOT_FOUND');
    expect(await code(client.getTrial(987654))).toBe('TRIAL_NOT_FOUND');
    expect(await code(client.getCheckpoint('00000000-0000-0000-0000-000000000000'))).toBe(
      'CHECKPOINT_NOT_FOUND',
    );
    expect(await code(client.getModel('no-such-model'))).toBe('MODEL_NOT_FOUND');
    expect(await code(client.listVersions('no-such-model'))).toBe('MODEL_NOT_FOUND');
  });

  it('keeps a model registry', async () => {
    const model = await client.createModel('fashion-classifier', { description: 'FMNIST', labels: ['cv'] });
    expect(model).toMatchObject({
      name: 'fashion-classifier',
      description: 'FMNIST',
      labels: ['cv'],
      numVersions: 0,
    });
    expect(await code(client.createModel('fashion-classifier'))).toBe('MODEL_EXISTS');
    expect((await client.listModels()).map((m) => m.name)).toContain('fashion-classifier');
    expect(await client.listVersions('fashion-classifier')).toEqual([]);
    expect(await code(client.getVersion('fashion-classifier', 1))).toBe('MODEL_VERSION_NOT_FOUND');
    expect(
      await code(client.registerVersion('fashion-classifier', '00000000-0000-0000-0000-000000000000')),
    ).toBe('CHECKPOINT_NOT_FOUND');
  });
  it('reads back experiments, trials, checkpoints and model versions as the master keeps them', async () => {
    const first = '11111111-1111-4111-8111-111111111111';
    const latest = '22222222-2222-4222-8222-222222222222';
    const { experimentId, trialId } = await unmanagedTrial(master.url, await realMasterToken(master.url), {
      config: 'name: reads\nsearcher: {name: single, metric: validation_loss}\nhyperparameters: {lr: 0.01}\n',
      hparams: { lr: 0.01 },
      reports: [
        { group: 'training', steps: 100, metrics: { loss: 0.5 } },
        { group: 'validation', steps: 100, metrics: { validation_loss: 0.4, accuracy: 0.8 } },
        { checkpoint: first, steps: 100 },
        { checkpoint: latest, steps: 200 },
        { group: 'validation', steps: 200, metrics: { validation_loss: 0.6 } },
      ],
    });
    // GetExperiment answers searcherType JSON-quoted and searcherMetric empty; the list answers them
    // plain and leaves trialIds out: the client reads the config's words in both.
    const expected = { searcherType: 'single', searcherMetric: 'validation_loss', smallerIsBetter: true };
    expect(await client.getExperiment(experimentId)).toMatchObject({
      ...expected,
      numTrials: 1,
      trialIds: [trialId],
    });
    expect((await client.listExperiments()).find((e) => e.id === experimentId)).toMatchObject({
      ...expected,
      numTrials: 1,
    });
    // The best validation (0.4 at 100) is not the latest (0.6 at 200), nor is the best checkpoint the latest.
    const trial = {
      id: trialId,
      experimentId,
      hparams: { lr: 0.01 },
      stepsCompleted: 200,
      bestValidation: { stepsCompleted: 100, metrics: { validation_loss: 0.4, accuracy: 0.8 } },
      latestValidation: { stepsCompleted: 200, metrics: { validation_loss: 0.6 } },
      searcherMetricValue: 0.4,
      latestCheckpoint: latest,
    };
    expect(await client.getTrial(trialId)).toMatchObject(trial);
    expect(await client.listTrials(experimentId)).toMatchObject([trial]);
    // A checkpoint carries the reports at its own step, joined when it is read (checkpoints_view).
    const checkpoints = await client.listCheckpoints({ trialId });
    expect(checkpoints.map((c) => [c.uuid, c.stepsCompleted])).toEqual([
      [first, 100],
      [latest, 200],
    ]);
    expect(checkpoints[0]).toMatchObject({
      experimentId,
      trialId,
      state: 'COMPLETED',
      resources: { 'model.json': 123, 'weights.bin': 4096 },
      metadata: { framework: 'fmnist', steps_completed: 100 },
      trainingMetrics: { loss: 0.5 },
      validationMetrics: { validation_loss: 0.4, accuracy: 0.8 },
      searcherMetric: 0.4,
    });
    expect(await client.getCheckpoint(latest)).toMatchObject({
      trainingMetrics: {},
      validationMetrics: { validation_loss: 0.6 },
      searcherMetric: 0.6,
    });
    expect((await client.listCheckpoints({ experimentId })).map((c) => c.uuid)).toEqual([first, latest]);

    await client.createModel('reads-model');
    const version = await client.registerVersion('reads-model', first);
    expect(version).toMatchObject({ model: 'reads-model', version: 1, experimentId, trialId });
    expect(version.checkpoint).toMatchObject({ uuid: first, stepsCompleted: 100 });
    expect((await client.listVersions('reads-model')).map((v) => v.checkpoint.uuid)).toEqual([first]);
    expect(await client.getVersion('reads-model', 'latest')).toMatchObject({ version: 1 });
  });

  it("answers Determined's example configs and their edits as recorded (validateOnly)", async () => {
    const token = await realMasterToken(master.url);
    // No agents here: a config asking for slots would be refused for capacity, not for its shape.
    const ask = async (text: string) => {
      const res = await fetch(`${master.url}/api/v1/experiments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ config: text, validateOnly: true }),
      });
      await res.body?.cancel();
      return res.status === 200 ? 'accept' : 'refuse';
    };
    const noSlots = (text: string) => {
      const o = parse(text) as Record<string, unknown>;
      return stringify({ ...o, resources: { ...(o.resources as object), slots_per_trial: 0 } });
    };
    const verdicts = exampleVerdicts();
    const examples = [];
    for (const p of exampleConfigs()) examples.push([p, await ask(noSlots(exampleText(p)))]);
    expect(examples).toEqual(
      exampleConfigs().map((p) => [p, verdicts[p] === 'accept' ? 'accept' : 'refuse']),
    );
    const edits = [];
    for (const v of variants())
      edits.push([v.name, await ask(variantText(v, { 'resources.slots_per_trial': 0 }))]);
    expect(edits).toEqual(variants().map((v) => [v.name, v.master]));
  });

  it("previews the same search plan as fmnist's --dry-run (POST /api/v1/preview-hp-search)", async () => {
    const token = await realMasterToken(master.url);
    // The shipped adaptive.yaml's search in the 0.38 form, then a few that exercise the modes.
    const shipped = parseExperimentConfig(
      await readFile(
        join(dirname(fileURLToPath(import.meta.url)), '../../../apps/train/adaptive.yaml'),
        'utf8',
      ),
    ).config.searcher;
    const asha = { name: 'adaptive_asha', metric: 'loss', time_metric: 'batches' };
    const searchers: Record<string, unknown>[] = [
      {
        ...asha,
        metric: shipped.metric,
        smaller_is_better: shipped.smallerIsBetter,
        max_trials: shipped.maxTrials,
        time_metric: shipped.maxLength!.unit,
        max_time: shipped.maxLength!.length,
        mode: shipped.mode,
        divisor: shipped.divisor,
        max_rungs: shipped.maxRungs,
        max_concurrent_trials: shipped.maxConcurrentTrials,
      },
      { ...asha, max_trials: 64, max_time: 64, mode: 'conservative' },
      { ...asha, max_trials: 1000, max_time: 1000, divisor: 10, mode: 'standard', max_concurrent_trials: 0 },
      { ...asha, max_trials: 30, max_time: 50, divisor: 2.5, bracket_rungs: [4, 2] },
      { name: 'random', metric: 'loss', max_trials: 5 },
    ];
    for (const searcher of searchers) {
      const res = await fetch(`${master.url}/api/v1/preview-hp-search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          config: { name: 'preview', entrypoint: 'fmnist-trial', hyperparameters: {}, searcher },
        }),
      });
      expect(res.status).toBe(200);
      const { summary } = (await res.json()) as {
        summary: { trials: { count: number; unit: { maxLength?: boolean; value?: number } }[] };
      };
      const plan = planSearch(parseExperimentConfig(JSON.stringify({ searcher })).config);
      expect(summary.trials.map((t) => [t.count, t.unit.maxLength ? null : t.unit.value])).toEqual(
        plan.summary.map((r) => [r.count, r.length]),
      );
    }
  });
});
