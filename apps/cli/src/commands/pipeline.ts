import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Checkpoint, DeterminedClient } from '@fmnist/determined-client';
import { type FetchResult, readIdx } from '@fmnist/model/data';
import type { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { UsageError } from '../errors.js';
import { formatDuration } from '../progress.js';
import { fetchVersionArtifacts, trialRunner, versionFacts, withMaster } from '../registry.js';
import { writeFileAtomic } from '../write.js';
import { runGate } from './citest.js';
import { fetchDataset, printDatasetSummary } from './data.js';
import { followExperiment } from './experiments.js';
import { openDataClient, putDataset } from './pfs.js';
import { serveUntilStopped } from './serve.js';

export const MODEL_NAME = 'fashion-classifier';

/** What each finished stage left for the next run, so a re-run reuses it and a failed run resumes. */
interface PipelineState {
  data?: { train: string; test: string };
  experiment?: { id: number; data: { train: string; test: string }; config: string };
  registered?: { model: string; version: number; checkpoint: string };
  test?: { version: number; passed: boolean; reportDir: string; accuracy: number };
}

export interface PipelineOptions {
  retrain?: boolean;
  serve?: boolean;
  port: number;
  minAccuracy: number;
  config?: string;
  dataDir?: string;
}

async function readState(file: string): Promise<PipelineState> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as PipelineState;
  } catch {
    return {};
  }
}

