import type { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { dataCommand } from '../data-client.js';
import { formatBytes } from '../output/progress.js';
import { printTable } from '../output/table.js';

/** `fmnist repo create|list|delete`: data repositories, as pachctl's. */
export function registerRepo(program: Command, ctx: () => CliContext): void {
  const run = dataCommand(program, ctx);
  const repo = program.command('repo').description('Create, list and delete data repositories');
  repo
    .command('create')
    .description('Create a data repository')
    .argument('<name>', 'repo name: letters, digits, "_" and "-"')
    .option('--description <text>', 'what the repo holds')
    .option('--json', 'print the repo as JSON')
    .action((name: string, opts: { description?: string; json?: boolean }) =>
      run(async (client, c) => {
        const info = await client.createRepo(name, { description: opts.description });
        print(c, opts.json ? JSON.stringify(info) : `created repo ${info.name}`);
      }),
    );
  repo
    .command('list')
    .description('List data repositories')
    .option('--json', 'print one JSON array')
    .action((opts: { json?: boolean }) =>
      run(async (client, c) => {
        const repos = await client.listRepos();
        if (opts.json) return print(c, JSON.stringify(repos));
        printTable(c, [
          ['NAME', 'CREATED', 'SIZE', 'BRANCHES'],
          ...repos.map((r) => [r.name, r.created, formatBytes(r.sizeBytes), r.branches.join(',')]),
        ]);
      }),
    );
  repo
    .command('delete')
    .description('Delete a data repository and its commits')
    .argument('<name>', 'repo name')
    .option('--json', 'print the result as JSON')
    .action((name: string, opts: { json?: boolean }) =>
      run(async (client, c) => {
        await client.deleteRepo(name);
        print(c, opts.json ? JSON.stringify({ deleted: name }) : `deleted repo ${name}`);
      }),
    );
}
