import type { ExperimentConfig } from '../types.js';
import { FullLengthSearch, type FullLengthState, newFullLengthState, sampleHparams } from './random.js';
import type { Searcher } from './searcher.js';

/** 0.38's single search is a random search of one trial, one at a time (`master/pkg/searcher/random.go`, `newSingleSearch`). */
export function createSingleSearch(config: ExperimentConfig, snapshot?: unknown): Searcher {
  const state = (snapshot as FullLengthState | undefined) ?? newFullLengthState(1);
  return new FullLengthSearch(config, state, (i) => sampleHparams(config, i), 1);
}
