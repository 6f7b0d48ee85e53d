import type { ExperimentConfig, Length } from '../types.js';

/**
 * What a searcher asks of the master: start a trial, train one until a cumulative `length`
 * (null: the trial decides), or close one (it trains no more).
 */
export type SearchOp =
  | { type: 'create'; requestId: number; hparams: Record<string, unknown>; bracket?: number }
  | { type: 'train'; requestId: number; length: number | null }
  | { type: 'close'; requestId: number };

/** A search as a state machine over trial events; its state is plain JSON so a master can persist it. */
export interface Searcher {
  initialOperations(): SearchOp[];
  /**
   * The trial validated with this searcher metric after `stepsCompleted` units of the searcher's
   * time metric (default: the length of its last `train` op).
   */
  validationCompleted(requestId: number, metric: number, stepsCompleted?: number): SearchOp[];
  /** The trial failed for good (out of restarts). */
  trialExitedEarly(requestId: number): SearchOp[];
  /** 0..1 */
  progress(): number;
  snapshot(): unknown;
}

/**
 * The full training length of a trial: 0.38's `time_metric` + `max_time`, or the legacy `max_length`
 * (the config parser reads both into one `Length`); null when the config leaves it to the trial.
 */
export function searchLength(config: ExperimentConfig): Length | null {
  return config.searcher.maxLength ?? null;
}
