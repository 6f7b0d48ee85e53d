// The in-test master against the real Determined 0.38.1 client: the Core API harness runs a trial on it,
// and the `det` CLI runs the registry commands. Installed by .ci/setup.d/determined.sh.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteDeterminedClient } from '../src/index.js';
import { type FakeMaster, startFakeMaster, type TrialRun } from './fake-master/index.js';
import { bundleFixture } from './helpers.js';

const TOOLS = process.env.FMNIST_TOOLS_DIR ?? join(homedir(), '.cache', 'fmnist-tools');
const VENV = join(TOOLS, 'determined');
const PYTHON = join(VENV, 'bin', 'python');
const DET = join(VENV, 'bin', 'det');
const installed = existsSync(PYTHON) && existsSync(DET);
const USER = 'determined';
const PASSWORD = 'Pass-w0rd-for-tests';

/** Starts a process the way an agent starts a trial container: its env is the master's, nothing inherited. */
function run(command: string, args: string[], env: Record<string, string>, out: string[]): TrialRun {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? tmpdir(), ...env },
  });
  child.stdout.on('data', (d) => out.push(String(d)));
  child.stderr.on('data', (d) => out.push(String(d)));
  return {
    exit: new Promise((r) => child.once('exit', (code) => r(code ?? 137))),
    kill: () => child.kill('SIGKILL'),
  };
}

function det(master: FakeMaster, home: string, args: string[]) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    const child = spawn(DET, ['-m', master.url, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: home, DET_USER: USER, DET_PASS: PASSWORD },
      cwd: home,
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

describe.skipIf(!installed)('the in-test master against the real Determined 0.38.1 harness and CLI', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'det-harness-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('runs a Core API trial: metrics, the time metric, checkpoints, a preemption it acknowledges, then resumes', async () => {
    const out: string[] = [];
    const trialScript = join(import.meta.dirname, 'fixtures', 'core_api_trial.py');
    let runs = 0;
    let master!: FakeMaster;
    master = await startFakeMaster({
      user: USER,
      password: PASSWORD,
      runTrial: (env) => {
        // The first run is preempted from the start (a pause, a higher-priority job).
        if (runs++ === 0) master.preempt(Number(env.DET_TRIAL_ID));
        return run(PYTHON, [trialScript], { ...env, HOME: work }, out);
      },
    });
    try {
      const client = createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD });
      const storage = join(work, 'ckpts');
      const { experiment } = await client.createExperiment(`
name: core-api
entrypoint: python3 core_api_trial.py
hyperparameters: {lr: 0.1}
checkpoint_storage: {type: directory, container_path: ${JSON.stringify(storage)}}
searcher: {name: adaptive_asha, metric: validation_loss, max_trials: 1, time_metric: batches, max_time: 8}
`);
      const [trial] = await client.listTrials(experiment.id);
      const afterPreemption = await waitFor(
        () => client.getTrial(trial!.id),
        (t) => t.state === 'PAUSED',
      );
      expect(master.preemptionAcked(trial!.id)).toBe(true);
      expect(out.join('')).toMatch(/preempted at batch 1/);
      expect(afterPreemption.latestCheckpoint).not.toBeNull();

      await client.activateExperiment(experiment.id);
      const done = await waitFor(
        () => client.getExperiment(experiment.id),
        (e) => e.state === 'COMPLETED',
      );
      expect(done.state).toBe('COMPLETED');
      expect(out.join('')).toMatch(/resumed at batch 1/);
      const validations = await client.getTrialMetrics(trial!.id, 'validation');
      expect(validations.map((v) => [v.stepsCompleted, v.metrics.batches])).toEqual([
        [4, 4],
        [8, 8],
      ]);
      const checkpoints = await client.listCheckpoints({ trialId: trial!.id });
      expect(checkpoints.map((c) => c.stepsCompleted)).toEqual([1, 4, 8]);
      expect((await client.getTrial(trial!.id)).latestCheckpoint).toBe(checkpoints.at(-1)!.uuid);
      // The harness authenticated with its allocation token, never with it in Authorization.
      const fromTrial = master.requests.filter((r) => r.allocationToken);
      expect(fromTrial.length).toBeGreaterThan(0);
      expect(master.requests.some((r) => r.authorization?.includes('alloc-'))).toBe(false);
    } finally {
      await master.close();
    }
  }, 120_000);
});

