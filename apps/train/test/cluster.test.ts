import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalDeterminedClient, createRemoteDeterminedClient } from '@fmnist/determined-client';
import { describe, expect, it } from 'vitest';
// The in-test Determined 0.38.1 master that the real harness and det CLI pass (see its tests there).
import { startFakeMaster } from '../../../packages/determined-client/test/fake-master/index.js';
import { lengthFromEntrypoint, TRIAL_ENTRYPOINT, timeMetrics } from '../src/index.js';
import { homeWithData } from './fixtures.js';

const entrypoint = fileURLToPath(TRIAL_ENTRYPOINT).replace(/src[/\\]main\.js$/, join('dist', 'main.js'));

const until = async <T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the trial length and time metric', () => {
  it('reads --epochs / --batches from the entrypoint when the searcher sets no length', () => {
    expect(lengthFromEntrypoint(['node', 'main.js', '--epochs', '8'])).toEqual({ unit: 'epochs', length: 8 });
    expect(lengthFromEntrypoint(['--batches=300'])).toEqual({ unit: 'batches', length: 300 });
    expect(lengthFromEntrypoint(['node', 'main.js'])).toBeNull();
    expect(() => lengthFromEntrypoint(['--epochs', '0'])).toThrow(/positive/);
  });
  it('reports where training stands in every unit a searcher may count in', () => {
    expect(timeMetrics(12, 256, 32)).toEqual({ batches: 12, epochs: 1.5, records: 384 });
  });
});

describe('the trial entrypoint under the environment of a Determined 0.38 master', () => {
  it('reports metrics with the time metric, checkpoints under /determined_shared_fs, acknowledges a preemption and resumes', async () => {
    const { home } = await homeWithData('fmnist-cluster-');
    const mount = join(home, 'determined_shared_fs');
    await mkdir(mount);
    const logs: string[] = [];
    let runs = 0;
    const master = await startFakeMaster({
      user: 'determined',
      password: 'pw',
      runTrial: (env) => {
        // The first run is preempted from the start; it stops at its first checkpoint.
        if (runs++ === 0) master.preempt(Number(env.DET_TRIAL_ID));
        const child = spawn(process.execPath, [entrypoint, '--batches', '24'], {
          // Data through the fmnist home passed in environment_variables; the shared_fs mount where the test put it.
          env: {
            PATH: process.env.PATH ?? '',
            ...env,
            FMNIST_HOME: home,
            FMNIST_WORKERS: '1',
            FMNIST_SHARED_FS_MOUNT: mount,
          },
        });
        child.stderr.on('data', (d) => logs.push(String(d)));
        child.stdout.on('data', (d) => logs.push(String(d)));
        return {
          exit: new Promise((r) => child.once('exit', (c) => r(c ?? 137))),
          kill: () => child.kill('SIGKILL'),
        };
      },
    });
    try {
      const client = createRemoteDeterminedClient({ master: master.url, user: 'determined', password: 'pw' });
      const { experiment } = await client.createExperiment(`
name: tiny-cluster
entrypoint: node apps/train/dist/main.js --batches 24
hyperparameters: { global_batch_size: 32, learning_rate: 0.003, filters1: 8, filters2: 16, dense1: 32 }
searcher: { name: single, metric: val_accuracy, smaller_is_better: false }
min_validation_period: { batches: 8 }
min_checkpoint_period: { batches: 8 }
checkpoint_storage: { type: shared_fs, host_path: /srv/determined, storage_path: fmnist }
`);
      const [trial] = await client.listTrials(experiment.id);
      const paused = await until(
        () => client.getTrial(trial!.id),
        (t) => t.state === 'PAUSED',
      );
      expect(paused.state).toBe('PAUSED');
      expect(master.preemptionAcked(trial!.id)).toBe(true);
      const first = await client.listCheckpoints({ trialId: trial!.id });
      expect(first.map((c) => c.stepsCompleted)).toEqual([8]);
      expect(existsSync(join(mount, 'fmnist', first[0]!.uuid, 'model.json'))).toBe(true);

      await client.activateExperiment(experiment.id);
      const done = await until(
        () => client.getExperiment(experiment.id),
        (e) => e.state === 'COMPLETED',
      );
      expect(done.state).toBe('COMPLETED');
      expect(logs.join('')).toMatch(/resuming from checkpoint .* at batch 8/);
      const validations = await client.getTrialMetrics(trial!.id, 'validation');
      expect(validations.map((v) => [v.stepsCompleted, v.metrics.batches])).toEqual([
        [8, 8],
        [16, 16],
        [24, 24],
      ]);
      expect(validations.every((v) => typeof v.metrics.epochs === 'number')).toBe(true);
      const all = await client.listCheckpoints({ trialId: trial!.id });
      expect(all.every((c) => Number.isInteger(c.stepsCompleted))).toBe(true);
      expect(all.at(-1)!.stepsCompleted).toBe(24);
      expect(readdirSync(join(mount, 'fmnist')).length).toBe(all.length);
    } finally {
      await master.close();
      await rm(home, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a trial killed with SIGKILL on the embedded master', () => {
  it('loses at most one min_checkpoint_period: activate resumes from the latest checkpoint', async () => {
    const { home } = await homeWithData('fmnist-cluster-');
    const client = createLocalDeterminedClient({
      home,
      pollMs: 50,
      trialRunner: {
        command: process.execPath,
        args: [entrypoint],
        env: { FMNIST_HOME: home, FMNIST_WORKERS: '1' },
      },
    });
    try {
      const { experiment } = await client.createExperiment(`
name: tiny-kill
entrypoint: node apps/train/dist/main.js --batches 200
hyperparameters: { global_batch_size: 32, learning_rate: 0.003, filters1: 8, filters2: 16, dense1: 32 }
searcher: { name: single, metric: val_accuracy, smaller_is_better: false }
min_checkpoint_period: { batches: 8 }
checkpoint_policy: none
max_restarts: 0
`);
      const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'run-experiment.mjs')], {
        env: {
          ...process.env,
          FMNIST_HOME: home,
          EXPERIMENT_ID: String(experiment.id),
          TRIAL_ENTRYPOINT: entrypoint,
        },
        detached: true,
        stdio: 'ignore',
      });
      const [trial] = await client.listTrials(experiment.id);
      await until(
        () => client.listCheckpoints({ trialId: trial!.id }),
        (l) => l.length > 0,
      );
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      const kept = (await client.listCheckpoints({ trialId: trial!.id })).at(-1)!;
      expect(kept.stepsCompleted! % 8).toBe(0);
      expect(kept.stepsCompleted!).toBeLessThan(200);
      expect(await client.getExperiment(experiment.id)).toMatchObject({ interrupted: true });

      await client.activateExperiment(experiment.id);
      const done = await client.waitForExperiment(experiment.id);
      expect(done.state).toBe('COMPLETED');
      const log = await readFile(join(home, 'determined', 'logs', `trial-${trial!.id}.log`), 'utf8');
      expect(log).toMatch(
        new RegExp(`resuming from checkpoint ${kept.uuid} at batch ${kept.stepsCompleted}`),
      );
      expect((await client.getTrial(trial!.id)).stepsCompleted).toBe(200);
    } finally {
      await client.close();
      await rm(home, { recursive: true, force: true });
    }
  }, 180_000);
});
