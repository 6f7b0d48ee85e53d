import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MIN_ACCURACY, formatGateSummary, gateExitCode } from './gate.js';
import { runGate, versionsFromFolders } from './run.js';

export const USAGE = `usage: fmnist-ci-test --model-dir DIR [--model-dir DIR…] [options]

The accuracy gate of CI: tests saved model folders on the test split of a data commit and writes
report.json, report.md, report.html and junit.xml. Exits 1 when a gated version is below the threshold.
(To test registered versions by number, use "fmnist test --model NAME --version N|latest|all".)

  --model-dir DIR        a saved model folder; repeat for several (numbered 1, 2, … in order)
  --model NAME           the model's name in the report (default fashion-classifier)
  --data REPO[@COMMIT]   the test data (default fmnist-test-raw, its head)
  --min-accuracy X       the threshold a gated version must reach, 0..1 (default ${DEFAULT_MIN_ACCURACY})
  --gate all|latest      which versions must pass (default all)
  --report DIR           where to write the report (default <home>/reports/<model>)
  --home DIR             the fmnist home holding the data (env FMNIST_HOME; default ./.fmnist)
  --pachd ADDRESS        read the data from Pachyderm (env PACHD_ADDRESS)
  --json                 print the verdict as JSON
  -h, --help             this text
`;

/** A mistake in how the command was called: printed with the usage, exit code 2. */
class UsageError extends Error {}

function parse(argv: string[]) {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: false }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const minAccuracy = v['min-accuracy'] === undefined ? DEFAULT_MIN_ACCURACY : Number(v['min-accuracy']);
  if (!(minAccuracy >= 0 && minAccuracy <= 1))
    throw new UsageError(`--min-accuracy must be a number from 0 to 1, got ${v['min-accuracy']}`);
  const gate = v.gate ?? 'all';
  if (gate !== 'all' && gate !== 'latest')
    throw new UsageError(`--gate must be "all" or "latest", got "${gate}"`);
  if (!v.help && !v['model-dir']?.length) throw new UsageError('give at least one --model-dir DIR');
  const home = resolve(v.home ?? process.env.FMNIST_HOME ?? '.fmnist');
  const model = v.model ?? 'fashion-classifier';
  return {
    help: Boolean(v.help),
    modelDirs: (v['model-dir'] ?? []).map((d) => resolve(d)),
    model,
    data: v.data ?? 'fmnist-test-raw',
    minAccuracy,
    gate: gate as 'all' | 'latest',
    reportDir: resolve(v.report ?? join(home, 'reports', model)),
    home,
    pachd: v.pachd,
    json: Boolean(v.json),
  };
}

const OPTIONS = {
  'model-dir': { type: 'string', multiple: true },
  model: { type: 'string' },
  data: { type: 'string' },
  'min-accuracy': { type: 'string' },
  gate: { type: 'string' },
  report: { type: 'string' },
  home: { type: 'string' },
  pachd: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CliStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs `fmnist-ci-test` and returns its exit code: 0 passed, 1 failed (or could not run), 2 usage. */
export async function main(argv: string[], io: CliStreams = process): Promise<number> {
  let o: ReturnType<typeof parse>;
  try {
    o = parse(argv);
  } catch (e) {
    io.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const { createDataClient } = await import('@fmnist/data-client');
  const data = createDataClient({ home: o.home, pachdAddress: o.pachd });
  try {
    const result = await runGate({
      data,
      testData: o.data,
      cacheDir: join(o.home, 'cache', 'pfs'),
      model: o.model,
      versions: await versionsFromFolders(o.modelDirs),
      minAccuracy: o.minAccuracy,
      gate: o.gate,
      reportDir: o.reportDir,
      log: (line) => io.stderr.write(`${line}\n`),
    });
    io.stdout.write(
      o.json
        ? `${JSON.stringify({ passed: result.passed, failures: result.failures, reportDir: result.reportDir })}\n`
        : `${formatGateSummary(result)}\n`,
    );
    return gateExitCode(result);
  } catch (e) {
    if (process.env.FMNIST_DEBUG) io.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    io.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  } finally {
    await data.close();
  }
}
