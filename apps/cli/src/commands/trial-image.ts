import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { UsageError } from '../errors.js';
import { TRIAL_BASE_IMAGE, TRIAL_BIN, writeTrialImageContext } from '../trial-image.js';

/** The fmnist checkout this CLI runs from: the nearest folder up with pnpm-workspace.yaml. */
function checkoutRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** `fmnist experiment build-context`: the trial image for a Determined cluster. */
export function registerTrialImage(program: Command, ctx: () => CliContext): void {
  const experiment = program.commands.find((c) => c.name() === 'experiment');
  if (!experiment) throw new Error('register the experiment commands before the trial image');
  experiment
    .command('build-context')
    .description('write a Docker build context for the image Determined runs fmnist trials in')
    .requiredOption('--out <dir>', 'the folder to create')
    .option('--workspace <dir>', 'the fmnist checkout to take the built trial from (default: this one)')
    .option('--base-image <image>', `a pinned Node 20 image (default ${TRIAL_BASE_IMAGE})`)
    .option('--overwrite', 'replace --out if it exists')
    .action(async (o: { out: string; workspace?: string; baseImage?: string; overwrite?: boolean }) => {
      const c = ctx();
      const root = o.workspace ? resolve(o.workspace) : checkoutRoot();
      if (!root) throw new UsageError('cannot find the fmnist checkout: pass --workspace DIR');
      const out = resolve(o.out);
      const made = await writeTrialImageContext({
        workspaceRoot: root,
        out,
        ...(o.baseImage ? { baseImage: o.baseImage } : {}),
        ...(o.overwrite ? { overwrite: true } : {}),
      });
      const mib = (made.bytes / 2 ** 20).toFixed(1);
      print(
        c,
        `trial image context in ${out} (${made.files.length} files, ${mib} MiB; base ${made.baseImage})`,
      );
      print(
        c,
        `  docker build -t REGISTRY/fmnist-trial:0.1.0 ${out} && docker push REGISTRY/fmnist-trial:0.1.0`,
      );
      print(c, `  then set environment.image in apps/train/cluster/*.yaml; the entrypoint is ${TRIAL_BIN}`);
    });
}
