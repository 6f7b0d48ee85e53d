import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  echoModel,
  flat,
  get,
  image,
  post,
  type Running,
  rawRequest,
  start,
  stillServes,
} from './helpers.js';

let srv: Running;
beforeAll(async () => {
  srv = await start({ maxBodyBytes: 64 * 1024 });
});
afterAll(() => srv.close());

function expectBadData(res: Pick<Answer, 'status' | 'json'>, info: RegExp) {
  expect(res.status).toBe(400);
  expect(res.json).toEqual({
    status: { status: 1, info: expect.any(String), code: -1, reason: 'MICROSERVICE_BAD_DATA' },
  });
  expect(res.json.status.info).toMatch(info);
}

const PREDICT = () => `${srv.url}/api/v1.0/predictions`;
const json = (body: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });

// Each case: what is sent, and what the 400 must say. After each, the server must still answer.
const BAD: [string, { 'content-type'?: string; body?: string }, RegExp][] = [
  [
    'a wrong shape',
    json({ data: { tensor: { shape: [27, 28], values: new Array(756).fill(0) } } }),
    /shape \[27,28\].*\[28,28\]/,
  ],
  [
    'values that do not fill the shape',
    json({ data: { tensor: { shape: [28, 28], values: [1, 2] } } }),
    /holds 2 values.*784/,
  ],
  [
    'a non-numeric value',
    json({ data: { tensor: { shape: [28, 28], values: ['a', ...new Array(783).fill(0)] } } }),
    /values\[0\] is "a", not a number/,
  ],
  [
    'a null inside an ndarray',
    json({ data: { ndarray: [[null, ...new Array(27).fill(0)], ...image([]).slice(1)] } }),
    /ndarray\[0\]\[0\] is null/,
  ],
  ['a ragged ndarray', json({ data: { ndarray: [...image([]).slice(0, 27), [1, 2]] } }), /ragged/],
  [
    'NaN (not JSON)',
    { 'content-type': 'application/json', body: `{"data":{"ndarray":[[NaN]]}}` },
    /not valid JSON.*NaN/,
  ],
  [
    'a number too large for a float',
    {
      'content-type': 'application/json',
      body: `{"data":{"tensor":{"shape":[784],"values":[1e400${',0'.repeat(783)}]}}}`,
    },
    /infinite/,
  ],
  [
    'a pixel out of range',
    json({ data: { ndarray: image([256]) } }),
    /256, outside this model's input range \[0, 255\]/,
  ],
  [
    'a negative pixel',
    json({ data: { tensor: { shape: [784], values: flat(image([0, -1])) } } }),
    /values\[1\] is -1/,
  ],
  ['malformed JSON', { 'content-type': 'application/json', body: '{"data": {' }, /not valid JSON/],
  ['a JSON array body', json([1, 2, 3]), /must be a JSON object/],
  ['no data', json({ meta: {} }), /holds no data/],
  ['two kinds of data', json({ strData: '1', jsonData: [1] }), /exactly one/],
  ['an empty data object', json({ data: {} }), /data holds no values/],
  ['customData', json({ customData: { '@type': 'x' } }), /customData is not supported/],
  [
    'a wrong content type',
    { 'content-type': 'application/xml', body: '<data/>' },
    /Content-Type "application\/xml" is not accepted/,
  ],
  ['no content type', { body: '{}' }, /no body or no Content-Type/],
  [
    'binData that is not an image',
    json({ binData: Buffer.from('hello').toString('base64') }),
    /not a PNG or JPEG/,
  ],
  ['binData that is not base64', json({ binData: '***' }), /not valid base64/],
  [
    'a truncated PNG',
    json({ binData: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]).toString('base64') }),
    /could not be decoded/,
  ],
  [
    'an unsupported tftensor dtype',
    json({ data: { tftensor: { dtype: 'DT_STRING', tensorShape: { dim: [] } } } }),
    /DT_STRING.*not supported/,
  ],
  [
    'a tftensor size that is not a number',
    json({ data: { tftensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: 'x' }] }, floatVal: [1] } } }),
    /dim\[0\]\.size is "x"/,
  ],
  [
    'a UINT8 tftensor value out of its type',
    json({
      data: { tftensor: { dtype: 'DT_UINT8', tensorShape: { dim: [{ size: '784' }] }, intVal: [300] } },
    }),
    /300, not a valid DT_UINT8/,
  ],
  [
    'a huge declared shape',
    json({ data: { tensor: { shape: [100000, 100000], values: [] } } }),
    /at most 16000000/,
  ],
  ['a zero dimension', json({ data: { tensor: { shape: [0, 28, 28], values: [] } } }), /positive integers/],
  [
    'a non-integer dimension',
    json({ data: { tensor: { shape: [1.5, 784], values: [] } } }),
    /positive integers/,
  ],
  [
    'an ndarray nested too deeply',
    json({ data: { ndarray: [[[[[[[[[[1]]]]]]]]]] } }),
    /nested deeper than 8/,
  ],
  [
    'a body nested 10 000 levels deep',
    {
      'content-type': 'application/json',
      body: `{"meta":{"tags":{"a":${'['.repeat(10000)}${']'.repeat(10000)}}},"data":{"ndarray":[1]}}`,
    },
    /nests deeper than 64/,
  ],
  [
    'a meta that is not an object',
    json({ meta: 'x', data: { ndarray: image([]) } }),
    /meta must be an object/,
  ],
  ['strData with a word in it', json({ strData: `cat${' 0'.repeat(783)}` }), /strData number 0 is "cat"/],
  ['strData of the wrong length', json({ strData: '1 2 3' }), /multiple of 784/],
  ['jsonData of the wrong kind', json({ jsonData: { foo: 1 } }), /instances/],
];

