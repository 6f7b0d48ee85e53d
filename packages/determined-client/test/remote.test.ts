import { spawn } from 'node:child_process';
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
import { bundleFixture } from './helpers.js';

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

  it('creates (paused), reads, lists and kills an experiment; keeps the registry', async () => {
    const client = createDeterminedClient();
    // slots_per_trial 0: it is accepted by a master without GPU agents too.
    const { experiment } = await client.createExperiment(
      'name: fmnist-live\nentrypoint: node apps/train/dist/main.js --epochs 1\nhyperparameters: {lr: 0.1}\nresources: {slots_per_trial: 0}\nsearcher: {name: single, metric: val_accuracy, smaller_is_better: false}\n',
      { activate: false },
    );
    expect(await client.getExperiment(experiment.id)).toMatchObject({
      state: 'PAUSED',
      searcherType: 'single',
      searcherMetric: 'val_accuracy',
      smallerIsBetter: false,
    });
    expect((await client.listExperiments({ limit: 5 })).map((e) => e.id)).toContain(experiment.id);
    expect(await client.listTrials(experiment.id)).toHaveLength(1);
    await client.killExperiment(experiment.id);
    const bad = await client
      .createExperiment(
        'entrypoint: x\nsearcher: {name: adaptive_asha, metric: l, max_trials: 2, max_length: {epochs: 2}}\n',
      )
      .catch((e) => e);
    expect(bad.code).toBe('BAD_CONFIG');
    const name = `fmnist-live-${Date.now()}`;
    expect((await client.createModel(name)).name).toBe(name);
    expect((await client.createModel(name).catch((e) => e)).code).toBe('MODEL_EXISTS');
    expect(await client.listVersions(name)).toEqual([]);
    expect((await client.getModel('no-such-model-here').catch((e) => e)).code).toBe('MODEL_NOT_FOUND');
  });
});

describe('the in-test master refuses what a 0.38 master refuses', () => {
  let master: FakeMaster;
  let client: ReturnType<typeof createRemoteDeterminedClient>;
  beforeAll(async () => {
    master = await startFakeMaster({ user: USER, password: PASSWORD });
    client = createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD });
  });
  afterAll(() => master.close());

  const call = async (path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${master.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  const trialOf = async () => {
    const { experiment } = await client.createExperiment(
      'entrypoint: node trial.js\nhyperparameters: {lr: 0.1}\nsearcher: {name: single, metric: acc}\n',
      { activate: false },
    );
    const [t] = await client.listTrials(experiment.id);
    return { id: t!.id, env: master.trialEnv(t!.id) };
  };
  const metrics = (trialId: number, runId: number, steps: number) => ({
    metrics: { trialId, trialRunId: runId, stepsCompleted: steps, metrics: { avgMetrics: { acc: 0.5 } } },
    group: 'training',
  });

  it('takes the allocation token from x-allocation-token and refuses it in Authorization', async () => {
    const t = await trialOf();
    const token = t.env.DET_SESSION_TOKEN!;
    expect((await call(`/api/v1/trials/${t.id}`, { authorization: `Bearer ${token}` })).status).toBe(401);
    expect(
      (await call(`/api/v1/trials/${t.id}`, { 'grpc-metadata-x-allocation-token': `Bearer ${token}` }))
        .status,
    ).toBe(200);
  });

  it('refuses a fractional stepsCompleted (400) and a stale trialRunId (500), as a real 0.38.1 master does', async () => {
    const t = await trialOf();
    const auth = { 'grpc-metadata-x-allocation-token': `Bearer ${t.env.DET_SESSION_TOKEN}` };
    const fractional = await call(`/api/v1/trials/${t.id}/metrics`, auth, metrics(t.id, 0, 1.5));
    expect(fractional.status).toBe(400);
    expect(fractional.text).toMatch(/int32/);
    const stale = await call(`/api/v1/trials/${t.id}/metrics`, auth, metrics(t.id, 7, 1));
    expect(stale.status).toBe(500);
    expect(stale.text).toMatch(/invalid run id/);
    expect((await call(`/api/v1/trials/${t.id}/metrics`, auth, metrics(t.id, 0, 1))).status).toBe(200);
  });

  it('refuses adaptive_asha without max_time and a config without entrypoint (HTTP 500, as the real one); the client says so before sending', async () => {
    const login = await call('/api/v1/auth/login', {}, { username: USER, password: PASSWORD });
    const auth = { authorization: `Bearer ${JSON.parse(login.text).token}` };
    const legacy =
      'entrypoint: node trial.js\nsearcher: {name: adaptive_asha, metric: acc, max_trials: 4, max_length: {epochs: 4}}\n';
    const r = await call('/api/v1/experiments', auth, { config: legacy, activate: false });
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/requires `max_time` and `time_metric`/);
    const noEntrypoint = await call('/api/v1/experiments', auth, {
      config: 'searcher: {name: single, metric: acc}\n',
    });
    expect(noEntrypoint.status).toBe(500);
    expect(noEntrypoint.text).toMatch(/managed experiments require entrypoint/);

    const before = master.requests.length;
    const err = await client.createExperiment(legacy).catch((e) => e);
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toMatch(/time_metric: epochs and max_time: 4/);
    expect(master.requests.slice(before).some((x) => x.path === '/api/v1/experiments')).toBe(false);
  });

  it('fails an ASHA experiment whose validation lacks the time metric; the trial context refuses to send it', async () => {
    const { experiment } = await client.createExperiment(
      'entrypoint: node trial.js\nhyperparameters: {lr: 0.1}\nsearcher: {name: adaptive_asha, metric: acc, max_trials: 1, time_metric: batches, max_time: 8}\n',
      { activate: false },
    );
    const [t] = await client.listTrials(experiment.id);
    const ctx = await trialContextFromEnv(master.trialEnv(t!.id));
    const err = await ctx.report.validation(4, { acc: 0.5 }).catch((e) => e);
    expect(err.message).toMatch(/time_metric "batches"/);
    await ctx.report.validation(4, { acc: 0.5, batches: 4 });
    await ctx.close();
    const env = master.trialEnv(t!.id);
    const raw = await call(
      `/api/v1/trials/${t!.id}/metrics`,
      { 'grpc-metadata-x-allocation-token': `Bearer ${env.DET_SESSION_TOKEN}` },
      { ...metrics(t!.id, 0, 8), group: 'validation' },
    );
    expect(raw.status).toBe(500);
    expect((await client.getExperiment(experiment.id)).state).toBe('ERROR');
  });
});

