import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLiveHub } from '../src/server/live.js';

/** What a watched experiment looks like now; a test moves it on. */
let value = { validations: 0 };
let final = false;
let looks = 0;
/** While set, a look waits for the test to let it answer. */
let held: Promise<void> | undefined;
const hub = createLiveHub(
  async () => {
    looks += 1;
    await held;
    return { value, final };
  },
  { pollMs: 20, heartbeatMs: 30 },
);
const app = express();
app.get('/events/:key', (req, res) => hub.subscribe(req.params.key, req, res));
let server: import('node:http').Server;
let base: string;

/** An open event stream: everything read so far, and a way to wait for more. */
function open(path: string) {
  let text = '';
  const waiters: (() => void)[] = [];
  let headers: Record<string, unknown> = {};
  let ended = false;
  const req = request(`${base}${path}`, (res) => {
    headers = res.headers;
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      text += c;
      for (const w of waiters.splice(0)) w();
    });
    res.on('end', () => {
      ended = true;
      for (const w of waiters.splice(0)) w();
    });
  });
  req.end();
  const until = async (ok: () => boolean) => {
    while (!ok()) await new Promise<void>((r) => waiters.push(r));
  };
  return {
    text: () => text,
    headers: () => headers,
    ended: () => ended,
    until,
    close: () => req.destroy(),
  };
}

beforeAll(async () => {
  server = await new Promise((ok) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  hub.close();
  await new Promise((ok) => server.close(ok));
});

describe('live updates over server-sent events', () => {
  it('sends a snapshot when it changes, shares one poller between pages, and beats while quiet', async () => {
    let release = () => {};
    held = new Promise<void>((r) => {
      release = r;
    });
    const a = open('/events/7');
    await expect.poll(() => looks).toBe(1);
    // A second page joins while the first look is out: it waits for that look, it does not start one.
    const b = open('/events/7');
    await expect.poll(() => hub.listeners('7')).toBe(2);
    expect(looks).toBe(1);
    held = undefined;
    release();
    await a.until(() => a.text().includes('data: {"validations":0}'));
    await b.until(() => b.text().includes('data: {"validations":0}'));
    expect(a.headers()['content-type']).toMatch(/^text\/event-stream/);

    // A page joining a running watch gets the latest snapshot at once.
    const c = open('/events/7');
    await c.until(() => c.text().includes('data: {"validations":0}'));
    c.close();

    value = { validations: 1 };
    await a.until(() => a.text().includes('data: {"validations":1}'));
    await b.until(() => b.text().includes('data: {"validations":1}'));
    // Unchanged snapshots are not sent again; the stream says it is alive instead.
    await a.until(() => a.text().split(': heartbeat').length > 2);
    expect(a.text().match(/"validations":1/g)).toHaveLength(1);

    a.close();
    await expect.poll(() => hub.listeners('7')).toBe(1);
    b.close();
    await expect.poll(() => hub.listeners('7')).toBe(0);
  });

  it('ends the stream once the watched thing is final', async () => {
    final = false;
    value = { validations: 2 };
    const s = open('/events/8');
    await s.until(() => s.text().includes('"validations":2'));
    value = { validations: 3 };
    final = true;
    await s.until(() => s.ended());
    expect(s.text()).toMatch(/"validations":3[\s\S]*event: end/);
    expect(hub.listeners('8')).toBe(0);
  });
});
