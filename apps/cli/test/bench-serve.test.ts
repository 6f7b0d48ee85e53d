import type { AddressInfo } from 'node:net';
import { createServer } from '@fmnist/seldon-wrapper';
import { createDenseModel, examplePayload } from '@fmnist/seldon-wrapper/bench';
import { describe, expect, it } from 'vitest';
import { loadServer, mixedRequests } from '../src/commands/bench-serve.js';

async function start() {
  const app = createServer({ model: createDenseModel(), logger: { error() {}, warn() {} } });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => app.close(server),
  };
}

const payload = (rows: number) => examplePayload([28, 28], [0, 255], rows);

describe('fmnist bench serve', () => {
  it('loads a server with the Seldon example payload and reports what it measured', async () => {
    const srv = await start();
    try {
      const result = await loadServer({
        url: `${srv.url}/api/v1.0/predictions`,
        requests: [{ body: payload(1), images: 1 }],
        connections: 4,
        durationSeconds: 1,
      });
      expect(result.errors).toBe(0);
      expect(result.concurrency).toBe(4);
      expect(result.requests).toBeGreaterThan(0);
      expect(result.imagesPerSecond).toBe(result.requestsPerSecond);
      expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    } finally {
      await srv.close();
    }
  });

  it('runs a mixed load in which a share of the requests carries several images, all answered', async () => {
    const requests = mixedRequests(payload, 0.25, 8);
    expect(requests.map((r) => r.images).join(',')).toBe('1,1,1,8,1,1,1,8,1,1,1,8,1,1,1,8,1,1,1,8');
    const srv = await start();
    try {
      const result = await loadServer({
        url: `${srv.url}/api/v1.0/predictions`,
        requests,
        connections: 4,
        durationSeconds: 1,
      });
      expect(result.errors).toBe(0);
      expect(result.imagesPerSecond).toBeCloseTo(result.requestsPerSecond * 2.75, 5);
    } finally {
      await srv.close();
    }
  });

  it('counts error answers as errors', async () => {
    const srv = await start();
    try {
      const result = await loadServer({
        url: `${srv.url}/api/v1.0/predictions`,
        requests: [{ body: { nonsense: true }, images: 1 }],
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
    const requests = [{ body: {}, images: 1 }];
    await expect(loadServer({ url: 'nope', requests })).rejects.toThrow(/not a URL/);
    await expect(loadServer({ url: 'http://127.0.0.1:1/', requests, connections: 0 })).rejects.toThrow(
      /connections/,
    );
  });

  it('the dense model answers probabilities for single and multi-image payloads', async () => {
    const model = createDenseModel();
    const one = (await model.predict(
      Float32Array.from(payload(1).data.tensor.values),
      [1, 28, 28],
    )) as Float32Array;
    expect(one).toHaveLength(10);
    expect(one.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(payload(3).data.tensor.shape).toEqual([3, 28, 28]);
  });
});
