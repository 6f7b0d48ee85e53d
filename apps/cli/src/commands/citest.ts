import { join, resolve } from 'node:path';
import type { DataClient } from '@fmnist/data-client';
import type { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { UsageError } from '../errors.js';
import { resolveVersions, versionFacts } from '../registry.js';
import { loadModelPackage } from './model.js';
import { openDataClient } from './pfs.js';

/** A model version to test: its number, what the registry knows of it, and its artifacts folder. */
export interface VersionToTest {
  version: number;
  metadata: Record<string, unknown>;
  modelDir: string;
}

/** The test split of a data commit: normalised images, raw pixels for thumbnails, labels, and where from. */
export async function loadTestSet(c: CliContext, client: DataClient, address: string) {
  const { loadDataSplit } = await import('@fmnist/train');
  const split = await loadDataSplit(client, address, 't10k', join(c.home, 'cache', 'pfs'));
  return { ...split.set, pixels: split.pixels, source: split.pinned };
}

/** Tests model versions on a data commit's test split and writes the report; the gate's verdict is in the result. */
export async function runGate(
  program: Command,
  c: CliContext,
  o: {
    model: string;
    versions: VersionToTest[];
    data: string;
    minAccuracy: number;
    gate: 'all' | 'latest';
    reportDir: string;
  },
) {
  const client = openDataClient(program, c);
  let testSet: Awaited<ReturnType<typeof loadTestSet>>;
  try {
    testSet = await loadTestSet(c, client, o.data);
  } finally {
    await client.close();
  }
  note(
    c,
    `testing ${o.versions.length} version(s) of ${o.model} on ${testSet.source} (${testSet.count.toLocaleString('en-US')} images)`,
  );
  const { loadClassifier } = await loadModelPackage();
  const { runAccuracyGate } = await import('@fmnist/ci-test');
  return runAccuracyGate({
    model: o.model,
    testSet,
    minAccuracy: o.minAccuracy,
    gate: o.gate,
    reportDir: o.reportDir,
    versions: o.versions.map((v) => ({
      version: v.version,
      metadata: v.metadata,
      load: async () => {
        const classifier = await loadClassifier(v.modelDir);
        return {
          predictProbabilities: (images: Float32Array, count: number) =>
            classifier.predictNormalized(images, count),
          dispose: () => classifier.dispose(),
        };
      },
    })),
  });
}

export function registerCiTest(program: Command, ctx: () => CliContext): void {
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
    .option('--min-accuracy <x>', 'the threshold a gated version must reach', (v) => Number(v), 0.9)
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
        const versions: VersionToTest[] = opts.modelDir
          ? await Promise.all(
              opts.modelDir.map(async (dir, i) => {
                const { readModelMetadata } = await loadModelPackage();
                const meta = await readModelMetadata(resolve(dir));
                return {
                  version: i + 1,
                  metadata: { modelDir: resolve(dir), ...meta } as Record<string, unknown>,
                  modelDir: resolve(dir),
                };
              }),
            )
          : (await resolveVersions(program, c, opts.model, opts.version)).map((r) => ({
              version: r.version.version,
              metadata: versionFacts(r.version),
              modelDir: r.modelDir,
            }));
        const result = await runGate(program, c, {
          model: opts.model,
          versions,
          data: opts.data,
          minAccuracy: opts.minAccuracy,
          gate: opts.gate,
          reportDir: resolve(opts.report ?? join(c.home, 'reports', opts.model)),
        });
        const { formatGateSummary, gateExitCode } = await import('@fmnist/ci-test');
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
