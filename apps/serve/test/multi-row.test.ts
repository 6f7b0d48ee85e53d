import type { Classifier } from '@fmnist/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serveModel } from '../src/index.js';
import { type Json, nested, photo, pixels, savedModel, send } from './fixture.js';

// Requests of every size through the same worker-thread model `fmnist serve` runs, in calls of 8 rows:
// a request of 9 or more rows is split, and each slice travels to the model thread in its own buffer.
const BATCH = 8;
const SIZES = [1, BATCH, BATCH + 1, 20, 4 * BATCH + 1];

let running: RunningServer;
let local: Classifier;

beforeAll(async () => {
  const saved = await savedModel();
  local = saved.local;
  running = await serveModel({ modelDir: saved.modelDir, port: 0, maxBatchSize: BATCH, maxWaitMs: 0 });
});

afterAll(async () => {
  await running?.close();
});

/** Each payload kind: how to ask for `images`, and where its answer keeps the rows. */
const KINDS: Record<string, { ask(images: number[][]): [string, string]; rows(answer: Json): number[][] }> = {
  tensor: {
    ask: (imgs) => [
      json({ data: { tensor: { shape: [imgs.length, 28, 28], values: imgs.flat() } } }),
      JSON_TYPE,
    ],
    rows: (a) => chunk(a.data.tensor.values, 10),
  },
  ndarray: {
    ask: (imgs) => [json({ data: { ndarray: imgs.map(nested) } }), JSON_TYPE],
    rows: (a) => a.data.ndarray,
  },
  tftensor: {
    ask: (imgs) => [
      json({
        data: {
          tftensor: {
            dtype: 'DT_FLOAT',
            tensorShape: { dim: [imgs.length, 28, 28].map((size) => ({ size: String(size) })) },
            floatVal: imgs.flat(),
          },
        },
      }),
      JSON_TYPE,
    ],
    rows: (a) => chunk(a.data.tftensor.floatVal, 10),
  },
  strData: {
    ask: (imgs) => [json({ strData: imgs.flat().join(' ') }), JSON_TYPE],
    rows: (a) => a.data.ndarray,
  },
  jsonData: {
    ask: (imgs) => [json({ jsonData: imgs.map(nested) }), JSON_TYPE],
    rows: (a) => a.jsonData.predictions,
  },
  form: {
    ask: (imgs) => [
      `json=${encodeURIComponent(json({ data: { ndarray: imgs.map(nested) } }))}`,
      'application/x-www-form-urlencoded',
    ],
    rows: (a) => a.data.ndarray,
  },
};

const JSON_TYPE = 'application/json';
const json = (v: unknown) => JSON.stringify(v);
const chunk = (flat: number[], width: number) =>
  Array.from({ length: flat.length / width }, (_, r) => flat.slice(r * width, (r + 1) * width));

function expectRows(rows: number[][], images: number[][]) {
  expect(rows).toHaveLength(images.length);
  rows.forEach((row, r) => {
    const single = local.predict(Uint8Array.from(images[r] as number[]), 'uint8');
    expect(row).toHaveLength(10);
    row.forEach((v, c) => {
      expect(v).toBeCloseTo(single[c] as number, 5);
    });
  });
}

describe('requests of any number of rows through the model thread', () => {
  for (const [kind, { ask, rows }] of Object.entries(KINDS)) {
    it(`answers ${kind} requests of ${SIZES.join(', ')} rows row by row like single-row requests`, async () => {
      for (const n of SIZES) {
        const images = Array.from({ length: n }, (_, k) => pixels(k + n));
        const [body, type] = ask(images);
        const answer = await send(`${running.url}/api/v1.0/predictions`, body, type);
        expect(answer.status, `${kind} × ${n}: ${json(answer.json).slice(0, 200)}`).toBe(200);
        expectRows(rows(answer.json), images);
      }
    });
  }

  it(`answers V2 infer requests of ${SIZES.join(', ')} rows row by row`, async () => {
    for (const n of SIZES) {
      const images = Array.from({ length: n }, (_, k) => pixels(k + 2 * n));
      const answer = await send(
        `${running.url}/v2/models/fashion-classifier/infer`,
        json({ inputs: [{ name: 'x', shape: [n, 28, 28], datatype: 'UINT8', data: images.flat() }] }),
      );
      expect(answer.status, json(answer.json).slice(0, 200)).toBe(200);
      expect(answer.json.outputs[0].shape).toEqual([n, 10]);
      expectRows(chunk(answer.json.outputs[0].data, 10), images);
    }
  });

  it('answers a 20-image request and 20 single requests sent at the same time, each with its own rows', async () => {
    const images = Array.from({ length: 20 }, (_, k) => pixels(100 + k));
    const [many, ...singles] = await Promise.all([
      send(`${running.url}/api/v1.0/predictions`, json({ data: { ndarray: images.map(nested) } })),
      ...images.map((img) =>
        send(`${running.url}/api/v1.0/predictions`, json({ data: { ndarray: [nested(img)] } })),
      ),
    ]);
    expectRows(many!.json.data.ndarray, images);
    singles.forEach((s, k) => {
      expectRows(s.json.data.ndarray, [images[k] as number[]]);
    });
  });

  it('answers a photo, as base64 binData and as a raw PNG body, with the same probabilities', async () => {
    const picture = photo(1);
    const asJson = await send(
      `${running.url}/api/v1.0/predictions`,
      json({ binData: picture.toString('base64') }),
    );
    const asPng = await send(`${running.url}/api/v1.0/predictions`, picture, 'image/png');
    expect(asJson.status).toBe(200);
    expect(asJson.json.data.ndarray).toHaveLength(1);
    expect(asPng.json.data.ndarray).toEqual(asJson.json.data.ndarray);
  });
});
