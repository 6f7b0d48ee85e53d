import type { RequestHandler, Response } from 'express';
import type { BodyReaders } from '../body.js';
import { SeldonWrapperError } from '../errors.js';
import type { createMetrics } from '../internal/metrics.js';
import type { RouteDoc } from '../internal/openapi.js';
import type { ServerConfig } from '../options.js';
import type { InputSpec } from '../protocol/tensor.js';
import type { Batcher } from '../types.js';

/** Seldon's ingress prefix: any namespace and deployment name reach this model. */
export const INGRESS = '/seldon/:namespace/:deployment';

/** A route and its OpenAPI description, kept together so the served document cannot drift from the routes. */
export interface Route extends RouteDoc {
  handlers: RequestHandler[];
}

/** What every router needs of the server it belongs to. */
export interface RouteContext {
  cfg: ServerConfig;
  spec: InputSpec;
  classNames: string[] | undefined;
  batcher: Batcher;
  metrics: ReturnType<typeof createMetrics>;
  bodies: BodyReaders;
  /** Why the server cannot take predictions now (draining, model not ready), or undefined when it can. */
  notReady(): string | undefined;
  /** True once the server is draining. */
  draining(): boolean;
}

/** A signal that aborts when the client goes away before its answer is written. */
export function whileConnected(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The response's column names: the model's class names, or `t:0`, `t:1`, … as the Python wrapper names them. */
export function outputNames(ctx: RouteContext, width: number): string[] {
  const classNames = ctx.classNames;
  if (!classNames) return Array.from({ length: width }, (_, i) => `t:${i}`);
  if (classNames.length !== width) {
    throw new SeldonWrapperError(
      'BAD_MODEL_OUTPUT',
      `the model returned ${width} columns but declares ${classNames.length} classNames`,
    );
  }
  return classNames;
}

export const draining = () => new SeldonWrapperError('DRAINING', 'the server is shutting down');
