import type { Request, Response } from 'express';
import { seldonErrorBody } from '../http-errors.js';
import { healthLike } from '../protocol/seldon.js';
import { withTimeout } from '../timeout.js';
import { INGRESS, type Route, type RouteContext } from './context.js';

/** What the platform probes: liveness, readiness and the model's own health status. */
export function healthRoutes(ctx: RouteContext): Route[] {
  const { model, name, logger } = ctx.cfg;

  async function health(_req: Request, res: Response) {
    let status: unknown;
    try {
      status = model.healthStatus
        ? await withTimeout(() => model.healthStatus!(), ctx.cfg.batching.timeoutMs)
        : undefined;
    } catch (error) {
      logger.warn(`model ${name}: health check failed:`, error);
      res
        .status(503)
        .json(seldonErrorBody('MICROSERVICE_INTERNAL_ERROR', 'the model reports it is unhealthy'));
      return;
    }
    res.json(healthLike(status, { jsonData: { status: 'ok' } }));
  }

  const ready = (_req: Request, res: Response) => {
    const why = ctx.notReady();
    res
      .status(why ? 503 : 200)
      .type('text/plain')
      .send(why ?? 'ready');
  };

  return [
    {
      method: 'get',
      paths: ['/health/ping'],
      operation: 'HealthPing',
      summary: 'Liveness: answers pong',
      tag: 'Health',
      response: 'text',
      handlers: [(_req, res) => void res.type('text/plain').send('pong')],
    },
    {
      method: 'get',
      paths: ['/health/status', '/api/v1.0/health/status', `${INGRESS}/api/v1.0/health/status`],
      operation: 'HealthStatus',
      summary: "The model's own health status (its healthStatus())",
      tag: 'Health',
      response: 'json',
      handlers: [health],
    },
    {
      method: 'get',
      paths: ['/ready', '/v2/health/ready'],
      operation: 'Ready',
      summary: 'Readiness: 503 while draining or while the model is not ready',
      tag: 'Health',
      response: 'text',
      handlers: [ready],
    },
    {
      method: 'get',
      paths: ['/live', '/v2/health/live'],
      operation: 'Live',
      summary: 'Liveness',
      tag: 'Health',
      response: 'text',
      handlers: [(_req, res) => void res.type('text/plain').send('live')],
    },
  ];
}

/** What Prometheus scrapes. */
export function metricsRoutes(ctx: RouteContext): Route[] {
  const registry = ctx.metrics.registry;
  return [
    {
      method: 'get',
      paths: ['/metrics', '/prometheus'],
      operation: 'Metrics',
      summary: 'Prometheus metrics',
      tag: 'Metrics',
      response: 'prometheus',
      handlers: [
        async (_req, res) => {
          res.type(registry.contentType).send(await registry.metrics());
        },
      ],
    },
  ];
}
