import { flattenHyperparameters, gridAxis } from '../config/index.js';
import type { ExperimentConfig } from '../types.js';
import { FullLengthSearch, type FullLengthState, newFullLengthState, setPath } from './random.js';
import type { Searcher } from './searcher.js';

/** Every point of the grid, in a fixed order (the last hyperparameter varies fastest). */
export function gridPoints(config: ExperimentConfig): Record<string, unknown>[] {
  const leaves = flattenHyperparameters(config.hyperparameters);
  const axes = leaves.map(({ path, hp }) => gridAxis(hp, `hyperparameters.${path.join('.')}`));
  let points: unknown[][] = [[]];
  for (const axis of axes) points = points.flatMap((p) => axis.map((v) => [...p, v]));
  return points.map((values) => {
    const out: Record<string, unknown> = {};
    leaves.forEach(({ path }, i) => {
      setPath(out, path, values[i]);
    });
    return out;
  });
}

/** One full-length trial per grid point, `max_concurrent_trials` at a time. */
export function createGridSearch(config: ExperimentConfig, snapshot?: unknown): Searcher {
  const points = gridPoints(config);
  const state = (snapshot as FullLengthState | undefined) ?? newFullLengthState(points.length);
  return new FullLengthSearch(config, state, (i) => points[i]!);
}
