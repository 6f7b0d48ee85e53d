// The model registry commands, as Determined's `det model`.
import type { ModelVersion } from '@fmnist/determined-client';
import type { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { formatValue, printList } from '../output/table.js';
import { versionSpec, withMaster } from '../registry.js';

function describeVersion(c: CliContext, v: ModelVersion): void {
  print(c, `${v.model} version ${v.version}: checkpoint ${v.checkpoint.uuid}`);
  print(c, `  experiment ${v.experimentId ?? '-'}, trial ${v.trialId ?? '-'}, registered ${v.createdAt}`);
  print(
    c,
    `  validation: ${
      Object.entries(v.metrics.validation)
        .map(([k, x]) => `${k} ${formatValue(x)}`)
        .join(', ') || '-'
    }`,
  );
  print(c, `  hyperparameters: ${JSON.stringify(v.hparams)}`);
  print(
    c,
    `  data: ${
      Object.entries(v.dataCommits)
        .map(([k, x]) => `${k} ${x}`)
        .join(', ') || '-'
    }`,
  );
  print(c, `  backend ${v.backend ?? '-'}, code ${v.codeVersion ?? '-'}`);
}

export function registerModelRegistry(program: Command, ctx: () => CliContext): void {
  const model = program.command('model').description("The model registry, as Determined's det model");
  model
    .command('create')
    .argument('<name>', 'model name')
    .option('--description <text>', 'what the model is for')
    .option('--json', 'print as JSON')
    .description('Create a model in the registry')
    .action(async (name: string, opts: { description?: string; json?: boolean }) => {
      const c = ctx();
      await withMaster(program, c, async (m) => {
        const created = await m.createModel(name, { description: opts.description });
        if (opts.json) print(c, JSON.stringify(created));
        else print(c, `created model ${created.name}`);
      });
    });
  model
    .command('register-version')
    .argument('<name>', 'model name')
    .argument('<checkpoint>', 'checkpoint uuid')
    .option('--json', 'print as JSON')
    .description('Register a checkpoint as the next version of a model')
    .action(async (name: string, uuid: string, opts: { json?: boolean }) => {
      const c = ctx();
      await withMaster(program, c, async (m) => {
        const v = await m.registerVersion(name, uuid);
        if (opts.json) print(c, JSON.stringify(v));
        else describeVersion(c, v);
      });
    });
  model
    .command('describe')
    .argument('<name>', 'model name')
    .option('--version <n>', 'one version (a number or latest) instead of the model')
    .option('--json', 'print as JSON')
    .description('A model and its latest version')
    .action(async (name: string, opts: { version?: string; json?: boolean }) => {
      const c = ctx();
      await withMaster(program, c, async (m) => {
        if (opts.version) {
          const v = await m.getVersion(name, versionSpec(opts.version));
          return opts.json ? print(c, JSON.stringify(v)) : describeVersion(c, v);
        }
        const info = await m.getModel(name);
        const versions = await m.listVersions(name);
        if (opts.json) return print(c, JSON.stringify({ ...info, versions }));
        print(
          c,
          `model ${info.name}: ${info.numVersions} version(s)${info.description ? ` — ${info.description}` : ''}`,
        );
        const latest = versions.at(-1);
        if (latest) describeVersion(c, latest);
      });
    });
  model
    .command('list-versions')
    .argument('<name>', 'model name')
    .option('--json', 'print as JSON')
    .description('The versions of a model, oldest first')
    .action(async (name: string, opts: { json?: boolean }) => {
      const c = ctx();
      await withMaster(program, c, async (m) => {
        const versions = await m.listVersions(name);
        printList(
          c,
          opts.json,
          versions,
          ['VERSION', 'CHECKPOINT', 'EXPERIMENT', 'TRIAL', 'VAL ACCURACY', 'REGISTERED'],
          (v) => [
            v.version,
            v.checkpoint.uuid,
            v.experimentId,
            v.trialId,
            formatValue(v.metrics.validation.val_accuracy),
            v.createdAt,
          ],
        );
      });
    });
  model
    .command('list')
    .option('--json', 'print as JSON')
    .description('Models in the registry')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      await withMaster(program, c, async (m) => {
        const list = await m.listModels();
        printList(c, opts.json, list, ['NAME', 'VERSIONS', 'CREATED', 'DESCRIPTION'], (x) => [
          x.name,
          x.numVersions,
          x.createdAt,
          x.description,
        ]);
      });
    });
}
