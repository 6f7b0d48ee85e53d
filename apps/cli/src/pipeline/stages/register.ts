import type { Checkpoint, Experiment, ModelVersion } from '@fmnist/determined-client';
import { PipelineError } from '../errors.js';
import { type StageContext, timed } from '../stage.js';

/** The completed checkpoint with the best searcher metric. */
function best(checkpoints: Checkpoint[], smallerIsBetter: boolean): Checkpoint | undefined {
  const scored = checkpoints.filter((k) => k.state === 'COMPLETED' && typeof k.searcherMetric === 'number');
  scored.sort(
    (a, b) => ((a.searcherMetric as number) - (b.searcherMetric as number)) * (smallerIsBetter ? 1 : -1),
  );
  return scored[0];
}

/**
 * Stage 4: the experiment's best checkpoint registered as a version of the model (created when absent);
 * a checkpoint already registered is not registered twice. Returns the version and its artifacts folder.
 */
export async function registerStage(
  ctx: StageContext,
  experiment: Experiment,
): Promise<{ version: ModelVersion; modelDir: string }> {
  const { model } = ctx;
  const registered = await timed(
    ctx,
    'register',
    `register the best checkpoint as a version of ${model}`,
    async () => {
      const { master } = ctx.clients;
      const top = best(
        await master.listCheckpoints({ experimentId: experiment.id }),
        experiment.smallerIsBetter,
      );
      if (!top)
        throw new PipelineError(
          'NO_CHECKPOINT',
          `experiment ${experiment.id} left no completed checkpoint with a ${experiment.searcherMetric}`,
        );
      await master.getModel(model).catch(async (e: { code?: string }) => {
        if (e.code !== 'MODEL_NOT_FOUND') throw e;
        await master.createModel(model, { description: 'Fashion-MNIST image classifier' });
        ctx.emit({ type: 'model-created', model });
      });
      const existing = (await master.listVersions(model)).find((v) => v.checkpoint.uuid === top.uuid);
      const version = existing ?? (await master.registerVersion(model, top.uuid));
      ctx.emit({
        type: 'version-registered',
        model,
        version: version.version,
        checkpoint: top.uuid,
        metric: experiment.searcherMetric,
        value: top.searcherMetric ?? undefined,
        existing: Boolean(existing),
      });
      return { version, modelDir: await ctx.clients.versionArtifacts(version) };
    },
  );
  ctx.state.registered = {
    model,
    version: registered.version.version,
    checkpoint: registered.version.checkpoint.uuid,
  };
  await ctx.save();
  return registered;
}
