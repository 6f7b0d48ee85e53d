import { resolve } from 'node:path';
import { DeterminedError } from './errors.js';
import { TRIAL_ENV } from './internal/env.js';
import { createLocalTrialContext } from './local.js';
import { createRemoteTrialContext } from './remote.js';
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
 * master when DET_MASTER is set (logging in with DET_SESSION_TOKEN or DET_USER/DET_PASS), else the
 * embedded master under FMNIST_HOME.
 */
export async function trialContextFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<TrialContext> {
  const trialId = intVar(env, TRIAL_ENV.trialId);
  const target = targetVar(env);
  const master = env[TRIAL_ENV.master];
  if (master) {
    return createRemoteTrialContext({
      master,
      trialId,
      token: env[TRIAL_ENV.token],
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