async function saveState(file: string, state: PipelineState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** Runs a stage with its name, time and, on failure, which stage failed and why. */
async function stage<T>(c: CliContext, name: string, fn: () => Promise<T>): Promise<T> {
  note(c, `\n▶ ${name}`);
  const t = performance.now();
  try {
    const out = await fn();
    note(c, `✔ ${name} (${formatDuration((performance.now() - t) / 1000)})`);
    return out;
  } catch (e) {
    note(
      c,
      `✖ ${name} failed after ${formatDuration((performance.now() - t) / 1000)}; the next run resumes here`,
    );
    throw e;
  }
}

/** The dataset from a folder of the four IDX files, checked, in the shape `fetch` returns. */
async function datasetFromDir(dir: string): Promise<FetchResult> {
  const { FASHION_MNIST_FILES } = await import('@fmnist/model/data');
  const files = Object.fromEntries(
    Object.entries(FASHION_MNIST_FILES).map(([k, v]) => [k, join(dir, v)]),
  ) as FetchResult['files'];
  const split = async (images: string, labels: string) => {
    const l = await readIdx(labels);
    await readIdx(images);
    const perClass = new Array<number>(10).fill(0);
    for (const x of l.data) perClass[x] = (perClass[x] ?? 0) + 1;
    return { images: l.shape[0] ?? 0, perClass };
  };
  return {
    dir,
    files,
    source: `files in ${dir}`,
    officialOrder: true,
    reused: true,
    train: await split(files.trainImages, files.trainLabels),
    test: await split(files.testImages, files.testLabels),
  };
}

function best(checkpoints: Checkpoint[], smallerIsBetter: boolean): Checkpoint | undefined {
  const scored = checkpoints.filter((k) => k.state === 'COMPLETED' && typeof k.searcherMetric === 'number');
  scored.sort(
    (a, b) => ((a.searcherMetric as number) - (b.searcherMetric as number)) * (smallerIsBetter ? 1 : -1),
  );
  return scored[0];
}

/** Trains (or reuses the experiment that already trained on this data) and returns it. */
async function trainStage(
  program: Command,
  c: CliContext,
  state: PipelineState,
  o: PipelineOptions,
  data: { train: string; test: string },
  configFile: string,
) {
  const { parse, stringify } = await import('yaml');
  const raw = parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  // Pin the data to the commits just made, so the experiment records exactly what it trained on.
  const config = stringify({ ...raw, data });
  const concurrent = (raw.searcher as { name?: string } | undefined)?.name !== 'single';
  const runner = await trialRunner(c, concurrent);
  return withMaster(
    program,
    c,
    async (master: DeterminedClient) => {
      const prior = state.experiment;
      const same =
        prior &&
        prior.data.train === data.train &&
        prior.data.test === data.test &&
        prior.config === configFile;
      if (prior && same && !o.retrain) {
        const exp = await master.getExperiment(prior.id).catch(() => undefined);
        if (exp?.state === 'COMPLETED') {
          note(c, `experiment ${exp.id} already trained on this data; reusing it (--retrain to train again)`);
          return exp;
        }
        if (exp && exp.state !== 'ERROR' && exp.state !== 'CANCELED' && exp.state !== 'DELETED') {
          note(c, `resuming experiment ${exp.id} from its last checkpoints`);
          await master.activateExperiment(exp.id);
          return followExperiment(c, master, exp);
        }
      }
      const created = await master.createExperiment(config);
      const exp = created.experiment;
      state.experiment = { id: exp.id, data, config: configFile };
      await saveState(join(c.home, 'pipeline.json'), state);
      note(c, `experiment ${exp.id} (${exp.name}) on ${data.train}`);
      const done = await followExperiment(c, master, exp);
      if (done.state !== 'COMPLETED')
        throw new Error(
          `experiment ${exp.id} ended ${done.state.toLowerCase()}; see "fmnist experiment describe ${exp.id}"`,
        );
      return done;
    },
    { trialRunner: runner },
  );
}

export async function runPipeline(program: Command, c: CliContext, o: PipelineOptions): Promise<number> {
  const stateFile = join(c.home, 'pipeline.json');
  const state = await readState(stateFile);
  const started = performance.now();
  const configFile = resolve(
    o.config ?? fileURLToPath((await import('@fmnist/train')).EXPERIMENT_CONFIGS.const),
  );

  const ds = await stage(c, o.dataDir ? 'check the dataset' : 'fetch Fashion-MNIST', async () => {
    const r = o.dataDir ? await datasetFromDir(resolve(o.dataDir)) : await fetchDataset(c);
    printDatasetSummary(c, r);
    return r;
  });

  const data = await stage(c, 'version the data in fmnist-train-raw and fmnist-test-raw', async () => {
    const client = openDataClient(program, c);
    try {
      const commits = await putDataset(c, client, ds);
      for (const r of commits)
        print(c, `  ${r.repo}@${r.commit}${r.created ? ' (new commit)' : ' (unchanged)'}`);
      const [train, test] = commits as unknown as [
        { repo: string; commit: string },
        { repo: string; commit: string },
      ];
      return { train: `${train.repo}@${train.commit}`, test: `${test.repo}@${test.commit}` };
    } finally {
      await client.close();
    }
  });
  state.data = data;
  await saveState(stateFile, state);

  const experiment = await stage(c, `train (${configFile})`, () =>
    trainStage(program, c, state, o, data, configFile),
  );

  const registered = await stage(c, `register the best checkpoint as a version of ${MODEL_NAME}`, () =>
    withMaster(program, c, async (master) => {
      const top = best(
        await master.listCheckpoints({ experimentId: experiment.id }),
        experiment.smallerIsBetter,
      );
      if (!top)
        throw new Error(
          `experiment ${experiment.id} left no completed checkpoint with a ${experiment.searcherMetric}`,
        );
      await master.getModel(MODEL_NAME).catch(async (e: { code?: string }) => {
        if (e.code !== 'MODEL_NOT_FOUND') throw e;
        await master.createModel(MODEL_NAME, { description: 'Fashion-MNIST image classifier' });
        note(c, `created model ${MODEL_NAME}`);
      });
      const versions = await master.listVersions(MODEL_NAME);
      const existing = versions.find((v) => v.checkpoint.uuid === top.uuid);
      const version = existing ?? (await master.registerVersion(MODEL_NAME, top.uuid));
      print(
        c,
        `  ${MODEL_NAME} version ${version.version}${existing ? ' (already registered)' : ''}: checkpoint ${top.uuid}, ${experiment.searcherMetric} ${top.searcherMetric?.toFixed(4)}`,
      );
      return { version, modelDir: await fetchVersionArtifacts(c, master, version) };
    }),
  );
  state.registered = {
    model: MODEL_NAME,
    version: registered.version.version,
    checkpoint: registered.version.checkpoint.uuid,
  };
  await saveState(stateFile, state);

  const gate = await stage(c, `test: accuracy gate ≥ ${o.minAccuracy}`, async () => {
    const result = await runGate(program, c, {
      model: MODEL_NAME,
      versions: [
        {
          version: registered.version.version,
          metadata: versionFacts(registered.version),
          modelDir: registered.modelDir,
        },
      ],
      data: data.test,
      minAccuracy: o.minAccuracy,
      gate: 'all',
      reportDir: join(c.home, 'reports', MODEL_NAME),
    });
    const { formatGateSummary } = await import('@fmnist/ci-test');
    print(c, formatGateSummary(result));
    if (!result.passed)
      throw Object.assign(new Error('the model is below the accuracy threshold; it will not be served'), {
        code: 'GATE_FAILED',
      });
    return result;
  });
  const v0 = gate.report.versions[0];
  state.test = {
    version: registered.version.version,
    passed: gate.passed,
    reportDir: gate.reportDir,
    accuracy: v0?.metrics.accuracy ?? 0,
  };
  await saveState(stateFile, state);
  note(c, `\npipeline done in ${formatDuration((performance.now() - started) / 1000)}`);

  if (o.serve === false) return 0;
  const { serveModel } = await import('@fmnist/serve');
  const running = await stage(c, `serve ${MODEL_NAME} version ${registered.version.version}`, () =>
    serveModel({
      modelDir: registered.modelDir,
      name: MODEL_NAME,
      version: String(registered.version.version),
      source: versionFacts(registered.version),
      port: o.port,
    }),
  );
  print(
    c,
    `serving ${MODEL_NAME} version ${registered.version.version} (test accuracy ${(state.test.accuracy * 100).toFixed(2)}%)`,
  );
  await serveUntilStopped(c, running, MODEL_NAME, false, [['report', join(gate.reportDir, 'report.html')]]);
  return 0;
}

export function registerPipeline(program: Command, ctx: () => CliContext): void {
  const add = (cmd: Command) =>
    cmd
      .option('--retrain', 'train a new experiment even when one already trained on this data')
      .option('--no-serve', 'stop after the accuracy gate instead of serving the model')
      .option('--port <port>', 'where to serve', (v) => Number(v), 9000)
      .option('--min-accuracy <x>', 'the accuracy gate', (v) => Number(v), 0.9)
      .option('--config <file>', 'the experiment config (default: apps/train/const.yaml)')
      .option('--data-dir <dir>', 'use these four IDX files instead of fetching Fashion-MNIST')
      .action(async (opts: PipelineOptions) => {
        if (!(opts.minAccuracy >= 0 && opts.minAccuracy <= 1))
          throw new UsageError('--min-accuracy must be from 0 to 1');
        const code = await runPipeline(program, ctx(), opts);
        if (code) process.exitCode = code;
      });
  add(
    program
      .command('pipeline')
      .description('Data → experiment → registry → accuracy gate → served model, reusing what exists'),
  );
  add(program.command('start').description('The main job behind npm start: the whole pipeline'));
}
