import { DeterminedError } from '../errors.js';
import type { ExperimentConfig, Metrics } from '../types.js';

/**
 * A 0.38 searcher with `time_metric` reads that key from every validation report
 * (master/pkg/searcher/asha_stopping.go); one without it sends the experiment to an error, so it is
 * refused here, before it is sent.
 */
export function checkTimeMetric(config: ExperimentConfig, metrics: Metrics): void {
  const timeMetric = (config.raw.searcher as Record<string, unknown> | undefined)?.time_metric;
  if (typeof timeMetric !== 'string') return;
  if (typeof metrics[timeMetric] !== 'number') {
    throw new DeterminedError(
      'BAD_REQUEST',
      `the validation metrics lack the searcher's time_metric "${timeMetric}" (got ${Object.keys(metrics).join(', ') || 'none'})`,
      `Report "${timeMetric}" (the training done so far) with every validation.`,
    );
  }
}
