import type { PipelineState } from './state.js';
import type { PipelineClients, PipelineEventHandler, PipelineOptions, StageName } from './types.js';

/** What every stage gets: the clients, the options, the state of runs so far, and where to report. */
export interface StageContext {
  clients: PipelineClients;
  options: PipelineOptions;
  model: string;
  state: PipelineState;
  /** Writes `state` to the home, so a later run resumes from here. */
  save(): Promise<void>;
  emit: PipelineEventHandler;
}

/** Runs one stage between its started and finished (or failed) events, timing it. */
export async function timed<T>(
  ctx: StageContext,
  stage: StageName,
  title: string,
  fn: () => Promise<T>,
): Promise<T> {
  ctx.emit({ type: 'stage-started', stage, title });
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const out = await fn();
    ctx.emit({ type: 'stage-finished', stage, title, seconds: seconds() });
    return out;
  } catch (error) {
    ctx.emit({ type: 'stage-failed', stage, title, seconds: seconds(), error });
    throw error;
  }
}