describe.skipIf(!installed)('the real det CLI against the in-test master', () => {
  let work: string;
  let master: FakeMaster;
  let trialScript: string;
  const out: string[] = [];
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'det-cli-'));
    trialScript = await bundleFixture('fake-trial');
    // This package's trial (test/fixtures/fake-trial.ts) under exactly the env a 0.38 master gives.
    master = await startFakeMaster({
      user: USER,
      password: PASSWORD,
      runTrial: (env) => run(process.execPath, [trialScript], env, out),
    });
  });
  afterAll(async () => {
    await master.close();
    await rm(work, { recursive: true, force: true });
    await rm(trialScript, { force: true });
  });

  it("runs the seed's commands: experiment create -f, model create, register-version, describe, list-versions", async () => {
    const context = join(work, 'context');
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'trial.js'), '// the trial\n');
    await writeFile(
      join(context, 'const.yaml'),
      `name: fashion-mnist-const
entrypoint: node trial.js --epochs 2
hyperparameters: {learning_rate: 0.001, global_batch_size: 64}
checkpoint_storage: {type: shared_fs, host_path: ${JSON.stringify(join(work, 'shared'))}, storage_path: ckpt}
searcher: {name: single, metric: validation_accuracy, smaller_is_better: false}
`,
    );
    const created = await det(master, work, [
      'experiment',
      'create',
      '-f',
      join(context, 'const.yaml'),
      context,
    ]);
    expect(created.out).toMatch(/Created experiment (\d+)/);
    expect(created.code).toBe(0);
    const experimentId = Number(/Created experiment (\d+)/.exec(created.out)![1]);
    const client = createRemoteDeterminedClient({ master: master.url, user: USER, password: PASSWORD });
    const exp = await waitFor(
      () => client.getExperiment(experimentId),
      (e) => e.state === 'COMPLETED',
    );
    expect(exp.state).toBe('COMPLETED');
    const [checkpoint] = (await client.listCheckpoints({ experimentId })).slice(-1);
    expect(checkpoint?.stepsCompleted).toBe(3);

    expect((await det(master, work, ['model', 'create', 'fashion-classifier'])).code).toBe(0);
    const registered = await det(master, work, [
      'model',
      'register-version',
      'fashion-classifier',
      checkpoint!.uuid,
    ]);
    expect(registered.code).toBe(0);
    const described = await det(master, work, ['model', 'describe', 'fashion-classifier']);
    expect(described.code).toBe(0);
    expect(described.out).toContain('fashion-classifier');
    const versions = await det(master, work, ['model', 'list-versions', 'fashion-classifier']);
    expect(versions.code).toBe(0);
    expect(versions.out).toContain(checkpoint!.uuid);
    expect((await client.getVersion('fashion-classifier', 'latest')).checkpoint.uuid).toBe(checkpoint!.uuid);
  }, 120_000);

  it('refuses, as a 0.38 master does, an adaptive_asha config without max_time and one without an entrypoint', async () => {
    const legacy = join(work, 'legacy.yaml');
    await writeFile(
      legacy,
      'name: x\nentrypoint: node trial.js\nsearcher: {name: adaptive_asha, metric: loss, max_trials: 4, max_length: {epochs: 4}}\n',
    );
    const r = await det(master, work, ['experiment', 'create', legacy]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/requires `max_time` and `time_metric`/);
    const noEntrypoint = join(work, 'no-entrypoint.yaml');
    await writeFile(noEntrypoint, 'name: x\nsearcher: {name: single, metric: loss}\n');
    const r2 = await det(master, work, ['experiment', 'create', noEntrypoint]);
    expect(r2.code).not.toBe(0);
    expect(r2.out).toMatch(/entrypoint/);
  }, 60_000);
});

async function waitFor<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
