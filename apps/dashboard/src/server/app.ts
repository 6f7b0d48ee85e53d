import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { ApiError, Session } from '../shared/api.js';
import { EngineError, type Engines } from './engines.js';
import { DashboardError } from './errors.js';
import type { LiveHub } from './live.js';
import { dataRoutes } from './routes/data.js';
import { deploymentRoutes, type ServedModel } from './routes/deployments.js';
import { experimentRoutes } from './routes/experiments.js';
import { registryRoutes } from './routes/registry.js';
import type { Runs } from './runs.js';
import type { Guard } from './security.js';

export interface AppOptions {
  home: string;
  engines: Engines;
  guard: Guard;
  served: () => ServedModel[];
  /** The built front end (index.html and assets/). */
  webDir: string;
  runs: Runs;
  live: LiveHub;
}

/** An engine's error keeps its code; "not found" and bad input stay 4xx, the rest says the engine failed. */
function errorStatus(code: string | undefined): number {
  if (!code) return 502;
  if (/NOT_FOUND$/.test(code)) return 404;
  if (/INVALID|CONFIG|ADDRESS|BAD_REQUEST|EXISTS|CONFLICT/.test(code)) return 400;
  if (/IN_USE|BUSY|NO_PREVIOUS/.test(code)) return 409;
  return 502;
}

function describe(e: unknown): { status: number; body: ApiError } {
  if (e instanceof DashboardError)
    return { status: e.status, body: { error: { code: e.code, message: e.message, engine: 'dashboard' } } };
  if (e instanceof EngineError) {
    const code = (e.cause as { code?: unknown })?.code;
    const c = typeof code === 'string' ? code : undefined;
    return {
      status: errorStatus(c),
      body: { error: { code: c ?? 'ENGINE_FAILED', message: e.message, engine: e.engine } },
    };
  }
  const status = (e as { status?: number })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return {
      status,
      body: { error: { code: 'BAD_REQUEST', message: (e as Error).message, engine: 'dashboard' } },
    };
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: (e as Error)?.message ?? String(e), engine: 'dashboard' } },
  };
}

export function createApp(o: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'strong');
  app.use(o.guard.middleware);
  app.use(express.json({ limit: '256kb' }));

  app.get('/api/session', (_req, res) => {
    const session: Session = {
      csrf: o.guard.csrf,
      backends: {
        master: o.engines.master.backend,
        data: o.engines.data.backend,
        dataLocation: o.engines.data.location,
        kubernetes: o.engines.kubernetes,
      },
      home: o.home,
    };
    res.set('cache-control', 'no-store').json(session);
  });
  app.use('/api', experimentRoutes(o.engines, o.runs, o.live));
  app.use('/api', registryRoutes(o.engines, o.home));
  app.use('/api', dataRoutes(o.engines));
  app.use('/api', deploymentRoutes(o.engines, o.served, o.home));
  app.use('/api', (req) => {
    throw new DashboardError('NOT_FOUND', `no API route ${req.method} ${req.path}`);
  });

  // Built assets carry a content hash in their names: cache them for good. index.html is revalidated.
  app.use(
    '/assets',
    express.static(join(o.webDir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }),
  );
  const index = join(o.webDir, 'index.html');
  app.get('/{*page}', (_req, res) => {
    if (!existsSync(index))
      throw new DashboardError(
        'NOT_BUILT',
        `the dashboard's page is not built (${index} is missing)`,
        'run "npx turbo run build --filter=@fmnist/dashboard"',
      );
    res.sendFile(index, { headers: { 'cache-control': 'no-cache' } });
  });

  app.use((e: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = describe(e);
    if (res.headersSent) return void res.destroy();
    if (req.path.startsWith('/api/') || req.headers.accept?.includes('application/json')) {
      res.status(status).json(body);
    } else {
      res.status(status).type('text/plain').send(`${body.error.message}\n`);
    }
  });
  return app;
}
