import type { Classifier } from '@fmnist/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serveModel } from '../src/index.js';
import { argmax, nested, photo, pixels, savedModel, send } from './fixture.js';

// A bounded load on loopback: CLIENTS concurrent clients, ROUNDS requests each, a fixed mix of good and bad.
const CLIENTS = 240;
const ROUNDS = 3;
const MAX_BODY = 256 * 1024;
const PREDICT = '/api/v1.0/predictions';

let running: RunningServer;
let local: Classifier;
const logged: string[] = [];

beforeAll(async () => {
  const saved = await savedModel();
  local = saved.local;
  const logger = { error: (...a: unknown[]) => logged.push(a.join(' ')), warn: () => {} };
  running = await serveModel({ modelDir: saved.modelDir, port: 0, maxBodyBytes: MAX_BODY, logger });
});

afterAll(async () => {
  await running?.close();
});

interface Case {
  route: string;
  body: string | Buffer;
  type: string;
  status: number;
  /** The images of a good request, whose classes its answer must give, row by row. */
  images?: number[][];
  classes?: number[];
}

/** Fills in each good case's expected classes with one model call in this thread. */
function expectClasses(cases: Case[]) {
  const all = cases.flatMap((c) => c.images ?? []);
  const probs = local.predict(Uint8Array.from(all.flat()), 'uint8');
  let row = 0;
  for (const c of cases) {
    if (!c.images) continue;
    c.classes = c.images.map(() => argmax(probs.subarray(row * 10, ++row * 10)));
  }
}

/** Request `i` of the mix: single images, multi-image batches, photos, malformed and oversized bodies. */
function makeCase(i: number, photoClass: number): Case {
  const json = (v: unknown) => JSON.stringify(v);
  switch (i % 10) {
    case 0:
    case 1:
    case 2: {
      const img = pixels(i);
      return {
        route: PREDICT,
        body: json({ data: { tensor: { shape: [28, 28], values: img } } }),
        type: 'application/json',
        status: 200,
        images: [img],
      };
    }
    case 3:
    case 4: {
      const imgs = Array.from({ length: 2 + (i % 19) }, (_, k) => pixels(i + k));
      return {
        route: PREDICT,
        body: json({ data: { ndarray: imgs.map(nested) } }),
        type: 'application/json',
        status: 200,
        images: imgs,
      };
    }
    case 5: {
      const imgs = Array.from({ length: 9 }, (_, k) => pixels(i * 3 + k));
      return {
        route: '/v2/models/fashion-classifier/infer',
        body: json({ inputs: [{ name: 'x', shape: [9, 28, 28], datatype: 'FP32', data: imgs.flat() }] }),
        type: 'application/json',
        status: 200,
        images: imgs,
      };
    }
    case 6:
      return { route: PREDICT, body: photo(1), type: 'image/png', status: 200, classes: [photoClass] };
    case 7:
      return { route: PREDICT, body: '{"data":{"ndarray":[[1,2', type: 'application/json', status: 400 };
    case 8:
      return {
        route: PREDICT,
        body: json({ data: { tensor: { shape: [27, 29], values: new Array(783).fill(1) } } }),
        type: 'application/json',
        status: 400,
      };
    default:
      return {
        route: PREDICT,
        body: json({ data: { ndarray: Array.from({ length: 120 }, (_, k) => nested(pixels(k))) } }),
        type: 'application/json',
        status: 413,
      };
  }
}

/** The counter `seldon_api_server_requests_total` for one route and code. */
async function served(route: string, code: number): Promise<number> {
  const text = await (await fetch(`${running.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(`seldon_api_server_requests_total{method="POST",route="${route}",code="${code}"}`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('a few hundred concurrent clients sending a mix of good and bad requests', () => {
  it('gets every answer right, stays up, and counts every answer on /metrics', async () => {
    const photoAnswer = await send(`${running.url}${PREDICT}`, photo(1), 'image/png');
    const photoClass = argmax(photoAnswer.json.data.ndarray[0]);
    const cases = Array.from({ length: CLIENTS * ROUNDS }, (_, i) => makeCase(i, photoClass));
    expectClasses(cases);
    const counts = new Map<string, number>();
    const wrong: string[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let round = 0; round < ROUNDS; round++) {
          const i = client * ROUNDS + round;
          const c = cases[i] as Case;
          const answer = await send(`${running.url}${c.route}`, c.body, c.type).catch((e: Error) => ({
            status: -1,
            json: e.message,
          }));
          const key = `${c.route.startsWith('/v2') ? '/v2/models/:name/infer' : PREDICT} ${answer.status}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          if (answer.status !== c.status) {
            wrong.push(
              `request ${i}: ${answer.status} instead of ${c.status}: ${JSON.stringify(answer.json).slice(0, 160)}`,
            );
            continue;
          }
          if (c.classes) {
            const flat: number[] | undefined = c.route.startsWith('/v2')
              ? answer.json.outputs?.[0]?.data
              : answer.json.data?.tensor?.values;
            const rows: number[][] = flat
              ? Array.from({ length: flat.length / 10 }, (_, r) => flat.slice(r * 10, r * 10 + 10))
              : (answer.json.data?.ndarray ?? []);
            const got = rows.map(argmax);
            if (JSON.stringify(got) !== JSON.stringify(c.classes))
              wrong.push(`request ${i}: classes ${got} instead of ${c.classes}`);
          } else if (answer.json?.status?.status !== 1) {
            wrong.push(`request ${i}: ${answer.status} without a Seldon error body`);
          }
        }
      }),
    );
    expect(wrong).toEqual([]);
    expect(logged).toEqual([]);
    // The process is alive and still answers.
    expect((await fetch(`${running.url}/health/ping`)).status).toBe(200);
    expect((await fetch(`${running.url}/ready`)).status).toBe(200);
    for (const [key, n] of counts) {
      const [route, code] = key.split(' ') as [string, string];
      const extra = route === PREDICT && code === '200' ? 1 : 0; // the photo asked before the load
      expect(await served(route, Number(code)), key).toBe(n + extra);
    }
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(CLIENTS * ROUNDS);
  });
});
