import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthError,
  createDeterminedClient,
  createRemoteDeterminedClient,
  masterUrl,
  NotFoundError,
  TRIAL_ENV,
  trialContextFromEnv,
} from '../src/index.js';
import { testDeterminedClient } from './contract.js';
import { type FakeMaster, startFakeMaster } from './fake-master/index.js';

const USER = 'determined';
const PASSWORD = 'hunter2-s3cret';

testDeterminedClient('remote (in-test Determined master)', async () => {
  const master = await startFakeMaster({ user: USER, password: PASSWORD });
  const storage = await mkdtemp(join(tmpdir(), 'det-storage-'));
  return {
    client: createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD }),
    // Exactly the environment a 0.38 master starts a trial container with (allocation token and all).
    trialEnv: (trialId) => master.trialEnv(trialId),
    extraConfig: `entrypoint: node trial.js\ncheckpoint_storage: {type: shared_fs, host_path: ${JSON.stringify(storage)}, storage_path: ckpt}\n`,
    stop: async () => {
      await master.close();
      await rm(storage, { recursive: true, force: true });
    },
  };
});

describe('remote client specifics', () => {
  let master: FakeMaster;
  beforeAll(async () => {
    master = await startFakeMaster({ user: USER, password: PASSWORD });
  });
  afterAll(() => master.close());

  it('never shows the password or a token when login fails', async () => {
    const client = createRemoteDeterminedClient({
      master: master.url,
      user: USER,
      password: 'wrong-password-xyz',
    });
    const err = await client.listModels().catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('LOGIN_FAILED');
    const everything = `${err.message}\n${err.stack}\n${JSON.stringify(err)}\n${String(err.cause ?? '')}`;
    expect(everything).not.toContain('wrong-password-xyz');
    expect(everything).toContain('HTTP 401');
  });

  it('never shows a rejected token', async () => {
    const client = createRemoteDeterminedClient({ master: master.url, token: 'tok-stale-0123456789' });
    const err = await client.getExperiment(1).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(`${err.message}\n${err.stack}\n${JSON.stringify(err)}`).not.toContain('tok-stale-0123456789');
  });

  it('logs in once with POST /api/v1/auth/login and sends the bearer token after', async () => {
    const client = createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD });
    const from = master.requests.length;
    await client.listModels();
    await client.listExperiments();
    const seen = master.requests.slice(from);
    expect(seen.filter((r) => r.path === '/api/v1/auth/login')).toHaveLength(1);
    expect(JSON.parse(seen[0]!.body)).toEqual({ username: USER, password: PASSWORD });
    expect(seen.slice(1).every((r) => r.authorization?.startsWith('Bearer tok-'))).toBe(true);
  });

  it("turns the master's {error: {code, reason, error}} into NotFoundError with the master's words", async () => {
    const client = createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD });
    const err = await client.getExperiment(4242).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('EXPERIMENT_NOT_FOUND');
    expect(err.message).toContain('experiment 4242 not found');
  });

  it('sends the config YAML as written and reports metrics in the Core API shape', async () => {
    const client = createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD });
    const yaml =
      'name: wire\nentrypoint: node trial.js\nhyperparameters: {lr: 0.1}\nsearcher: {name: single, metric: acc, max_length: {batches: 5}}\n';
    const from = master.requests.length;
    const { experiment } = await client.createExperiment(yaml);
    const create = master.requests.slice(from).find((r) => r.path === '/api/v1/experiments')!;
    expect(JSON.parse(create.body)).toEqual({ config: yaml, activate: true, modelDefinition: [] });
    const [trial] = await client.listTrials(experiment.id);
    const ctx = await trialContextFromEnv({
      [TRIAL_ENV.master]: master.url,
      [TRIAL_ENV.user]: USER,
      [TRIAL_ENV.password]: PASSWORD,
      [TRIAL_ENV.trialId]: String(trial!.id),
    });
    await ctx.report.validation(5, { acc: 0.9 });
    const report = master.requests.filter((r) => r.path === `/api/v1/trials/${trial!.id}/metrics`).at(-1)!;
    expect(JSON.parse(report.body)).toEqual({
      metrics: {
        trialId: trial!.id,
        trialRunId: 0,
        stepsCompleted: 5,
        metrics: { avgMetrics: { acc: 0.9 } },
      },
      group: 'validation',
    });
  });

  it('refuses to store a checkpoint where the trial cannot write', async () => {
    const client = createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD });
    const { experiment } = await client.createExperiment(
      'entrypoint: node trial.js\nhyperparameters: {lr: 0.1}\ncheckpoint_storage: {type: gcs, bucket: b}\nsearcher: {name: single, metric: acc}\n',
    );
    const [trial] = await client.listTrials(experiment.id);
    const ctx = await trialContextFromEnv({
      [TRIAL_ENV.master]: master.url,
      [TRIAL_ENV.user]: USER,
      [TRIAL_ENV.password]: PASSWORD,
      [TRIAL_ENV.trialId]: String(trial!.id),
    });
    const err = await ctx.checkpoint.store(tmpdir(), 1).catch((e) => e);
    expect(err.code).toBe('UNSUPPORTED');
  });

  it('reports an unreachable master as MASTER_UNAVAILABLE', async () => {
    const client = createRemoteDeterminedClient({ master: '127.0.0.1:1', user: USER, password: PASSWORD });
    expect((await client.listModels().catch((e) => e)).code).toBe('MASTER_UNAVAILABLE');
  });

  it('reads DET_MASTER in host:port or URL form', () => {
    expect(masterUrl('localhost:8080')).toBe('http://localhost:8080');
    expect(masterUrl('https://det.example.com/')).toBe('https://det.example.com');
    expect(createDeterminedClient({ master: master.url }).backend).toBe('remote');
  });
});

describe.skipIf(!process.env.DET_MASTER)('live Determined master (DET_MASTER)', () => {
  it('logs in and lists experiments and models', async () => {
    const client = createDeterminedClient();
    expect(client.backend).toBe('remote');
    expect(Array.isArray(await client.listExperiments({ limit: 5 }))).toBe(true);
    expect(Array.isArray(await client.listModels())).toBe(true);
  });
});
