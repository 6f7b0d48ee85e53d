import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { CSRF_HEADER } from '../shared/api.js';
import { DashboardError } from './errors.js';

export const TOKEN_COOKIE = 'fmnist_dashboard_token';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** A dashboard bound past this machine answers nobody without the token: refuse to start without one. */
export function checkBind(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new DashboardError(
      'TOKEN_REQUIRED',
      `binding the dashboard to ${host} makes it reachable from other machines`,
      'give --token <secret> (or FMNIST_DASHBOARD_TOKEN); every request must then carry it',
    );
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export interface Guard {
  /** Sent to the page by GET /api/session; state-changing requests echo it in the CSRF header. */
  csrf: string;
  middleware(req: Request, res: Response, next: NextFunction): void;
}

/**
 * Who may talk to the dashboard. With a token, every request carries it (a Bearer header, or the
 * cookie set when the page is first opened with `?token=`). Without one the dashboard is on loopback,
 * and the Host header must name loopback too, so a web page cannot reach it by DNS rebinding.
 * Requests that change state are POSTs with the CSRF header, from this origin when a browser says so.
 */
export function createGuard(opts: { token?: string; port: () => number }): Guard {
  const csrf = randomBytes(18).toString('base64url');
  const { token } = opts;
  return {
    csrf,
    middleware(req, res, next) {
      if (token) {
        const query = typeof req.query.token === 'string' ? req.query.token : undefined;
        const bearer = req.headers.authorization?.replace(/^Bearer\s+/i, '');
        const given = bearer ?? cookie(req, TOKEN_COOKIE) ?? query;
        if (!given || !same(given, token)) {
          next(
            new DashboardError(
              'UNAUTHORIZED',
              'this dashboard needs its token',
              'open the URL the dashboard printed (it ends in ?token=…) or send Authorization: Bearer <token>',
            ),
          );
          return;
        }
        if (query && req.method === 'GET' && !req.path.startsWith('/api/')) {
          // Keep the token out of the address bar and history from now on.
          res.cookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/' });
          const url = new URL(req.originalUrl, 'http://x');
          url.searchParams.delete('token');
          res.redirect(303, url.pathname + url.search);
          return;
        }
      } else {
        const host = (req.headers.host ?? '').replace(/:\d+$/, '');
        if (!isLoopback(host)) {
          next(
            new DashboardError(
              'FORBIDDEN',
              `requests for host "${host}" are refused on a loopback dashboard`,
            ),
          );
          return;
        }
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const origin = req.headers.origin;
        if (origin && origin !== `http://${req.headers.host}`) {
          next(new DashboardError('FORBIDDEN', `a request from ${origin} may not change anything here`));
          return;
        }
        const sent = req.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !same(sent, csrf)) {
          next(
            new DashboardError(
              'FORBIDDEN',
              `missing or wrong ${CSRF_HEADER} header`,
              'state-changing requests carry the value GET /api/session returns',
            ),
          );
          return;
        }
      }
      next();
    },
  };
}
