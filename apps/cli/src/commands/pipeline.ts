import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GateResult } from '@fmnist/ci-test';
import type { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { openDataClient } from '../data-client.js';
import { UsageError } from '../errors.js';
import { createProgressGroup, formatDuration } from '../output/progress.js';
import { type PipelineEvent, runPipeline, runsConcurrentTrials } from '../pipeline/index.js';
import { fetchVersionArtifacts, openMaster, trialRunner } from '../registry.js';
import { fetchDataset, printDatasetSummary } from './data.js';
import { experimentEvents, followExperiment } from './experiment.js';
import { serveUntilStopped } from './serve.js';

interface PipelineFlags {
  retrain?: boolean;
  serve?: boolean;
  port: number;
  ui: boolean;
  uiPort: number;
  minAccuracy: number;
  config?: string;
  dataDir?: string;
}

/** Prints the pipeline's events: each stage as it starts and ends with its time, and what it did. */
function printer(c: CliContext, formatGateSummary: (result: GateResult) => string) {
  const bars = createProgressGroup(c);
  return (e: PipelineEvent) => {
    switch (e.type) {
      case 'stage-started':
        return note(c, `\n▶ ${e.title}`);
      case 'stage-finished':
        return note(c, `✔ ${e.title} (${formatDuration(e.seconds)})`);
      case 'stage-failed':
        return note(c, `✖ ${e.title} failed after ${formatDuration(e.seconds)}; the next run resumes here`);
      case 'dataset':
        return printDatasetSummary(c, e.dataset);
      case 'put-progress':
        return bars.update(e.repo, { label: 'putting', unit: 'bytes' }, e.path, e.bytesDone, e.bytesTotal);
      case 'data-committed':
        bars.done(e.repo);
        return print(c, `  ${e.repo}@${e.commit}${e.created ? ' (new commit)' : ' (unchanged)'}`);
      case 'experiment-reused':
        return note(
          c,
          `experiment ${e.id} already trained on this data; reusing it (--retrain to train again)`,
        );
      case 'experiment-resumed':
        return note(c, `resuming experiment ${e.id} from its last checkpoints`);
      case 'experiment-created':
        return note(c, `experiment ${e.id} (${e.name}) on ${e.train}`);
      case 'experiment':
        return experimentEvents(c, e.metric)(e.event);
      case 'model-created':
        return note(c, `created model ${e.model}`);
      case 'version-registered':
        return print(
          c,
          `  ${e.model} version ${e.version}${e.existing ? ' (already registered)' : ''}: checkpoint ${e.checkpoint}, ${e.metric} ${e.value?.toFixed(4)}`,
        );
      case 'log':
        return note(c, e.line);
      case 'gate-result':
        return print(c, formatGateSummary(e.result));
      case 'finished':
        return note(c, `\npipeline done in ${formatDuration(e.seconds)}`);
      case 'serving':
        return print(
          c,
          `serving ${e.model} version ${e.version} (test accuracy ${(e.accuracy * 100).toFixed(2)}%)`,
        );
    }
  };
}

async function pipelineCommand(program: Command, c: CliContext, o: PipelineFlags): Promise<void> {
  const { EXPERIMENT_CONFIGS } = await import('@fmnist/train');
  const config = resolve(o.config ?? fileURLToPath(EXPERIMENT_CONFIGS.const));
  const { formatGateSummary } = await import('@fmnist/ci-test');
  const data = openDataClient(program, c);
  const master = await openMaster(program, c, {
    trialRunner: await trialRunner(c, await runsConcurrentTrials(config)),
  });
  let result: Awaited<ReturnType<typeof runPipeline>>;
  try {
    result = await runPipeline(
      {
        data,
        master,
        fetchDataset: (outDir) => fetchDataset(c, outDir),
        versionArtifacts: (version) => fetchVersionArtifacts(c, master, version),
        followExperiment: (exp) => followExperiment(c, master, exp),
        ...(o.ui ? { startDashboard: dashboardStarter(program, c, o.uiPort) } : {}),
      },
      { ...o, home: c.home, config },
      printer(c, formatGateSummary),
    );
  } finally {
    await Promise.all([master.close(), data.close()]);
  }
  const [model, ...others] = result.servers;
  if (!model) return;
  await serveUntilStopped(
    c,
    { url: model.url, close: async () => void (await Promise.all([model, ...others].map((s) => s.close()))) },
    result.model,
    false,
    result.links,
  );
}

/** The dashboard beside the served model, on loopback, showing this home's engines and the model. */
function dashboardStarter(program: Command, c: CliContext, port: number) {
  return async (o: { model: string; version: number; url: string }) => {
    const { startDashboard } = await import('@fmnist/dashboard');
    const global = program.opts<{ master?: string; pachd?: string }>();
    try {
      return await startDashboard({
        home: c.home,
        port,
        ...(global.master ? { master: global.master } : {}),
        ...(global.pachd ? { pachdAddress: global.pachd } : {}),
        served: [{ name: 'pipeline', model: o.model, version: o.version, url: o.url }],
      });
    } catch (e) {
      if ((e as { code?: string }).code === 'EADDRINUSE')
        throw new UsageError(`port ${port} is in use; pick another with --ui-port, or --no-ui`);
      throw e;
    }
  };
}

export function registerPipeline(program: Command, ctx: () => CliContext): void {
  const add = (cmd: Command) =>
    cmd
      .option('--retrain', 'train a new experiment even when one already trained on this data')
      .option('--no-serve', 'stop after the accuracy gate instead of serving the model')
      .option('--port <port>', 'where to serve', (v) => Number(v), 9000)
      .option(
        '--ui-port <port>',
        'where the dashboard listens beside the served model',
        (v) => Number(v),
        8080,
      )
      .option('--no-ui', 'serve the model without the dashboard')
      .option('--min-accuracy <x>', 'the accuracy gate', (v) => Number(v), 0.92)
      .option('--config <file>', 'the experiment config (default: apps/train/const.yaml)')
      .option('--data-dir <dir>', 'use these four IDX files instead of fetching Fashion-MNIST')
      .action(async (opts: PipelineFlags) => {
        if (!(opts.minAccuracy >= 0 && opts.minAccuracy <= 1))
          throw new UsageError('--min-accuracy must be from 0 to 1');
        await pipelineCommand(program, ctx(), opts);
      });
  add(
    program
      .command('pipeline')
      .description('Data → experiment → registry → accuracy gate → served model, reusing what exists'),
  );
  add(program.command('start').description('The main job behind npm start: the whole pipeline'));
}
