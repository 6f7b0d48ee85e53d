import { type CommitInfo, parseAddress } from '@fmnist/data-client';
import type { Command } from 'commander';
import { positiveInt } from '../args.js';
import { type CliContext, print } from '../context.js';
import { dataCommand, verbGroup } from '../data-client.js';
import { formatBytes } from '../output/progress.js';
import { printTable } from '../output/table.js';

function printCommit(c: CliContext, info: CommitInfo) {
  print(c, `Commit:       ${info.repo}@${info.id}`);
  // pachd leaves the branch out of some answers; a line saying "-" would read as "no branch".
  if (info.branch) print(c, `Branch:       ${info.branch}`);
  print(c, `Parent:       ${info.parent ?? '-'}`);
  print(c, `Finished:     ${info.finished}`);
  print(c, `Size:         ${formatBytes(info.sizeBytes)} (${info.sizeBytes} bytes)`);
  print(c, `Files:        ${info.fileCount}`);
  print(c, `Content hash: ${info.contentHash}`);
  if (info.description) print(c, `Description:  ${info.description}`);
}

/** `fmnist list commit`, `inspect commit`, `diff commit`: the history of data repositories, as pachctl's. */
export function registerCommit(program: Command, ctx: () => CliContext): void {
  const run = dataCommand(program, ctx);

  verbGroup(program, 'list', 'List files or commits')
    .command('commit')
    .description('List the commits of a repo (newest first), or of one branch with REPO@BRANCH')
    .argument('<repo>', 'REPO or REPO@BRANCH')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'))
    .option('--json', 'print one JSON array')
    .action((target: string, opts: { limit?: number; json?: boolean }) =>
      run(async (client, c) => {
        const a = parseAddress(target);
        const commits = await client.listCommits(a.repo, { branch: a.ref, limit: opts.limit });
        if (opts.json) return print(c, JSON.stringify(commits));
        printTable(c, [
          ['REPO', 'BRANCH', 'COMMIT', 'FINISHED', 'SIZE', 'FILES'],
          ...commits.map((x) => [
            x.repo,
            x.branch ?? '',
            x.id,
            x.finished,
            formatBytes(x.sizeBytes),
            String(x.fileCount),
          ]),
        ]);
      }),
    );

  program
    .command('inspect')
    .description('Show details of a commit')
    .command('commit')
    .description('Show a commit: id, parent, branch, time, size, file count, content hash')
    .argument('<address>', 'REPO@COMMIT or REPO@BRANCH (its head)')
    .option('--json', 'print the commit as JSON')
    .action((address: string, opts: { json?: boolean }) =>
      run(async (client, c) => {
        const info = await client.inspectCommit(address);
        if (opts.json) print(c, JSON.stringify(info));
        else printCommit(c, info);
      }),
    );

  program
    .command('diff')
    .description('Compare commits')
    .command('commit')
    .description('Files added, removed or modified from one commit to another')
    .argument('<from>', 'REPO@REF')
    .argument('<to>', 'REPO@REF')
    .option('--json', 'print one JSON array')
    .action((from: string, to: string, opts: { json?: boolean }) =>
      run(async (client, c) => {
        const changes = await client.diffCommits(from, to);
        if (opts.json) return print(c, JSON.stringify(changes));
        for (const ch of changes)
          print(c, `${{ added: '+', removed: '-', modified: '~' }[ch.change]} ${ch.path}`);
      }),
    );
}
