import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServedModel } from '@fmnist/dashboard';
import type { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { UsageError } from '../errors.js';

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0..65535, got "${v}"`);
  return n;
};

/** A model server given with --model-url, named after the version the pipeline last registered. */
async function servedAt(c: CliContext, urls: string[]): Promise<ServedModel[]> {
  if (urls.length === 0) return [];
  let registered: { model?: string; version?: number } = {};
  try {
    registered = JSON.parse(await readFile(join(c.home, 'pipeline.json'), 'utf8')).registered ?? {};
  } catch {
    // No pipeline run in this home: the server is shown without a known version.
  }
  return urls.map((url, i) => {
    try {
      new URL(url);
    } catch {
      throw new UsageError(`--model-url must be a URL like http://127.0.0.1:9000, got "${url}"`);
    }
    return {
      name: urls.length > 1 ? `model-${i + 1}` : 'model',
      model: registered.model ?? 'fashion-classifier',
      version: registered.version ?? 0,
      url: url.replace(/\/$/, ''),
    };
  });
}

export function registerUi(program: Command, ctx: () => CliContext): void {
  program
    .command('ui')
    .description('A web dashboard: experiments, the registry, data commits, deployments, and a try-it page')
    .option('--port <port>', 'port to listen on (0 picks a free one)', port, 8080)
    .option('--host <host>', 'address to listen on; any but loopback needs --token', '127.0.0.1')
    .option(
      '--token [secret]',
      'every request must carry this secret (env FMNIST_DASHBOARD_TOKEN); without a value one is made up',
    )
    .option(
      '--model-url <url>',
      'a model server to show and try (repeatable), e.g. the one npm start serves at http://127.0.0.1:9000',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .action(async (opts: { port: number; host: string; token?: string | boolean; modelUrl: string[] }) => {
      const c = ctx();
      const token =
        opts.token === true
          ? randomBytes(18).toString('base64url')
          : typeof opts.token === 'string'
            ? opts.token
            : process.env.FMNIST_DASHBOARD_TOKEN;
      const { startDashboard, DashboardError } = await import('@fmnist/dashboard');
      const global = program.opts<{ master?: string; pachd?: string }>();
      let dashboard: Awaited<ReturnType<typeof startDashboard>>;
      try {
        dashboard = await startDashboard({
          home: c.home,
          host: opts.host,
          port: opts.port,
          ...(token ? { token } : {}),
          ...(global.master ? { master: global.master } : {}),
          ...(global.pachd ? { pachdAddress: global.pachd } : {}),
          served: await servedAt(c, opts.modelUrl),
        });
      } catch (e) {
        if (e instanceof DashboardError && e.code === 'TOKEN_REQUIRED') throw new UsageError(e.message);
        if ((e as { code?: string }).code === 'EADDRINUSE')
          throw new UsageError(`port ${opts.port} is in use; pick another with --port`);
        throw e;
      }
      print(c, `dashboard: ${dashboard.url}`);
      note(c, 'Ctrl-C stops the dashboard.');
      await new Promise<void>((done) => {
        const stop = () => void dashboard.close().then(done, done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
