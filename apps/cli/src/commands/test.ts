import { join, resolve } from 'node:path';
import type { VersionToTest } from '@fmnist/ci-test';
import type { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { openDataClient } from '../data-client.js';
import { UsageError } from '../errors.js';
import { resolveVersions, versionFacts } from '../registry.js';

export function registerTest(program: Command, ctx: () => CliContext): void {
  program
    .command('test')
    .description("The accuracy gate: test a registered model's versions on the test data and write a report")
    .option('--model <name>', 'the registered model', 'fashion-classifier')
    .option('--version <spec>', 'a version number, "latest" or "all"', 'latest')
    .option('--model-dir <dir...>', 'test saved model folders instead of registered versions')
    .option(
      '--data <repo@commit>',
      'the test data commit (default: the head of fmnist-test-raw)',
      'fmnist-test-raw',
    )
    .option('--min-accuracy <x>', 'the threshold a gated version must reach', (v) => Number(v), 0.92)
    .option('--gate <which>', 'which versions must pass: all tested, or the latest', 'all')
    .option('--report <dir>', 'where to write the report (default: <home>/reports/<model>)')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        model: string;
        version: string;
        modelDir?: string[];
        data: string;
        minAccuracy: number;
        gate: 'all' | 'latest';
        report?: string;
        json?: boolean;
      }) => {
        const c = ctx();
        if (!(opts.minAccuracy >= 0 && opts.minAccuracy <= 1)) {
          throw new UsageError(`--min-accuracy must be a number from 0 to 1, got ${opts.minAccuracy}`);
        }
        if (opts.gate !== 'all' && opts.gate !== 'latest')
          throw new UsageError(`--gate must be "all" or "latest", got "${opts.gate}"`);
        const { formatGateSummary, gateExitCode, runGate, versionsFromFolders } = await import(
          '@fmnist/ci-test'
        );
        const versions: VersionToTest[] = opts.modelDir
          ? await versionsFromFolders(opts.modelDir.map((dir) => resolve(dir)))
          : (await resolveVersions(program, c, opts.model, opts.version)).map((r) => ({
              version: r.version.version,
              metadata: versionFacts(r.version),
              modelDir: r.modelDir,
            }));
        const data = openDataClient(program, c);
        let result: Awaited<ReturnType<typeof runGate>>;
        try {
          result = await runGate({
            data,
            testData: opts.data,
            cacheDir: join(c.home, 'cache', 'pfs'),
            model: opts.model,
            versions,
            minAccuracy: opts.minAccuracy,
            gate: opts.gate,
            reportDir: resolve(opts.report ?? join(c.home, 'reports', opts.model)),
            log: (line) => note(c, line),
          });
        } finally {
          await data.close();
        }
        if (opts.json)
          print(
            c,
            JSON.stringify({ passed: result.passed, failures: result.failures, reportDir: result.reportDir }),
          );
        else print(c, formatGateSummary(result));
        process.exitCode = gateExitCode(result);
      },
    );
}
