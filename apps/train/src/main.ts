#!/usr/bin/env node
// The trial entrypoint: the embedded master (or a Determined cluster) starts this once per trial run.
import { resolve } from 'node:path';
import { trialContextFromEnv } from '@fmnist/determined-client';
import { type DataSpec, loadTrialData } from './data.js';
import { runTrial } from './trial.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
try {
  const ctx = await trialContextFromEnv();
  const home = resolve(process.env.FMNIST_HOME ?? '.fmnist');
  const spec = (ctx.config.raw.data ?? {}) as DataSpec;
  const data = await loadTrialData(home, spec).catch((e: Error) => {
    // On a cluster the data comes from Pachyderm; say so rather than only "repo not found".
    if (ctx.backend === 'remote' && !process.env.PACHD_ADDRESS) {
      throw new Error(
        `${e.message}\n  On a Determined cluster the trial reads its data repos from Pachyderm: set PACHD_ADDRESS in environment.environment_variables of the experiment config.`,
      );
    }
    throw e;
  });
  log(`trial ${ctx.trialId}: training on ${data.commits.train}, validating on ${data.commits.test}`);
  const workers = process.env.FMNIST_WORKERS ? Number(process.env.FMNIST_WORKERS) : undefined;
  await runTrial(ctx, { data, workers, log });
  await ctx.close();
} catch (e) {
  log(`trial failed: ${(e as Error).message}`);
  process.exitCode = 1;
}
