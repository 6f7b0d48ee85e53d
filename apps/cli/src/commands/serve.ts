import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSize, seldonEnvironment } from '@fmnist/serve/options';
import type { Command } from 'commander';
import { positiveInt } from '../args.js';
import { type CliContext, note, print } from '../context.js';
import { UsageError } from '../errors.js';
import { resolveVersion, versionFacts, versionSpec } from '../registry.js';

export { registerBenchServe } from './bench-serve.js';

/** What to serve: a folder given directly, or a registered model version fetched from the registry. */
async function resolveTarget(
  program: Command,
  c: CliContext,
  opts: { model?: string; version: string; modelDir?: string },
) {
  if (opts.modelDir) {
    return {
      modelDir: resolve(opts.modelDir),
      name: opts.model ?? 'fashion-classifier',
      version: opts.version === 'latest' ? '1' : opts.version,
      source: {},
    };
  }
  if (!opts.model)
    throw new UsageError('give --model NAME (a registered model) or --model-dir DIR (a saved model folder)');
  const { version, modelDir } = await resolveVersion(program, c, opts.model, versionSpec(opts.version));
  return { modelDir, name: opts.model, version: String(version.version), source: versionFacts(version) };
}

const bodySize = (v: string): number => {
  try {
    return parseSize('--max-body-size', v);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
};

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0..65535, got "${v}"`);
  return n;
};

/** Prints where the model answers (unless `quiet`), then serves until Ctrl-C, finishing in-flight requests. */
export async function serveUntilStopped(
  c: CliContext,
  running: { url: string; close(): Promise<void> },
  name: string,
  quiet = false,
  extra: [string, string][] = [],
): Promise<void> {
  if (!quiet) {
    // The addresses people open or call come last, where a finished `npm start` leaves the eye.
    const line = ([label, value]: [string, string]) => print(c, `  ${`${label}:`.padEnd(12)} ${value}`);
    print(c, `  swagger:     ${running.url}/api/v1.0/doc/`);
    print(c, `  metrics:     ${running.url}/metrics`);
    for (const link of extra) if (link[0] !== 'dashboard') line(link);
    print(c, '  Ctrl-C stops the server after in-flight requests finish.');
    for (const link of extra) if (link[0] === 'dashboard') line(link);
    print(c, `  predictions: POST ${running.url}/seldon/default/${name}/api/v1.0/predictions`);
    print(c, `               POST ${running.url}/api/v1.0/predictions`);
  }
  await new Promise<void>((done) => {
    const stop = () => {
      note(c, 'stopping: finishing in-flight requests');
      running.close().then(done, done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function registerServe(program: Command, ctx: () => CliContext): void {
  program
    .command('serve')
    .description("Serve a model over Seldon Core's prediction protocol (and the V2 inference protocol)")
    .option('--model <name>', 'a registered model name')
    .option('--version <n>', 'the version to serve: a number or "latest"', 'latest')
    .option('--model-dir <dir>', 'serve a saved model folder directly')
    .option('--port <port>', 'port to listen on (0 picks a free one)', port, 9000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--max-batch-size <n>', 'most images per model call', positiveInt('--max-batch-size'), 8)
    .option('--max-wait-ms <ms>', 'how long a request may wait for others to share its batch', (v) =>
      Number(v),
    )
    .option('--concurrency <n>', 'model calls in flight at once', positiveInt('--concurrency'))
    .option(
      '--max-queued-rows <n>',
      'images allowed to wait; more get 503 (and a bigger request 413)',
      positiveInt('--max-queued-rows'),
    )
    .option('--timeout-ms <ms>', 'a model call slower than this fails with 500', positiveInt('--timeout-ms'))
    .option(
      '--max-body-size <size>',
      'largest request body, e.g. 5mb or 512kb (413 above it)',
      bodySize,
      5 * 1024 * 1024,
    )
    .option('--json', 'print one JSON line when ready (url, startSeconds)')
    .action(
      async (opts: {
        model?: string;
        version: string;
        modelDir?: string;
        port: number;
        host: string;
        maxBatchSize: number;
        maxWaitMs?: number;
        concurrency?: number;
        maxQueuedRows?: number;
        timeoutMs?: number;
        maxBodySize: number;
        json?: boolean;
      }) => {
        const c = ctx();
        const target = await resolveTarget(program, c, opts);
        const { serveModel } = await import('@fmnist/serve');
        // Under Seldon's operator: the metrics port and this node's id for requestPath (--port still rules).
        const { metricsPort, metricsPath, predictiveUnit } = seldonEnvironment();
        const running = await serveModel({
          metricsPort,
          metricsPath,
          predictiveUnit,
          modelDir: target.modelDir,
          name: target.name,
          version: target.version,
          source: target.source,
          port: opts.port,
          host: opts.host,
          maxBatchSize: opts.maxBatchSize,
          maxWaitMs: opts.maxWaitMs,
          concurrency: opts.concurrency,
          maxQueuedRows: opts.maxQueuedRows,
          timeoutMs: opts.timeoutMs,
          maxBodyBytes: opts.maxBodySize,
        });
        const base = `${running.url}`;
        if (opts.json)
          print(
            c,
            JSON.stringify({ url: base, startSeconds: running.startSeconds, backend: running.backend }),
          );
        else
          print(
            c,
            `serving ${target.name} version ${target.version} (${running.backend}) — ready in ${running.startSeconds.toFixed(2)} s`,
          );
        await serveUntilStopped(c, running, target.name, opts.json);
      },
    );
}

/** Starts `fmnist serve` in a child process (so load and server do not share a core) and waits for it. */
export async function startServeProcess(
  args: string[],
): Promise<{ url: string; startSeconds: number; stop(): Promise<void> }> {
  const bin = fileURLToPath(new URL('./bin.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve', ...args, '--port', '0', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const ready = await new Promise<{ url: string; startSeconds: number }>((resolveReady, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolveReady(JSON.parse(line));
    });
    child.once('exit', (code) =>
      reject(new Error(`the server exited (code ${code}) before it was ready: ${err.trim()}`)),
    );
  });
  return {
    ...ready,
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
