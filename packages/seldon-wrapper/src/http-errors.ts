import type { Express, NextFunction, Request, Response } from 'express';
import { SeldonWrapperError } from './errors.js';

/** A request the server answers with an error; `reason` is Seldon's status reason. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export const badData = (message: string) => new HttpError(400, 'MICROSERVICE_BAD_DATA', message);

/** Seldon's error body (`SeldonMicroserviceException` in the Python wrapper). */
export function seldonErrorBody(reason: string, info: string) {
  return { status: { status: 1, info, code: -1, reason } };
}

/** A short, safe description of a JSON value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 24 ? `${value.slice(0, 24)}…` : value);
  return String(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How deeply `value` nests, counted without recursion so no body can overflow the stack; stops past `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > limit) return max;
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) stack.push([item, d + 1]);
    } else {
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) stack.push([item, d + 1]);
      }
    }
  }
  return max;
}

/** Maps anything thrown while answering to an HTTP status and a message safe to show (never a stack). */
export function describeError(
  error: unknown,
  maxBodyBytes: number,
): { status: number; reason: string; info: string } {
  if (error instanceof HttpError) return { status: error.status, reason: error.reason, info: error.message };
  if (error instanceof SeldonWrapperError) {
    switch (error.code) {
      case 'DRAINING':
      case 'OVERLOADED':
      case 'CANCELLED':
      case 'MODEL_UNAVAILABLE':
        return { status: 503, reason: 'MICROSERVICE_UNAVAILABLE', info: error.message };
      case 'TOO_MANY_ROWS':
        return { status: 413, reason: 'MICROSERVICE_BAD_DATA', info: error.message };
      case 'MODEL_FAILED':
        return {
          status: 500,
          reason: 'MICROSERVICE_INTERNAL_ERROR',
          info: `${error.message}; the server log has the details`,
        };
      default:
        return { status: 500, reason: 'MICROSERVICE_INTERNAL_ERROR', info: error.message };
    }
  }
  const e = error as { type?: unknown; status?: unknown; message?: unknown; body?: unknown };
  if (e && e.type === 'entity.too.large') {
    return {
      status: 413,
      reason: 'MICROSERVICE_BAD_DATA',
      info: `the request body is larger than the ${maxBodyBytes}-byte limit: send fewer rows per request`,
    };
  }
  if (e && e.type === 'entity.parse.failed') {
    const body = typeof e.body === 'string' ? e.body : '';
    return {
      status: 400,
      reason: 'MICROSERVICE_BAD_DATA',
      info: `the body is not valid JSON (${String(e.message)})${nanHint(body)}`,
    };
  }
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: 400, reason: 'MICROSERVICE_BAD_DATA', info: String(e.message) };
  }
  return {
    status: 500,
    reason: 'MICROSERVICE_INTERNAL_ERROR',
    info: 'the server failed on this request; the server log has the details',
  };
}

const isV2Path = (path: string) => path === '/v2' || path.startsWith('/v2/');

/**
 * Ends the app's chain: an unknown route is a 404, and anything thrown while answering becomes an answer in
 * the caller's protocol (Seldon's status body, or V2's `{error}`); 5xx details go to the log only.
 */
export function handleErrors(app: Express, maxBodyBytes: number, logger: Pick<Console, 'error'>): void {
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(
      new HttpError(404, 'NOT_FOUND', `no route ${req.method} ${req.path}: see /api/v1.0/doc/ for the API`),
    );
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, reason, info } = describeError(error, maxBodyBytes);
    if (status >= 500)
      logger.error(`${req.method} ${req.path}: ${info}`, (error as { cause?: unknown }).cause ?? error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status);
    if (isV2Path(req.path)) res.json({ error: info });
    else res.json(seldonErrorBody(reason, info));
  });
}

/** A hint for the most common reason a JSON body fails to parse. */
export function nanHint(text: string): string {
  return /\b(NaN|-?Infinity)\b/.test(text) ? '; NaN and Infinity are not JSON: send finite numbers' : '';
}
