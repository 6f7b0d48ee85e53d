import { access, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeterminedClient, ModelVersion, TrialRunner } from '@fmnist/determined-client';
import { replaceDir } from '@fmnist/fs-kit';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';

/** The global flag that moves experiment and registry commands to a Determined master. */
export function addMasterOption(program: Command): void {
  program.option('--master <url>', 'a Determined master (env DET_MASTER; default: the embedded master)');
}

export interface MasterOptions {
  /** How the embedded master starts trials; only needed to run experiments. */
  trialRunner?: TrialRunner;
  /** Trials at once on the embedded master. */
  workers?: number;
}

/** The experiment master for this invocation: Determined with --master or DET_MASTER, else the embedded one. */
export async function openMaster(
  program: Command,
  c: CliContext,
  opts: MasterOptions = {},
): Promise<DeterminedClient> {
  const { createDeterminedClient } = await import('@fmnist/determined-client');
  return createDeterminedClient({
    home: c.home,
    master: program.opts<{ master?: string }>().master ?? process.env.DET_MASTER,
    user: process.env.DET_USER,
    password: process.env.DET_PASS,
    trialRunner: opts.trialRunner,
    workers: opts.workers,
  });
}

export async function withMaster<T>(
  program: Command,
  c: CliContext,
  fn: (m: DeterminedClient) => Promise<T>,
  opts?: MasterOptions,
) {
  const master = await openMaster(program, c, opts);
  try {
    return await fn(master);
  } finally {
    await master.close();
  }
}

/** The trial entrypoint of apps/train, run by the embedded master with this CLI's Node. */
export async function trialRunner(c: CliContext, concurrent: boolean): Promise<TrialRunner> {
  const { TRIAL_ENTRYPOINT } = await import('@fmnist/train');
  return {
    command: process.execPath,
    args: [fileURLToPath(TRIAL_ENTRYPOINT)],
    // Trials sharing the machine train on one thread each; a lone trial uses both cores.
    env: { FMNIST_HOME: c.home, ...(concurrent ? { FMNIST_WORKERS: '1' } : {}) },
  };
}

/** Parses a version given as a number or `latest`. */
export function versionSpec(value: string): number | 'latest' {
  if (value === 'latest') return 'latest';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`a version is a whole number from 1, or "latest"; got "${value}"`);
  return n;
}

/** A registered version with its artifacts in a local folder (downloaded once per checkpoint). */
export interface ResolvedVersion {
  version: ModelVersion;
  modelDir: string;
}

export async function fetchVersionArtifacts(
  c: { home: string },
  master: DeterminedClient,
  v: ModelVersion,
): Promise<string> {
  const dir = join(c.home, 'cache', 'checkpoints', v.checkpoint.uuid);
  try {
    await access(join(dir, 'metadata.json'));
    return await realpath(dir);
  } catch {
    // Checkpoints never change, so a complete copy is reused; a partial one is replaced whole. The real
    // folder is returned, so copying it (a build context) copies files rather than a link.
    return replaceDir(dir, (staging) => master.downloadCheckpoint(v.checkpoint.uuid, staging).then(() => {}));
  }
}

/** Finds a registered model version (a number or `latest`) and a local folder with its artifacts. */
export async function resolveVersion(
  program: Command,
  c: CliContext,
  model: string,
  spec: number | 'latest',
): Promise<ResolvedVersion> {
  return withMaster(program, c, async (master) => {
    const version = await master.getVersion(model, spec);
    return { version, modelDir: await fetchVersionArtifacts(c, master, version) };
  });
}

/** Every registered version of a model, `latest`, or one by number. */
export async function resolveVersions(
  program: Command,
  c: CliContext,
  model: string,
  spec: string,
): Promise<ResolvedVersion[]> {
  return withMaster(program, c, async (master) => {
    const versions =
      spec === 'all' ? await master.listVersions(model) : [await master.getVersion(model, versionSpec(spec))];
    if (versions.length === 0)
      throw new UsageError(
        `model ${model} has no versions yet; register one with "fmnist model register-version"`,
      );
    const out: ResolvedVersion[] = [];
    for (const version of versions)
      out.push({ version, modelDir: await fetchVersionArtifacts(c, master, version) });
    return out;
  });
}

/** What a report or a served model shows of a version: where it came from and how it scored. */
export function versionFacts(v: ModelVersion): Record<string, unknown> {
  return {
    checkpoint: v.checkpoint.uuid,
    experimentId: v.experimentId,
    trialId: v.trialId,
    registeredAt: v.createdAt,
    hyperparameters: v.hparams,
    validationMetrics: v.metrics.validation,
    dataCommits: v.dataCommits,
    backend: v.backend,
    codeVersion: v.codeVersion,
  };
}
