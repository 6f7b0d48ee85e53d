import { resolve } from 'node:path';
import { DeterminedError } from './errors.js';
import { TRIAL_ENV } from './internal/env.js';
import { createLocalTrialContext } from './local/trial-context.js';
import { createRemoteTrialContext } from './remote/trial-context.js';
import type { Length, TrialContext } from './types.js';

export { TRIAL_ENV };

function intVar(env: NodeJS.ProcessEnv, name: string): number {
  const v = env[name];
  const n = Number(v);
  if (!v || !Number.isInteger(n) || n < 0) {
    throw new DeterminedError(
      'TRIAL_ENV',
      `${name} is ${v ? JSON.stringify(v) : 'not set'}; expected a trial id`,
      'Trial processes are started by the master, which sets this variable.',
    );
  }
  return n;
}

function jsonVar(env: NodeJS.ProcessEnv, name: string): Record<string, unknown> | undefined {
  const v = env[name];
  if (!v) return undefined;
  try {
    return JSON.parse(v) as Record<string, unknown>;
  } catch {
    throw new DeterminedError('TRIAL_ENV', `${name} is not JSON: ${JSON.stringify(v.slice(0, 80))}`);
  }
}

function targetVar(env: NodeJS.ProcessEnv): Length | null | undefined {
  const v = env[TRIAL_ENV.target];
  if (v === undefined || v === '') return undefined;
  try {
    return JSON.parse(v) as Length | null;
  } catch {
    throw new DeterminedError('TRIAL_ENV', `${TRIAL_ENV.target} is not JSON: ${JSON.stringify(v)}`);
  }
}

/**
 * The trial's view of its master, from the environment the master started it with: a Determined
 * master when DET_MASTER is set, else the embedded master under FMNIST_HOME. Against Determined the
 * trial authenticates with its allocation token (DET_SESSION_TOKEN, in `x-allocation-token`), else a
 * user token (DET_USER_TOKEN), else DET_USER/DET_PASS; it reads its config, hyperparameters and
 * latest checkpoint from DET_EXPERIMENT_CONFIG, DET_HPARAMS and DET_LATEST_CHECKPOINT when present.
 */
export async function trialContextFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<TrialContext> {
  const trialId = intVar(env, TRIAL_ENV.trialId);
  const target = targetVar(env);
  const master = env[TRIAL_ENV.master];
  if (master) {
    return createRemoteTrialContext({
      master,
      trialId,
      experimentId: env[TRIAL_ENV.experimentId] ? Number(env[TRIAL_ENV.experimentId]) : undefined,
      allocationToken: env[TRIAL_ENV.token] || undefined,
      token: env[TRIAL_ENV.userToken] || undefined,
      certFile: env[TRIAL_ENV.certFile] || undefined,
      sharedFsContainerPath: env[TRIAL_ENV.sharedFsMount] || undefined,
      experimentConfig: jsonVar(env, TRIAL_ENV.experimentConfig),
      hparams: jsonVar(env, TRIAL_ENV.hparams),
      latestCheckpoint: env[TRIAL_ENV.latestCheckpoint] || undefined,
      user: env[TRIAL_ENV.user],
      password: env[TRIAL_ENV.password],
      allocationId: env[TRIAL_ENV.allocationId],
      taskId: env[TRIAL_ENV.taskId],
      runId: env[TRIAL_ENV.runId] ? Number(env[TRIAL_ENV.runId]) : undefined,
      target,
    });
  }
  const home = env[TRIAL_ENV.home];
  if (!home) {
    throw new DeterminedError(
      'TRIAL_ENV',
      `neither ${TRIAL_ENV.master} nor ${TRIAL_ENV.home} is set; the trial cannot find its master`,
    );
  }
  return createLocalTrialContext({
    home: resolve(home),
    trialId,
    ...(target !== undefined ? { target } : {}),
  });
}
