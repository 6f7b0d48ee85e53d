import { pipeline } from 'node:stream/promises';
import {
  type FileInfo,
  type LocalSource,
  materializeFile,
  pachctlPutPlan,
  parseAddress,
  parsePutTarget,
} from '@fmnist/data-client';
import type { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { dataCommand, verbGroup } from '../data-client.js';
import { UsageError } from '../errors.js';
import { createProgress, formatBytes } from '../output/progress.js';
import { printTable } from '../output/table.js';

function printFiles(c: CliContext, files: FileInfo[]) {
  printTable(c, [
    ['NAME', 'TYPE', 'SIZE'],
    ...files.map((f) => [f.type === 'dir' ? `${f.path}/` : f.path, f.type, formatBytes(f.sizeBytes)]),
  ]);
}

/** `fmnist put file`, `list file`, `get file`: the files of data commits, placed and named as pachctl's. */
export function registerFile(program: Command, ctx: () => CliContext): void {
  const run = dataCommand(program, ctx);

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

  verbGroup(program, 'list', 'List files or commits')
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
}
