import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CSRF_HEADER,
  DashboardError,
  type RunningDashboard,
  type Session,
  startDashboard,
} from '../src/index.js';

let home: string;
let open: RunningDashboard;
let locked: RunningDashboard;

/** A raw request, so a test can send the Host and Origin headers a browser on another site would. */
function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((ok, fail) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'fmnist-dashboard-safety-'));
  open = await startDashboard({ home, port: 0 });
  locked = await startDashboard({ home, port: 0, token: 's3cret-token' });
});
afterAll(async () => {
  await open?.close();
  await locked?.close();
  await rm(home, { recursive: true, force: true });
});

describe('who may use the dashboard', () => {
  it('listens on 127.0.0.1 by default and shows the embedded backends of the home', async () => {
    expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const s = JSON.parse((await send(`${open.baseUrl}/api/session`)).body) as Session;
    expect(s.backends).toMatchObject({ master: 'local', data: 'local' });
    expect(s.home).toBe(home);
  });

  it('refuses to bind past loopback without a token', async () => {
    await expect(startDashboard({ home, host: '0.0.0.0', port: 0 })).rejects.toThrow(DashboardError);
    await expect(startDashboard({ home, host: '0.0.0.0', port: 0 })).rejects.toThrow(/--token/);
  });

  it('answers no other Host than loopback (a page on another site cannot reach it by DNS rebinding)', async () => {
    const r = await send(`${open.baseUrl}/api/experiments`, { headers: { host: 'evil.example:80' } });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.code).toBe('FORBIDDEN');
  });

  // Every state-changing route: past the guard, the master answers for itself (this home has no model,
  // no checkpoint "nope", no experiment 1), which shows the request got through.
  it.each([
    ['register a version', '/api/models/m/versions', { checkpoint: 'nope' }],
    ['kill', '/api/experiments/1/kill', {}],
    ['activate', '/api/experiments/1/activate', {}],
    ['deploy', '/api/deployments', { model: 'fashion-classifier', version: 1 }],
  ])(
    'lets "%s" through only as a POST with the CSRF token from its own origin',
    async (_what, path, payload) => {
      const url = `${open.baseUrl}${path}`;
      const body = JSON.stringify(payload);
      const json = { 'content-type': 'application/json' };
      const none = await send(url, { method: 'POST', headers: json, body });
      expect(none.status).toBe(403);
      expect(JSON.parse(none.body).error.message).toContain(CSRF_HEADER);

      const { csrf } = JSON.parse((await send(`${open.baseUrl}/api/session`)).body) as Session;
      const foreign = await send(url, {
        method: 'POST',
        headers: { ...json, [CSRF_HEADER]: csrf, origin: 'http://evil.example' },
        body,
      });
      expect(foreign.status).toBe(403);
      expect(foreign.body).toContain('evil.example');

      const own = await send(url, {
        method: 'POST',
        headers: { ...json, [CSRF_HEADER]: csrf, origin: open.baseUrl },
        body,
      });
      expect(own.status).toBe(404);
      expect(JSON.parse(own.body).error).toMatchObject({ engine: 'master' });
    },
  );

  it('streams no events for an experiment that does not exist', async () => {
    const r = await send(`${open.baseUrl}/api/experiments/41/events`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).error.message).toMatch(/experiment 41/);
  });

  it('with a token, refuses every request without it and keeps it in a cookie once the page is opened', async () => {
    const bare = await send(`${locked.baseUrl}/api/experiments`);
    expect(bare.status).toBe(401);
    expect(JSON.parse(bare.body).error.message).toMatch(/token/);
    expect((await send(`${locked.baseUrl}/`)).status).toBe(401);

    const bearer = await send(`${locked.baseUrl}/api/experiments`, {
      headers: { authorization: 'Bearer s3cret-token' },
    });
    expect(bearer.status).toBe(200);

    expect(locked.url).toBe(`${locked.baseUrl}/?token=s3cret-token`);
    const opened = await send(locked.url);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/');
    const cookie = String((opened.headers['set-cookie'] as string[])[0]).split(';')[0] as string;
    expect(cookie).toMatch(/HttpOnly|fmnist_dashboard_token=/);
    const again = await send(`${locked.baseUrl}/api/experiments`, { headers: { cookie } });
    expect(again.status).toBe(200);
  });

  it('serves hashed assets for good and the page itself revalidated', async () => {
    const index = await send(`${open.baseUrl}/experiments`);
    expect(index.status).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    expect(asset).toBeDefined();
    const js = await send(`${open.baseUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers['cache-control']).toMatch(/max-age=31536000.*immutable/);
    expect(index.body).not.toMatch(/\b(?:src|href)="https?:/);
  });

  it('says what is wrong with bad input', async () => {
    const r = await send(`${open.baseUrl}/api/experiments/abc`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.message).toMatch(/experiment id must be a whole number/);
    const missing = await send(`${open.baseUrl}/api/nope`);
    expect(missing.status).toBe(404);
  });
});