describe('this package’s trial under the environment of a 0.38 master', () => {
  let master: FakeMaster;
  let client: ReturnType<typeof createRemoteDeterminedClient>;
  let trialScript: string;
  let storage: string;
  const out: string[] = [];
  beforeAll(async () => {
    trialScript = await bundleFixture('fake-trial');
    storage = await mkdtemp(join(tmpdir(), 'det-shared-'));
    master = await startFakeMaster({
      user: USER,
      password: PASSWORD,
      runTrial: (env) => {
        const child = spawn(process.execPath, [trialScript], {
          env: { PATH: process.env.PATH ?? '', ...env, FAKE_TRIAL_HANG_AT: '1' },
        });
        child.stdout.on('data', (d) => out.push(String(d)));
        child.stderr.on('data', (d) => out.push(String(d)));
        return {
          exit: new Promise((r) => child.once('exit', (c) => r(c ?? 137))),
          kill: () => child.kill('SIGKILL'),
        };
      },
    });
    client = createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD });
  });
  afterAll(async () => {
    await master.close();
    await rm(trialScript, { force: true });
    await rm(storage, { recursive: true, force: true });
  });
  const config = () =>
    `entrypoint: node trial.js\nhyperparameters: {lr: 0.1}\ncheckpoint_storage: {type: shared_fs, host_path: ${JSON.stringify(storage)}}\nsearcher: {name: single, metric: validation_accuracy, smaller_is_better: false, max_length: {epochs: 3}}\n`;
  const until = async <T>(get: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
    for (;;) {
      const v = await get();
      if (ok(v)) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('long-polls for preemption, acknowledges it, exits 0 after its checkpoint, and resumes from it on activate', async () => {
    const { experiment } = await client.createExperiment(config());
    const [trial] = await client.listTrials(experiment.id);
    await until(
      () => client.listCheckpoints({ trialId: trial!.id }),
      (l) => l.length === 1,
    );
    master.preempt(trial!.id);
    await until(
      () => client.getTrial(trial!.id),
      (t) => t.state === 'PAUSED',
    );
    expect(master.preemptionAcked(trial!.id)).toBe(true);
    expect(out.join('')).toMatch(/preempted at epoch 1/);
    // The harness's way: one look with timeoutSeconds=0, then long polls.
    const polls = master.requests.filter((r) => r.path.includes('/signals/preemption')).map((r) => r.path);
    expect(polls[0]).toMatch(/timeoutSeconds=0$/);
    expect(polls.some((p) => p.endsWith('timeoutSeconds=60'))).toBe(true);
    // Every call of the trial carried the allocation token, none an Authorization header.
    const fromTrial = master.requests.filter((r) => r.allocationToken);
    expect(fromTrial.length).toBeGreaterThan(3);
    expect(fromTrial.every((r) => r.authorization === undefined)).toBe(true);

    await client.activateExperiment(experiment.id);
    const done = await until(
      () => client.getExperiment(experiment.id),
      (e) => e.state === 'COMPLETED',
    );
    expect(done.state).toBe('COMPLETED');
    expect(out.join('')).toMatch(/resumed from .* at epoch 1/);
    const v = await client.getTrialMetrics(trial!.id, 'validation');
    expect(v.map((m) => m.stepsCompleted)).toEqual([1, 2, 3]);
    const t = await client.getTrial(trial!.id);
    expect(t.latestCheckpoint).toBe((await client.listCheckpoints({ trialId: trial!.id })).at(-1)!.uuid);
  });

  it('is stopped by a kill: the experiment ends CANCELED', async () => {
    const { experiment } = await client.createExperiment(config());
    const [trial] = await client.listTrials(experiment.id);
    await until(
      () => client.listCheckpoints({ trialId: trial!.id }),
      (l) => l.length === 1,
    );
    await client.killExperiment(experiment.id);
    const e = await until(
      () => client.getExperiment(experiment.id),
      (x) => x.state === 'CANCELED',
    );
    expect(e.state).toBe('CANCELED');
    expect((await client.getTrial(trial!.id)).state).toBe('CANCELED');
  });
});
