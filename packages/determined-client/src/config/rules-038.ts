import { ConfigError } from '../errors.js';
import type { ExperimentConfig } from '../types.js';

/**
 * What a Determined 0.38 master refuses at creation, checked before sending so the user hears why:
 * adaptive_asha without `time_metric` + `max_time` (SearcherConfig.AssertCurrent in
 * master/pkg/schemas/expconf/searcher_config.go) and no `entrypoint` (experiment.json's
 * eventuallyRequired).
 */
export function assertRunnableByDetermined(config: ExperimentConfig): void {
  const s = (config.raw.searcher ?? {}) as Record<string, unknown>;
  if (config.searcher.name === 'adaptive_asha' && (s.max_time == null || s.time_metric == null)) {
    const legacy = config.searcher.maxLength;
    throw new ConfigError(
      'searcher.max_time',
      `the \`adaptive_asha\` searcher requires \`max_time\` and \`time_metric\` to be set on a Determined 0.38 master${
        legacy
          ? ` (write time_metric: ${legacy.unit} and max_time: ${legacy.length} instead of max_length)`
          : ''
      }`,
    );
  }
  if (config.entrypoint === null) {
    throw new ConfigError(
      'entrypoint',
      'required by a Determined master (e.g. entrypoint: node apps/train/dist/main.js)',
    );
  }
}
