import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClassifier, initBackend, saveClassifier } from '@fmnist/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serveModel } from '../src/index.js';

let modelDir: string;
let running: RunningServer;
let local: Awaited<ReturnType<typeof createClassifier>>;

const image = Array.from({ length: 784 }, (_, i) => (i * 13) % 256);

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  local = await createClassifier({ hyperparameters: { filters1: 4, filters2: 8, dense1: 16 }, seed: 3 });
  modelDir = join(await mkdtemp(join(tmpdir(), 'fmnist-serve-')), 'model');
  await saveClassifier(local, modelDir);
  running = await serveModel({ modelDir, name: 'fashion-classifier', version: '7', port: 0 });
});

afterAll(async () => {
  await running?.close();
});

/** The parts of a Seldon answer these tests read. */
interface SeldonReply {
  data: { names: string[]; tensor: { shape: number[]; values: number[] }; ndarray: number[][] };
  meta: { requestPath: Record<string, string> };
  status: { status: number; reason: string };
}

async function post(path: string, body: unknown) {
  const res = await fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as SeldonReply };
}

describe('serving a saved model', () => {
  it('answers the Seldon example request through the ingress route with the model’s probabilities', async () => {
    const r = await post('/seldon/default/fashion-classifier/api/v1.0/predictions', {
      data: { names: ['feature1'], tensor: { shape: [28, 28], values: image } },
    });
    expect(r.status).toBe(200);
    expect(r.body.data.names).toEqual(local.metadata().classNames);
    expect(r.body.data.tensor.shape).toEqual([1, 10]);
    const expected = local.predict(Uint8Array.from(image), 'uint8');
    for (const [i, v] of (r.body.data.tensor.values as number[]).entries())
      expect(v).toBeCloseTo(expected[i] as number, 5);
    expect(r.body.meta.requestPath).toEqual({ 'fashion-classifier': '7' });
  });

  it('gives every one of many concurrent callers its own answer', async () => {
    const images = Array.from({ length: 40 }, (_, k) => image.map((v) => (v + k * 31) % 256));
    const answers = await Promise.all(
      images.map((img) => post('/api/v1.0/predictions', { data: { ndarray: [img] } })),
    );
    answers.forEach((a, k) => {
      const expected = local.predict(Uint8Array.from(images[k] as number[]), 'uint8');
      for (const [i, v] of (a.body.data.ndarray[0] as number[]).entries())
        expect(v).toBeCloseTo(expected[i] as number, 5);
    });
  });

  it('refuses pixels outside 0..255 in Seldon’s error format', async () => {
    const r = await post('/api/v1.0/predictions', {
      data: { tensor: { shape: [28, 28], values: image.map(() => 300) } },
    });
    expect(r.status).toBe(400);
    expect(r.body.status).toMatchObject({ status: 1, reason: 'MICROSERVICE_BAD_DATA' });
  });

  it('describes the model on /metadata and serves the Swagger page', async () => {
    const meta = await (await fetch(`${running.url}/metadata`)).json();
    expect(JSON.stringify(meta)).toContain('tensorflow.js-wasm');
    const doc = await fetch(`${running.url}/api/v1.0/doc/`);
    expect(doc.status).toBe(200);
    expect(await doc.text()).toMatch(/swagger/i);
  });

  it('fails to start with a clear error for a missing model folder', async () => {
    await expect(serveModel({ modelDir: join(modelDir, 'nope'), port: 0 })).rejects.toThrow(
      /no model folder at/,
    );
  });
});
