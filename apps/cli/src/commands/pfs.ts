import { pipeline } from 'node:stream/promises';
import {
  type CommitInfo,
  createDataClient,
  type DataClient,
  type FileInfo,
  type LocalSource,
  materializeFile,
  type PutSource,
  pachctlPutPlan,
  parseAddress,
  parsePutTarget,
} from '@fmnist/data-client';
import type { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { UsageError } from '../errors.js';
import { createProgress, formatBytes } from '../progress.js';
import { positiveInt } from './model.js';

/** The data client for this invocation: Pachyderm with --pachd or PACHD_ADDRESS, else the store under the home. */
export function openDataClient(program: Command, c: CliContext): DataClient {
  return createDataClient({ home: c.home, pachdAddress: program.opts<{ pachd?: string }>().pachd });
}

async function withClient<T>(
  program: Command,
  c: CliContext,
  fn: (client: DataClient) => Promise<T>,
): Promise<T> {
  const client = openDataClient(program, c);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Puts with a progress line on stderr. */
export async function putWithProgress(
  c: CliContext,
  client: DataClient,
  address: string,
  sources: PutSource[],
  skipIfUnchanged = false,
) {
  const bar = createProgress(c, 'putting', { unit: 'bytes' });
  try {
    return await client.putFiles(address, sources, {
      skipIfUnchanged,
      onProgress: (p) => bar.update(p.path, p.bytesDone, p.bytesTotal),
    });
  } finally {
    bar.done();
  }
}

const table = (rows: string[][]) => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
};

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

function printFiles(c: CliContext, files: FileInfo[]) {
  const rows = [
    ['NAME', 'TYPE', 'SIZE'],
    ...files.map((f) => [f.type === 'dir' ? `${f.path}/` : f.path, f.type, formatBytes(f.sizeBytes)]),
  ];
  for (const line of table(rows)) print(c, line);
}

/** Data repositories, with verbs that mirror pachctl. */
export function registerPfs(program: Command, ctx: () => CliContext): void {
  program.option(
    '--pachd <address>',
    'use the Pachyderm cluster at this pachd address (env PACHD_ADDRESS; PACH_CONFIG / PACH_CONTEXT choose a pachctl context) instead of the local store',
  );
  const run = <T>(fn: (client: DataClient, c: CliContext) => Promise<T>) => {
    const c = ctx();
    return withClient(program, c, (client) => fn(client, c));
  };

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
        const rows = [
          ['NAME', 'CREATED', 'SIZE', 'BRANCHES'],
          ...repos.map((r) => [r.name, r.created, formatBytes(r.sizeBytes), r.branches.join(',')]),
        ];
        for (const line of table(rows)) print(c, line);
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

  program
    .command('put')
    .description('Add data to a repository')
    .command('file')
    .description(
      "Put local files into one new commit on a branch, placed as pachctl places them: REPO@B:/x -f a.txt writes /x (/x/a.txt when the path ends in /), -r REPO@B -f dir writes /dir/…, -r REPO@B:/ -f dir writes dir's files at the root",
    )
    .argument('<address>', 'REPO@BRANCH[:/PATH] to put the files at')
    .requiredOption('-f, --file <path...>', 'local file or (with -r) directory to put')
    .option('-r, --recursive', 'put directories recursively')
    .option('--message <text>', 'describe the commit')
    .option('--json', 'print the result as JSON')
    .action(
      (address: string, opts: { file: string[]; recursive?: boolean; message?: string; json?: boolean }) =>
        run(async (client, c) => {
          const target = parsePutTarget(address);
          const { stat } = await import('node:fs/promises');
          const locals: LocalSource[] = [];
          for (const f of opts.file) {
            const isDir = await stat(f).then(
              (s) => s.isDirectory(),
              () => false,
            );
            if (isDir && !opts.recursive)
              throw new UsageError(`${f} is a directory: add -r to put it recursively`);
            locals.push({ path: f, isDir });
          }
          // Paths as pachctl puts them: REPO@B:/x -f a.txt writes /x; REPO@B -f a.txt writes /a.txt.
          const plan = pachctlPutPlan(address, locals);
          const bar = createProgress(c, 'putting', { unit: 'bytes' });
          const r = await client
            .putFiles(plan.address, plan.sources, {
              description: opts.message,
              onProgress: (p) => bar.update(p.path, p.bytesDone, p.bytesTotal),
            })
            .finally(() => bar.done());
          if (opts.json) print(c, JSON.stringify(r));
          else
            print(
              c,
              `${r.commit.repo}@${r.commit.id}: ${r.files} files, ${formatBytes(r.bytes)} put on ${r.commit.branch ?? target.ref}`,
            );
        }),
    );

  const list = program.command('list').description('List files or commits');
  list
    .command('file')
    .description('List the files at REPO@REF:/PATH (a branch or a commit id)')
    .argument('<address>', 'REPO@BRANCH:/PATH or REPO@COMMIT:/PATH')
    .option('--recursive', 'list every file below the path')
    .option('--json', 'print one JSON array')
    .action((address: string, opts: { recursive?: boolean; json?: boolean }) =>
      run(async (client, c) => {
        const files = await client.listFiles(address, { recursive: opts.recursive });
        if (opts.json) print(c, JSON.stringify(files));
        else printFiles(c, files);
      }),
    );
  list
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
        const rows = [
          ['REPO', 'BRANCH', 'COMMIT', 'FINISHED', 'SIZE', 'FILES'],
          ...commits.map((x) => [
            x.repo,
            x.branch ?? '',
            x.id,
            x.finished,
            formatBytes(x.sizeBytes),
            String(x.fileCount),
          ]),
        ];
        for (const line of table(rows)) print(c, line);
      }),
    );

  program
    .command('get')
    .description('Read data from a repository')
    .command('file')
    .description('Write one file of a commit to a local file (or stdout)')
    .argument('<address>', 'REPO@BRANCH:/PATH or REPO@COMMIT:/PATH')
    .option('-o, --output <file>', 'where to write it (default: stdout)')
    .option('--json', 'print where it was written as JSON')
    .action((address: string, opts: { output?: string; json?: boolean }) =>
      run(async (client, c) => {
        if (!opts.output) {
          await pipeline(await client.getFile(address), c.stdout);
          return;
        }
        const a = parseAddress(address, { ref: true, path: true });
        const commit = await client.inspectCommit(`${a.repo}@${a.ref}`);
        const out = await materializeFile(client, `${a.repo}@${commit.id}:${a.path}`, opts.output);
        if (opts.json) print(c, JSON.stringify({ path: out, repo: a.repo, commit: commit.id, file: a.path }));
        else print(c, `wrote ${out} from ${a.repo}@${commit.id}:${a.path}`);
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
