import type { ExperimentConfig, PlannedTrial, SearchPlan } from '../types.js';
import { createAshaSearch, planAsha } from './asha.js';
import { createGridSearch, gridPoints } from './grid.js';
import { createRandomSearch, sampleHparams } from './random.js';
import { type Searcher, searchLength } from './searcher.js';
import { createSingleSearch } from './single.js';

export { ashaBrackets, bracketMaxConcurrentTrials, bracketMaxTrials, rungLengths } from './asha.js';
export { gridPoints } from './grid.js';
export { sampleHparams } from './random.js';
export type { Searcher, SearchOp } from './searcher.js';

/** The searcher a config asks for, fresh or from a `snapshot()`. */
export function createSearcher(config: ExperimentConfig, snapshot?: unknown): Searcher {
  switch (config.searcher.name) {
    case 'adaptive_asha':
      return createAshaSearch(config, snapshot);
    case 'grid':
      return createGridSearch(config, snapshot);
    case 'single':
      return createSingleSearch(config, snapshot);
    case 'random':
      return createRandomSearch(config, snapshot);
  }
}

/** A dry run: the trials the search would start and, like `det preview-search`, how long each trains. */
export function planSearch(config: ExperimentConfig): SearchPlan {
  const s = config.searcher;
  const length = searchLength(config);
  const unit = length?.unit ?? null;
  const points = s.name === 'grid' ? gridPoints(config) : null;
  // ASHA's request ids interleave across brackets as trials stop, so trials are listed by request id only.
  const trials: PlannedTrial[] = Array.from({ length: s.maxTrials }, (_, requestId) => ({
    requestId,
    hparams: points ? points[requestId]! : sampleHparams(config, requestId),
  }));
  if (s.name === 'adaptive_asha') return { searcher: s.name, unit, trials, ...planAsha(config) };
  return {
    searcher: s.name,
    unit,
    trials,
    summary: [{ count: s.maxTrials, length: null }],
    maxTotalLength: length === null ? null : length.length * s.maxTrials,
  };
}
