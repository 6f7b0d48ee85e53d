#!/usr/bin/env node
// fmnist-serve: what local deploys and the container image run. Only the server and the model load here.
import { parseServeArgs, USAGE, UsageError } from './options.js';
import { serveModel } from './serve.js';

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseServeArgs>;
  try {
    parsed = parseServeArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`fmnist-serve: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { options, json } = parsed;
  const running = await serveModel({ ...options, logger: console });
  const name = options.name ?? 'fashion-classifier';
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ url: running.url, metricsUrl: running.metricsUrl, startSeconds: running.startSeconds, backend: running.backend })}\n`,
    );
  } else {
    process.stdout.write(
      `serving ${name} version ${options.version ?? '1'} (${running.backend}) at ${running.url} — ready in ${running.startSeconds.toFixed(2)} s\n` +
        `  predictions: POST ${running.url}/api/v1.0/predictions\n  swagger:     ${running.url}/api/v1.0/doc/\n` +
        (running.metricsUrl ? `  metrics:     ${running.metricsUrl}\n` : ''),
    );
  }
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      process.stderr.write(`fmnist-serve: ${signal}: finishing in-flight requests\n`);
      running.close().then(done, (error: unknown) => {
        process.stderr.write(`fmnist-serve: closing failed: ${String(error)}\n`);
        done();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const e = error as { message?: string; hint?: string };
    process.stderr.write(`fmnist-serve: ${e?.message ?? String(error)}\n${e?.hint ? `${e.hint}\n` : ''}`);
    process.exit(1);
  },
);
