import { join } from 'node:path';
import type { GateResult } from '@fmnist/ci-test';
import type { ModelVersion } from '@fmnist/determined-client';
import { versionFacts } from '../../registry.js';
import { type StageContext, timed } from '../stage.js';
import type { RunningServer, ServeRequest } from '../types.js';

/**
 * Stage 6: the tested version served (and, when the front end gives one, a dashboard beside it). Returns
 * the servers, model server first (they run until the caller closes them), and what to list beside them.
 */
export async function serveStage(
  ctx: StageContext,
  registered: { version: ModelVersion; modelDir: string },
  gate: GateResult,
): Promise<{ servers: RunningServer[]; links: Array<[string, string]> }> {
  const { model } = ctx;
  const version = registered.version.version;
  const links: Array<[string, string]> = [['report', join(gate.reportDir, 'report.html')]];
  const servers = await timed(ctx, 'serve', `serve ${model} version ${version}`, async () => {
    const serve =
      ctx.clients.serve ??
      (async (o: ServeRequest) => {
        const { serveModel } = await import('@fmnist/serve');
        return serveModel(o);
      });
    const running = await serve({
      modelDir: registered.modelDir,
      name: model,
      version: String(version),
      source: versionFacts(registered.version),
      port: ctx.options.port,
    });
    const started: RunningServer[] = [running];
    // Beside the model: the dashboard, when the front end passes `startDashboard`. A dashboard that fails
    // to start stops the model server too, so a failed stage leaves nothing running.
    if (ctx.clients.startDashboard) {
      try {
        const dashboard = await ctx.clients.startDashboard({
          model,
          version,
          reportDir: gate.reportDir,
          url: running.url,
        });
        started.push(dashboard);
        links.push(['dashboard', dashboard.url]);
      } catch (e) {
        await running.close();
        throw e;
      }
    }
    return started;
  });
  ctx.emit({
    type: 'serving',
    model,
    version,
    accuracy: ctx.state.test?.accuracy ?? 0,
    url: (servers[0] as RunningServer).url,
    links,
  });
  return { servers, links };
}