describe('bad requests get 400 MICROSERVICE_BAD_DATA and the server keeps answering', () => {
  for (const [what, req, info] of BAD) {
    it(what, async () => {
      const headers: Record<string, string> = req['content-type']
        ? { 'content-type': req['content-type'] }
        : {};
      const res = await rawRequest(PREDICT(), 'POST', headers, req.body);
      expectBadData(res, info);
      expect(await stillServes(srv.url)).toBe(true);
    });
  }

  it('a POST with no body at all', async () => {
    expectBadData(await rawRequest(PREDICT(), 'POST', {}), /no body/);
  });

  it('an empty form', async () => {
    expectBadData(
      await rawRequest(PREDICT(), 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, ''),
      /empty/,
    );
  });

  it('a body over the limit gets 413 in Seldon form', async () => {
    const res = await post(PREDICT(), { data: { ndarray: Array.from({ length: 100 }, () => image([255])) } });
    expect(res.status).toBe(413);
    expect(res.json.status).toMatchObject({ status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA' });
    expect(res.json.status.info).toMatch(/65536-byte limit/);
    expect(await stillServes(srv.url)).toBe(true);
  });

  it('prototype-polluting keys stay plain data and change nothing', async () => {
    const body = `{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"meta":{"__proto__":{"admin":true},"puid":"x"},"data":{"__proto__":{"tensor":1},"ndarray":${JSON.stringify(image([3]))}}}`;
    const res = await rawRequest(PREDICT(), 'POST', { 'content-type': 'application/json' }, body);
    expect(res.status).toBe(200);
    expect(res.json.data.ndarray[0][0]).toBe(3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    const form = await rawRequest(
      PREDICT(),
      'POST',
      { 'content-type': 'application/x-www-form-urlencoded' },
      `__proto__[x]=1&json=${encodeURIComponent(JSON.stringify({ data: { ndarray: image([4]) } }))}`,
    );
    expect(form.json.data.ndarray[0][0]).toBe(4);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('an unknown route gets 404 in Seldon form', async () => {
    const res = await get(`${srv.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(res.json.status.status).toBe(1);
  });

  it('a malformed URL escape gets 400, not a crash', async () => {
    const res = await get(`${srv.url}/v2/models/%E0%A4%A/ready`);
    expect(res.status).toBe(400);
    expect(await stillServes(srv.url)).toBe(true);
  });
});

describe('model failures get 500 MICROSERVICE_INTERNAL_ERROR without internals', () => {
  it('a model that throws', async () => {
    const logged: unknown[] = [];
    const secret = new Error('secret path /opt/weights');
    const { model } = echoModel({
      predict: () => {
        throw secret;
      },
    });
    const s = await start({ model, logger: { error: (...a: unknown[]) => logged.push(a), warn() {} } });
    try {
      const res = await post(`${s.url}/predict`, { data: { ndarray: image([]) } });
      expect(res.status).toBe(500);
      expect(res.json.status).toMatchObject({ status: 1, code: -1, reason: 'MICROSERVICE_INTERNAL_ERROR' });
      expect(res.text).not.toMatch(/secret|at .*\.ts|Error:/);
      expect(logged.flat()).toContain(secret);
      expect((await get(`${s.url}/health/ping`)).text).toBe('pong');
    } finally {
      await s.close();
    }
  });

  it('a model that hangs times out, and the next request is served', async () => {
    let hang = true;
    const { model } = echoModel();
    const predict = model.predict;
    const s = await start({
      model: { ...model, predict: (x, shape) => (hang ? new Promise<never>(() => {}) : predict(x, shape)) },
      timeoutMs: 100,
    });
    try {
      const res = await post(`${s.url}/predict`, { data: { ndarray: image([]) } });
      expect(res.status).toBe(500);
      expect(res.json.status.info).toMatch(/did not answer within 100 ms/);
      hang = false;
      expect(await stillServes(s.url)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('a model that returns the wrong number of rows or columns', async () => {
    for (const predict of [
      () => new Float32Array(7),
      () => [[1, 2]],
      () => new Float32Array(10).fill(Number.NaN),
    ]) {
      const s = await start({ model: echoModel({ predict }).model });
      try {
        const res = await post(`${s.url}/predict`, { data: { ndarray: image([]) } });
        expect(res.status).toBe(500);
        expect(res.json.status.info).toMatch(/the model's output|the model returned/);
      } finally {
        await s.close();
      }
    }
  });
});

describe('draining', () => {
  it('finishes in-flight requests, then refuses new ones with 503 and reports not ready', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { model } = echoModel();
    const predict = model.predict;
    const s = await start({
      model: {
        ...model,
        predict: async (x, shape) => {
          await gate;
          return predict(x, shape);
        },
      },
    });
    const inFlight = post(`${s.url}/predict`, { data: { ndarray: image([42]) } });
    await new Promise((r) => setTimeout(r, 50));
    const drained = s.app.drain();
    const refused = await post(`${s.url}/predict`, { data: { ndarray: image([1]) } });
    expect(refused.status).toBe(503);
    expect((await get(`${s.url}/ready`)).status).toBe(503);
    expect((await get(`${s.url}/v2/models/model/ready`)).status).toBe(503);
    release();
    await drained;
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.json.data.ndarray[0][0]).toBe(42);
    await s.close();
  });
});
