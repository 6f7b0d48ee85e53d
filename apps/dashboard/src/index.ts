import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServeCommand } from '@fmnist/deployer';
import type { TrialRunner } from '@fmnist/determined-client';
import { createApp } from './server/app.js';
import { openEngines } from './server/engines.js';
import { createLiveHub, LIVE_TIMING, type LiveTiming } from './server/live.js';
import type { ServedModel } from './server/routes/deployments.js';
import { experimentDetail } from './server/routes/experiments.js';
import { createRuns } from './server/runs.js';
import { checkBind, createGuard } from './server/security.js';

export { DashboardError, type DashboardErrorCode } from './server/errors.js';
export { histogramQuantile, parsePrometheus, predictionTraffic } from './server/prometheus.js';
export type { ServedModel } from './server/routes/deployments.js';
export type * from './shared/api.js';
export { CSRF_HEADER } from './shared/api.js';

/** Where the built front end is: beside this module in dist/ (or dist/ next to src/ when run from source). */
export const WEB_DIR = fileURLToPath(
  new URL(existsSync(new URL('./web/assets', import.meta.url)) ? './web/' : '../dist/web/', import.meta.url),
);

export interface DashboardOptions {
  /** The fmnist home whose embedded master and data store are shown (unless DET_MASTER / PACHD_ADDRESS). */
  home: string;
  /** Default 127.0.0.1; any other address needs `token`. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Every request must carry it (the printed URL does). Default FMNIST_DASHBOARD_TOKEN. */
  token?: string;
  /** A Determined master instead of the embedded one (default DET_MASTER). */
  master?: string;
  /** A pachd address instead of the embedded store (default PACHD_ADDRESS). */
  pachdAddress?: string;
  /** Also list SeldonDeployments (default: when KUBECONFIG is set). */
  kubernetes?: boolean;
  /** Models served beside the dashboard (the pipeline's), shown on the deployments and try-it pages. */
  served?: ServedModel[];
  /** Another build of the front end (tests). */
  webDir?: string;
  /** How a local deployment serves a model folder (default: apps/serve's bin, as "fmnist deploy" runs it). */
  serveCommand?: (modelDir: string) => ServeCommand;
  /** How the embedded master starts trials of an experiment activated here (default: apps/train's entrypoint). */
  trialRunner?: TrialRunner;
  /** How often live pages' experiments are looked at, and the event stream's heartbeat. */
  live?: Partial<LiveTiming>;
}

export interface RunningDashboard {
  /** Where to open it; carries `?token=` when a token is needed. */
  url: string;
  /** The base URL without the token. */
  baseUrl: string;
  /** Shows one more served model (e.g. once the pipeline's server is up). */
  addServed(model: ServedModel): void;
  close(): Promise<void>;
}

/** Starts the dashboard's server: the API over the engines and the built pages. */
export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? process.env.FMNIST_DASHBOARD_TOKEN ?? undefined;
  checkBind(host, token);
  const home = resolve(o.home);
  const served = [...(o.served ?? [])];
  const engines = openEngines({
    home,
    ...(o.master ? { master: o.master } : {}),
    ...(o.pachdAddress ? { pachdAddress: o.pachdAddress } : {}),
    ...(o.kubernetes !== undefined ? { kubernetes: o.kubernetes } : {}),
    ...(o.serveCommand ? { serveCommand: o.serveCommand } : {}),
    ...(o.trialRunner ? { trialRunner: o.trialRunner } : {}),
  });
  const runs = createRuns(engines.master, (id, e) =>
    console.error(`dashboard: experiment ${id} stopped running here: ${(e as Error)?.message ?? e}`),
  );
  const live = createLiveHub(
    async (id) => {
      const detail = await experimentDetail(engines.master, Number(id));
      return { value: detail, final: detail.terminal };
    },
    { ...LIVE_TIMING, ...o.live },
  );
  let port = o.port ?? 8080;
  const guard = createGuard({ ...(token ? { token } : {}), port: () => port });
  const app = createApp({
    home,
    engines,
    guard,
    runs,
    live,
    served: () => served,
    webDir: o.webDir ?? WEB_DIR,
  });
  const server = await new Promise<import('node:http').Server>((ok, fail) => {
    const s = app.listen(port, host, () => ok(s));
    s.once('error', fail);
  }).catch(async (e) => {
    live.close();
    await runs.close();
    await engines.close();
    throw e;
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const baseUrl = `http://${shown}:${port}`;
  return {
    url: token ? `${baseUrl}/?token=${encodeURIComponent(token)}` : `${baseUrl}/`,
    baseUrl,
    addServed: (m) => void served.push(m),
    async close() {
      // Event streams stay open until ended: end them first, or the server would wait for them.
      live.close();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeIdleConnections();
      });
      await runs.close();
      await engines.close();
    },
  };
}
