import { readFile } from 'node:fs/promises';
import type { Experiment } from '@fmnist/determined-client';
import { PipelineError } from '../errors.js';
import { type StageContext, timed } from '../stage.js';

/** Whether the config's search runs trials side by side (anything but `single`), so each gets one thread. */
export async function runsConcurrentTrials(configFile: string): Promise<boolean> {
  const { parse } = await import('yaml');
  const raw = parse(await readFile(configFile, 'utf8')) as { searcher?: { name?: string } } | null;
  return raw?.searcher?.name !== 'single';
}

const ENDED = new Set(['ERROR', 'CANCELED', 'DELETED']);

/**
 * Stage 3: the experiment of `options.config` trained on the data commits just made — or the one that
 * already did (reused when completed, resumed from its checkpoints when interrupted), unless `retrain`.
 */
export function trainStage(ctx: StageContext, data: { train: string; test: string }): Promise<Experiment> {
  const { config: configFile, retrain } = ctx.options;
  return timed(ctx, 'train', `train (${configFile})`, async () => {
    const { master } = ctx.clients;
    const { parse, stringify } = await import('yaml');
    const raw = parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    const follow =
      ctx.clients.followExperiment ??
      ((exp: Experiment) =>
        master.waitForExperiment(exp.id, {
          onEvent: (event) => ctx.emit({ type: 'experiment', metric: exp.searcherMetric, event }),
        }));

    const prior = ctx.state.experiment;
    const same =
      prior &&
      prior.data.train === data.train &&
      prior.data.test === data.test &&
      prior.config === configFile;
    if (prior && same && !retrain) {
      const exp = await master.getExperiment(prior.id).catch(() => undefined);
      if (exp?.state === 'COMPLETED') {
        ctx.emit({ type: 'experiment-reused', id: exp.id });
        return exp;
      }
      if (exp && !ENDED.has(exp.state)) {
        ctx.emit({ type: 'experiment-resumed', id: exp.id });
        await master.activateExperiment(exp.id);
        return follow(exp);
      }
    }
    // Pin the data to the commits just made, so the experiment records exactly what it trained on.
    const created = await master.createExperiment(stringify({ ...raw, data }));
    const exp = created.experiment;
    ctx.state.experiment = { id: exp.id, data, config: configFile };
    await ctx.save();
    ctx.emit({ type: 'experiment-created', id: exp.id, name: exp.name, train: data.train });
    const done = await follow(exp);
    if (done.state !== 'COMPLETED')
      throw new PipelineError(
        'EXPERIMENT_FAILED',
        `experiment ${exp.id} ended ${done.state.toLowerCase()}; see "fmnist experiment describe ${exp.id}"`,
      );
    return done;
  });
}
