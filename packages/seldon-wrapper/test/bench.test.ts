import { describe, expect, it } from 'vitest';
import { benchServer, createDenseModel, examplePayload } from '../src/bench.js';
import { start } from './helpers.js';

describe('benchServer', () => {
  it('loads a server with the Seldon example payload and reports what it measured', async () => {
    const srv = await start({ model: createDenseModel() });
    try {
      const result = await benchServer({
        url: `${srv.url}/api/v1.0/predictions`,
        body: examplePayload(),
        connections: 4,
        durationSeconds: 1,
      });
      expect(result.errors).toBe(0);
      expect(result.concurrency).toBe(4);
      expect(result.requests).toBeGreaterThan(0);
      expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    } finally {
      await srv.close();
    }
  });

  it('counts error answers as errors', async () => {
    const srv = await start({ model: createDenseModel() });
    try {
      const result = await benchServer({
        url: `${srv.url}/api/v1.0/predictions`,
        body: { nonsense: true },
        connections: 2,
        durationSeconds: 0.5,
      });
      expect(result.errors).toBeGreaterThan(0);
      expect(result.errors).toBe(result.requests);
    } finally {
      await srv.close();
    }
  });

  it('refuses a bad URL or connection count', async () => {
    await expect(benchServer({ url: 'nope' })).rejects.toThrow(/not a URL/);
    await expect(benchServer({ url: 'http://127.0.0.1:1/', connections: 0 })).rejects.toThrow(/connections/);
  });

  it('the dense model answers probabilities for the example payload', async () => {
    const model = createDenseModel();
    const out = (await model.predict(
      Float32Array.from(examplePayload().data.tensor.values),
      [1, 28, 28],
    )) as Float32Array;
    expect(out).toHaveLength(10);
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
  });
});
