import type { StageContext } from './stage.js';
import { dataStage, datasetStage } from './stages/data.js';
import { gateStage } from './stages/gate.js';
import { registerStage } from './stages/register.js';
import { serveStage } from './stages/serve.js';
import { trainStage } from './stages/train.js';
import { readState, saveState } from './state.js';
import type { PipelineClients, PipelineEventHandler, PipelineOptions, PipelineResult } from './types.js';

export { PipelineError } from './errors.js';
export { runsConcurrentTrials } from './stages/train.js';
export { type PipelineState, readState, stateFile } from './state.js';
export type * from './types.js';

export const DEFAULT_MODEL = 'fashion-classifier';

/**
 * Data → experiment → registry → accuracy gate → served model, reusing what earlier runs left (kept in
 * `<home>/pipeline.json`): no new data commit for unchanged data, no new experiment for the same data and
 * config (unless `retrain`), no second registration of a checkpoint. A failed stage throws after its
 * `stage-failed` event; the next run resumes there.
 */
export async function runPipeline(
  clients: PipelineClients,
  options: PipelineOptions,
  onEvent: PipelineEventHandler = () => {},
): Promise<PipelineResult> {
  const state = await readState(options.home);
  const ctx: StageContext = {
    clients,
    options,
    model: options.model ?? DEFAULT_MODEL,
    state,
    save: () => saveState(options.home, state),
    emit: onEvent,
  };
  const started = performance.now();
  const dataset = await datasetStage(ctx);
  const data = await dataStage(ctx, dataset);
  const experiment = await trainStage(ctx, data);
  const registered = await registerStage(ctx, experiment);
  const gate = await gateStage(ctx, registered, data.test);
  onEvent({ type: 'finished', seconds: (performance.now() - started) / 1000 });
  const serving =
    options.serve === false ? { servers: [], links: [] } : await serveStage(ctx, registered, gate);
  return { model: ctx.model, version: registered.version, modelDir: registered.modelDir, gate, ...serving };
}
