import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { echoModel, get, image, post, start } from './helpers.js';

/** The value of one unlabelled metric on /metrics. */
async function metric(url: string, name: string): Promise<number> {
  const text = (await get(`${url}/metrics`)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('staying up and honest under trouble', () => {
  it('answers readiness 503 while the model says it is not ready, and 200 again after', async () => {
    let ready = false;
    const { model } = echoModel({ ready: () => ready });
    const s = await start({ model });
    try {
      expect((await get(`${s.url}/ready`)).status).toBe(503);
      expect((await get(`${s.url}/v2/health/ready`)).status).toBe(503);
      expect((await get(`${s.url}/v2/models/model/ready`)).json).toEqual({ name: 'model', ready: false });
      ready = true;
      expect((await get(`${s.url}/ready`)).status).toBe(200);
      expect((await get(`${s.url}/v2/models/model/ready`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('refuses a request of more rows than maxQueuedRows with 413 in Seldon form', async () => {
    const s = await start({ maxQueuedRows: 4 });
    try {
      const rows = Array.from({ length: 5 }, (_, i) => image([i]));
      const res = await post(`${s.url}/api/v1.0/predictions`, { data: { ndarray: rows } });
      expect(res.status).toBe(413);
      expect(res.json.status).toMatchObject({ status: 1, reason: 'MICROSERVICE_BAD_DATA' });
      expect(res.json.status.info).toMatch(/at most 4 per request/);
      const ok = await post(`${s.url}/api/v1.0/predictions`, { data: { ndarray: rows.slice(0, 4) } });
      expect(ok.json.data.ndarray.map((r: number[]) => r[0])).toEqual([0, 1, 2, 3]);
    } finally {
      await s.close();
    }
  });

  it('takes the queued rows of a client that hung up off the queue', async () => {
    let release: () => void = () => {};
    const busy = new Promise<void>((r) => {
      release = r;
    });
    let entered: () => void = () => {};
    const inModel = new Promise<void>((r) => {
      entered = r;
    });
    const { model } = echoModel();
    const echo = model.predict.bind(model);
    const s = await start({
      model: {
        ...model,
        predict: async (input, shape) => {
          entered();
          await busy;
          return echo(input, shape);
        },
      },
      maxBatchSize: 1,
      maxWaitMs: 0,
    });
    try {
      // The first request holds the only model slot, so the second one queues.
      const first = post(`${s.url}/api/v1.0/predictions`, { data: { ndarray: image([1]) } });
      await inModel;
      const body = JSON.stringify({ data: { ndarray: [image([2]), image([3])] } });
      const req = httpRequest(`${s.url}/api/v1.0/predictions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('error', () => {});
      req.end(body);
      await expect.poll(() => metric(s.url, 'seldon_model_queued_rows')).toBe(2);
      req.destroy();
      await expect.poll(() => metric(s.url, 'seldon_model_queued_rows')).toBe(0);
      release();
      expect((await first).json.data.ndarray[0][0]).toBe(1);
    } finally {
      release();
      await s.close();
    }
  });
});
