import type { Express, NextFunction, Request, Response } from 'express';
import { DOCS_ASSETS, swaggerHtml, swaggerInitializer } from '../internal/docs.js';
import { buildOpenApi } from '../internal/openapi.js';
import { INGRESS, type Route, type RouteContext } from './context.js';

/**
 * The OpenAPI document and Swagger UI. The document is built from `routes()` (every router's routes, these
 * included) when first asked for, so it describes exactly what is served.
 */
export function docsRoutes(ctx: RouteContext, routes: () => Route[]): Route[] {
  const { name, version } = ctx.cfg;
  let document: unknown;
  const serveOpenApi = (_req: Request, res: Response) => {
    document ??= buildOpenApi(routes(), {
      name,
      version,
      inputShape: ctx.spec.inputShape,
      classNames: ctx.classNames,
    });
    res.json(document);
  };
  const serveSwagger = (req: Request, res: Response) => {
    // Relative asset links need the trailing slash.
    if (!req.path.endsWith('/')) {
      const q = req.originalUrl.indexOf('?');
      res.redirect(
        301,
        q < 0 ? `${req.originalUrl}/` : `${req.originalUrl.slice(0, q)}/${req.originalUrl.slice(q)}`,
      );
      return;
    }
    res.type('html').send(swaggerHtml(name));
  };
  return [
    {
      method: 'get',
      paths: ['/seldon.json', '/api/v1.0/doc/openapi.json', `${INGRESS}/api/v1.0/doc/openapi.json`],
      operation: 'OpenApi',
      summary: 'This OpenAPI document',
      tag: 'Documentation',
      response: 'openapi',
      handlers: [serveOpenApi],
    },
    {
      method: 'get',
      paths: ['/api/v1.0/doc/', `${INGRESS}/api/v1.0/doc/`],
      operation: 'SwaggerUi',
      summary: 'Swagger UI for this document',
      tag: 'Documentation',
      response: 'html',
      handlers: [serveSwagger],
    },
    {
      method: 'get',
      paths: ['/api/v1.0/doc/swagger-initializer.js', `${INGRESS}/api/v1.0/doc/swagger-initializer.js`],
      operation: 'SwaggerUiInit',
      summary: 'Swagger UI start-up script (points it at this document)',
      tag: 'Documentation',
      response: 'javascript',
      handlers: [(_req, res) => void res.type('text/javascript').send(swaggerInitializer)],
    },
  ];
}

/** Swagger UI's own files, offline, under the documentation paths. */
export function mountDocsAssets(app: Express): void {
  app.use(
    ['/api/v1.0/doc', `${INGRESS}/api/v1.0/doc`],
    (_req: Request, res: Response, next: NextFunction) => {
      res.locals.route = 'swagger-ui assets';
      next();
    },
    DOCS_ASSETS,
  );
}
