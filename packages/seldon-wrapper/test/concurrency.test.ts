import { describe, expect, it } from 'vitest';
import { echoModel, flat, get, image, post, start } from './helpers.js';

describe('under concurrent load', () => {
  it('answers 200 concurrent mixed good and bad requests each correctly, batching the good ones', async () => {
    const { model, batches } = echoModel();
    // A model that takes a moment, so requests pile up behind it as they would behind a real network.
    const predict = model.predict;
    const slow = {
      ...model,
      predict: async (x: Float32Array, s: number[]) => {
        await new Promise((r) => setTimeout(r, 3));
        return predict(x, s);
      },
    };
    const srv = await start({ model: slow, maxBatchSize: 16, maxWaitMs: 2 });
    try {
      const jobs = Array.from({ length: 200 }, async (_, i) => {
        const id = i + 1; // every good request's first pixel is its own id
        switch (i % 5) {
          case 0: {
            const res = await post(`${srv.url}/api/v1.0/predictions`, {
              data: { tensor: { shape: [28, 28], values: flat(image([id % 256])) } },
            });
            return res.status === 200 && res.json.data.tensor.values[0] === id % 256;
          }
          case 1: {
            const res = await post(`${srv.url}/predict`, {
              data: { ndarray: [image([id % 256]), image([(id + 1) % 256])] },
            });
            return (
              res.status === 200 &&
              res.json.data.ndarray[0][0] === id % 256 &&
              res.json.data.ndarray[1][0] === (id + 1) % 256
            );
          }
          case 2: {
            const res = await post(`${srv.url}/v2/models/model/infer`, {
              inputs: [{ name: 'x', shape: [784], datatype: 'FP32', data: flat(image([id % 256])) }],
            });
            return res.status === 200 && res.json.outputs[0].data[0] === id % 256;
          }
          case 3: {
            const res = await post(`${srv.url}/api/v1.0/predictions`, {
              data: { ndarray: image([300 + id]) },
            });
            return res.status === 400 && res.json.status.info.includes(`is ${300 + id}`);
          }
          default: {
            const res = await post(`${srv.url}/predict`, `{"data": {"ndarray": [${id}`);
            return res.status === 400 && res.json.status.reason === 'MICROSERVICE_BAD_DATA';
          }
        }
      });
      const outcomes = await Promise.all(jobs);
      expect(outcomes.filter((ok) => !ok)).toHaveLength(0);
      // 40 + 2×40 + 40 rows predicted, in fewer calls than requests.
      expect(batches.reduce((s, n) => s + n, 0)).toBe(160);
      expect(batches.length).toBeLessThan(120);
      expect(Math.max(...batches)).toBeLessThanOrEqual(16);
      const metrics = (await get(`${srv.url}/metrics`)).text;
      expect(metrics).toMatch(/^seldon_model_rows_total 160$/m);
    } finally {
      await srv.close();
    }
  });
});
