import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBandsDataset } from '@fmnist/test-fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const homes: string[] = [];
afterEach(async () => {
  await Promise.all(homes.splice(0).map((h) => rm(h, { recursive: true, force: true })));
});

/**
 * A fresh home of its own for each case, holding a tiny band dataset (learnable in a few batches) and an
 * experiment config that trains `batches` batches, so no case depends on what another left.
 */
async function freshHome(batches = 24) {
  const home = await mkdtemp(join(tmpdir(), 'fmnist-pipeline-'));
  homes.push(home);
  const dataDir = await writeBandsDataset(join(home, 'idx'), { train: 192, test: 80 });
  const config = join(home, 'tiny.yaml');
  await writeFile(
    config,
    `name: tiny
hyperparameters: { global_batch_size: 32, learning_rate: 0.003, filters1: 8, filters2: 16, dense1: 32 }
searcher: { name: single, metric: val_accuracy, smaller_is_better: false, max_length: { batches: ${batches} } }
max_restarts: 0
`,
  );
  const pipeline = (minAccuracy: string, ...extra: string[]) =>
    runCli(
      home,
      'pipeline',
      '--data-dir',
      dataDir,
      '--config',
      config,
      '--no-serve',
      '--min-accuracy',
      minAccuracy,
      ...extra,
    );
  return { home, pipeline, dataDir, config };
}

/** Runs the fmnist-ci-test bin of @fmnist/ci-test, as CI would, on the model the pipeline registered. */
async function gateRegisteredModel(home: string, minAccuracy: string, ...extra: string[]) {
  const state = JSON.parse(await readFile(join(home, 'pipeline.json'), 'utf8'));
  const modelDir = join(home, 'cache', 'checkpoints', state.registered.checkpoint);
  const bin = fileURLToPath(new URL('../node_modules/@fmnist/ci-test/dist/bin.js', import.meta.url));
  const argv = ['--home', home, '--model-dir', modelDir, '--min-accuracy', minAccuracy, ...extra];
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('fmnist pipeline', () => {
  it('goes from data to a tested, registered version, and a re-run reuses everything', async () => {
    const { home, pipeline } = await freshHome();
    const first = await pipeline('0.8');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/fmnist-train-raw@\w+ \(new commit\)/);
    expect(first.stdout).toMatch(/fashion-classifier version 1: checkpoint/);
    expect(first.stderr).toMatch(/✔ test: accuracy gate/);
    const report = JSON.parse(
      await readFile(join(home, 'reports', 'fashion-classifier', 'report.json'), 'utf8'),
    );
    expect(report.versions[0].metrics.accuracy).toBeGreaterThanOrEqual(0.8);

    const again = await pipeline('0.8');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/fmnist-train-raw@\w+ \(unchanged\)/);
    expect(again.stderr).toMatch(/already trained on this data; reusing it/);
    expect(again.stdout).toMatch(/version 1 \(already registered\)/);

    const experiments = JSON.parse((await runCli(home, 'experiment', 'list', '--json')).stdout);
    expect(experiments).toHaveLength(1);
    const commits = JSON.parse((await runCli(home, 'list', 'commit', 'fmnist-train-raw', '--json')).stdout);
    expect(commits).toHaveLength(1);
    const versions = JSON.parse(
      (await runCli(home, 'model', 'list-versions', 'fashion-classifier', '--json')).stdout,
    );
    expect(versions).toHaveLength(1);

    // The gate's own entrypoint reaches the same verdict on the registered model's folder.
    const gate = await gateRegisteredModel(home, '0.8', '--report', join(home, 'bin-report'), '--json');
    expect(gate.code, gate.stderr).toBe(0);
    expect(JSON.parse(gate.stdout)).toMatchObject({ passed: true, failures: [] });
    const binReport = JSON.parse(await readFile(join(home, 'bin-report', 'report.json'), 'utf8'));
    expect(binReport.versions[0].metrics.accuracy).toBe(report.versions[0].metrics.accuracy);
  });

  it('ends, once serving, with the dashboard URL and the prediction URL', async () => {
    const { home, dataDir, config } = await freshHome();
    const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    const fresh = (signal: 'SIGINT' | 'SIGTERM') =>
      process.listeners(signal).filter((l) => !before[signal].includes(l));
    const run = runCli(
      home,
      ...['start', '--data-dir', dataDir, '--config', config, '--min-accuracy', '0.5'],
      ...['--port', '0', '--ui-port', '0'],
    );
    // Serving: the CLI now waits for a signal (the lines are printed before it starts waiting).
    let stop = fresh('SIGTERM')[0];
    while (!stop) {
      const ended = await Promise.race([run.then(() => true), new Promise((r) => setTimeout(r, 100, false))]);
      if (ended) break;
      stop = fresh('SIGTERM')[0];
    }
    expect(stop, 'the pipeline ended before serving').toBeDefined();
    (stop as (s: string) => void)('SIGTERM');
    const r = await run;
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      for (const l of fresh(signal)) process.removeListener(signal, l as () => void);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-3)).toMatch(/^ {2}dashboard: +http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(lines.at(-2)).toMatch(
      /^ {2}predictions: POST http:\/\/127\.0\.0\.1:\d+\/seldon\/default\/fashion-classifier\/api\/v1\.0\/predictions$/,
    );
    expect(lines.at(-1)).toMatch(/^ +POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\.0\/predictions$/);
  });

  it('trains again only when asked', async () => {
    const { home, pipeline } = await freshHome();
    const first = await pipeline('0.8');
    expect(first.code, first.stderr).toBe(0);
    const r = await pipeline('0.8', '--retrain');
    expect(r.code, r.stderr).toBe(0);
    const experiments = JSON.parse((await runCli(home, 'experiment', 'list', '--json')).stdout);
    expect(experiments).toHaveLength(2);
  });

  it('stops at the gate with exit 1 and says which stage failed', async () => {
    const { home, pipeline } = await freshHome(1);
    const r = await pipeline('0.99');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✖ test: accuracy gate ≥ 0.99 failed/);
    expect(r.stderr).toMatch(/below the accuracy threshold/);

    const gate = await gateRegisteredModel(home, '0.99');
    expect(gate.code).toBe(1);
    expect(gate.stdout).toMatch(/failed: fashion-classifier v1 accuracy .* is below the threshold 0.99/);
  });
});
