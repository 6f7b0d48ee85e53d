import { resolve } from 'node:path';
import { DeterminedError } from './errors.js';
import { createLocalDeterminedClient } from './local/client.js';
import { createRemoteDeterminedClient } from './remote/client.js';
import type { Checkpoint, DeterminedClient, TrialRunner } from './types.js';

export { assertRunnableByDetermined, flattenHyperparameters, parseExperimentConfig } from './config/index.js';
export {
  AuthError,
  ConfigError,
  DeterminedError,
  type DeterminedErrorCode,
  NotFoundError,
} from './errors.js';
export {
  createLocalDeterminedClient,
  createLocalTrialContext,
  type LocalDeterminedClientOptions,
} from './local.js';
export {
  checkpointStorage,
  createRemoteDeterminedClient,
  createRemoteTrialContext,
  MAX_CONTEXT_BYTES,
  masterUrl,
  type RemoteDeterminedClientOptions,
  readContext,
  SHARED_FS_CONTAINER_PATH,
} from './remote.js';
export {
  ashaBrackets,
  bracketMaxConcurrentTrials,
  bracketMaxTrials,
  createSearcher,
  gridPoints,
  planSearch,
  rungLengths,
  type Searcher,
  type SearchOp,
  sampleHparams,
} from './searchers/index.js';
export { TRIAL_ENV, trialContextFromEnv } from './trial.js';
export type * from './types.js';
export { TERMINAL_STATES } from './types.js';

export interface DeterminedClientOptions {
  /** The fmnist home (embedded master under `<home>/determined`). Default: FMNIST_HOME or ./.fmnist. */
  home?: string;
  /** A Determined master (`host:port`); default DET_MASTER. When set, the remote backend is used. */
  master?: string;
  /** Default DET_USER. */
  user?: string;
  /** Default DET_PASS. */
  password?: string;
  /** Embedded master: how trial processes are started. */
  trialRunner?: TrialRunner;
  /** Embedded master: trial processes at once. */
  workers?: number;
}

/** The one place a backend is chosen: a Determined master when DET_MASTER (or `master`) is set, else the embedded one. */
export function createDeterminedClient(opts: DeterminedClientOptions = {}): DeterminedClient {
  const master = opts.master ?? process.env.DET_MASTER;
  if (master) {
    return createRemoteDeterminedClient({
      master,
      user: opts.user ?? process.env.DET_USER,
      password: opts.password ?? process.env.DET_PASS,
    });
  }
  return createLocalDeterminedClient({
    home: resolve(opts.home ?? process.env.FMNIST_HOME ?? '.fmnist'),
    trialRunner: opts.trialRunner,
    workers: opts.workers,
  });
}

/** The experiment's best checkpoint by its searcher metric (ties: the later one). */
export async function bestCheckpoint(client: DeterminedClient, experimentId: number): Promise<Checkpoint> {
  const e = await client.getExperiment(experimentId);
  const list = (await client.listCheckpoints({ experimentId })).filter(
    (c) => c.state === 'COMPLETED' && typeof c.searcherMetric === 'number',
  );
  const sign = e.smallerIsBetter ? 1 : -1;
  let best: Checkpoint | undefined;
  for (const c of list) if (!best || c.searcherMetric! * sign <= best.searcherMetric! * sign) best = c;
  if (!best) {
    throw new DeterminedError(
      'CHECKPOINT_NOT_FOUND',
      `experiment ${experimentId} has no checkpoint with a ${e.searcherMetric || 'searcher'} metric`,
    );
  }
  return best;
}
