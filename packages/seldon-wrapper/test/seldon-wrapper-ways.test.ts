import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoModel, get, image, post, type Running, rawRequest, start } from './helpers.js';

// Behaviours of the Python wrapper (SeldonIO/seldon-core v1.17.1 python/seldon_core/wrapper.py,
// flask_utils.py) that a Seldon user relies on.
let srv: Running;
beforeAll(async () => {
  srv = await start({ model: echoModel().model, name: 'fashion-classifier', version: '3' });
});
afterAll(async () => {
  await srv?.close();
});

async function form(path: string, fd: FormData) {
  const res = await fetch(`${srv.url}${path}`, { method: 'POST', body: fd });
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field.
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}

describe('CORS, as flask-cors answers for the wrapper', () => {
  it('allows any origin on every answer, echoing the caller’s Origin, errors included', async () => {
    const plain = await fetch(`${srv.url}/health/ping`);
    expect(plain.headers.get('access-control-allow-origin')).toBe('*');
    const page = await fetch(`${srv.url}/api/v1.0/predictions`, {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json' },
      body: '{"broken',
    });
    expect(page.status).toBe(400);
    expect(page.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(page.headers.get('vary')).toMatch(/Origin/);
  });

  it('answers a preflight with the asked headers and the allowed methods', async () => {
    const res = await fetch(`${srv.url}/seldon/default/fashion-classifier/api/v1.0/predictions`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-request-id',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-request-id');
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });
});

describe('multipart/form-data, as Seldon documents it', () => {
  it('reads data as a JSON field and strData as text or as a file', async () => {
    const fd = new FormData();
    fd.append('data', JSON.stringify({ ndarray: [image([4])] }));
    expect((await form('/api/v1.0/predictions', fd)).json.data.ndarray[0][0]).toBe(4);
    const text = new FormData();
    text.append('strData', image([6]).flat().join(' '));
    expect((await form('/api/v1.0/predictions', text)).json.data.ndarray[0][0]).toBe(6);
    const file = new FormData();
    file.append('strData', new Blob([image([8]).flat().join(',')]), 'pixels.txt');
    expect((await form('/api/v1.0/predictions', file)).json.data.ndarray[0][0]).toBe(8);
  });

  it('reads binData as an uploaded photo', async () => {
    const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#202020' } })
      .png()
      .toBuffer();
    const fd = new FormData();
    fd.append('binData', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'shirt.png');
    const res = await form('/api/v1.0/predictions', fd);
    expect(res.status).toBe(200);
    expect(res.json.data.ndarray).toHaveLength(1);
  });

  it('refuses a field that is not JSON, and feedback reads multipart too', async () => {
    const fd = new FormData();
    fd.append('data', '{not json');
    const bad = await form('/api/v1.0/predictions', fd);
    expect(bad.status).toBe(400);
    expect(bad.json.status.info).toMatch(/multipart field "data" is not valid JSON/);
    const feedback = new FormData();
    feedback.append('reward', '1');
    expect((await form('/api/v1.0/feedback', feedback)).status).toBe(200);
  });
});

describe('the wrapper’s other paths', () => {
  it('answers /api/v1.0/health/status and the legacy /api/v0.1 predictions and feedback', async () => {
    expect((await get(`${srv.url}/api/v1.0/health/status`)).status).toBe(200);
    const legacy = await post(`${srv.url}/api/v0.1/predictions`, { data: { ndarray: image([2]) } });
    expect(legacy.json.data.ndarray[0][0]).toBe(2);
    expect((await post(`${srv.url}/api/v0.1/feedback`, { reward: 1 })).status).toBe(200);
  });

  it('names the graph node in requestPath from predictiveUnit, as the wrapper does from PREDICTIVE_UNIT_ID/IMAGE', async () => {
    const unit = await start({ predictiveUnit: { id: 'classifier', image: 'registry/fmnist:7' } });
    try {
      const res = await post(`${unit.url}/api/v1.0/predictions`, { data: { ndarray: image([1]) } });
      expect(res.json.meta.requestPath).toEqual({ classifier: 'registry/fmnist:7' });
    } finally {
      await unit.close();
    }
    const plain = await rawRequest(
      `${srv.url}/api/v1.0/predictions`,
      'POST',
      { 'content-type': 'application/json' },
      JSON.stringify({ data: { ndarray: image([1]) } }),
    );
    expect(plain.json.meta.requestPath).toEqual({ 'fashion-classifier': '3' });
  });
});
