import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_NAMES, flat, get, image, post, type Running, start } from './helpers.js';

let srv: Running;
beforeAll(async () => {
  srv = await start({ name: 'fashion-classifier', version: '3' });
});
afterAll(() => srv.close());

const INFER = () => `${srv.url}/v2/models/fashion-classifier/infer`;

describe('Open Inference Protocol (V2)', () => {
  it('answers health, server and model metadata', async () => {
    expect((await get(`${srv.url}/v2/health/live`)).status).toBe(200);
    expect((await get(`${srv.url}/v2/health/ready`)).status).toBe(200);
    expect((await get(`${srv.url}/v2`)).json).toMatchObject({ extensions: [] });
    const meta = await get(`${srv.url}/v2/models/fashion-classifier`);
    expect(meta.json).toMatchObject({
      name: 'fashion-classifier',
      versions: ['3'],
      inputs: [{ datatype: 'FP32', shape: [-1, 28, 28] }],
      outputs: [{ datatype: 'FP32', shape: [-1, 10] }],
    });
    expect((await get(`${srv.url}/v2/models/fashion-classifier/versions/3`)).json).toEqual(meta.json);
    expect((await get(`${srv.url}/v2/models/fashion-classifier/ready`)).status).toBe(200);
    expect((await get(`${srv.url}/v2/models/fashion-classifier/versions/3/ready`)).status).toBe(200);
  });

  it('infers FP32 flat data and echoes the request id', async () => {
    const res = await post(INFER(), {
      id: 'req-1',
      inputs: [
        {
          name: 'input-0',
          shape: [2, 28, 28],
          datatype: 'FP32',
          data: [...flat(image([1, 2])), ...flat(image([3]))],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ model_name: 'fashion-classifier', model_version: '3', id: 'req-1' });
    const out = res.json.outputs[0];
    expect(out).toMatchObject({
      name: 'output-0',
      shape: [2, 10],
      datatype: 'FP32',
      parameters: { names: CLASS_NAMES },
    });
    expect(out.data.slice(0, 2)).toEqual([1, 2]);
    expect(out.data[10]).toBe(3);
  });

  it('infers UINT8 nested data through a version route', async () => {
    const res = await post(`${srv.url}/v2/models/fashion-classifier/versions/3/infer`, {
      inputs: [
        {
          name: 'x',
          shape: [1, 28, 28, 1],
          datatype: 'UINT8',
          data: [image([7]).map((r) => r.map((v) => [v]))],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.outputs[0].data[0]).toBe(7);
  });

  const BAD: [string, unknown, RegExp][] = [
    ['two inputs', { inputs: [{}, {}] }, /exactly one/],
    ['no inputs', {}, /inputs must be an array/],
    [
      'an unknown datatype',
      { inputs: [{ name: 'x', shape: [784], datatype: 'BYTES', data: [] }] },
      /BYTES.*not supported/,
    ],
    [
      'data that does not fill the shape',
      { inputs: [{ name: 'x', shape: [28, 28], datatype: 'FP32', data: [1] }] },
      /holds 1 values/,
    ],
    [
      'a UINT8 value out of its type',
      { inputs: [{ name: 'x', shape: [784], datatype: 'UINT8', data: [1.5, ...new Array(783).fill(0)] }] },
      /1.5, not a valid UINT8/,
    ],
    [
      'a wrong shape',
      { inputs: [{ name: 'x', shape: [2, 392], datatype: 'FP32', data: new Array(784).fill(0) }] },
      /shape \[2,392\]/,
    ],
    [
      'a pixel out of range',
      { inputs: [{ name: 'x', shape: [784], datatype: 'FP32', data: [999, ...new Array(783).fill(0)] }] },
      /outside this model's input range/,
    ],
  ];
  for (const [what, body, message] of BAD) {
    it(`answers ${what} with 400 {"error"}`, async () => {
      const res = await post(INFER(), body);
      expect(res.status).toBe(400);
      expect(Object.keys(res.json)).toEqual(['error']);
      expect(res.json.error).toMatch(message);
    });
  }

  it('answers an unknown model or version with 404 {"error"}', async () => {
    const body = { inputs: [{ name: 'x', shape: [784], datatype: 'FP32', data: new Array(784).fill(0) }] };
    const other = await post(`${srv.url}/v2/models/other/infer`, body);
    expect(other.status).toBe(404);
    expect(other.json.error).toMatch(/"other" is not served here/);
    expect((await post(`${srv.url}/v2/models/fashion-classifier/versions/9/infer`, body)).status).toBe(404);
    expect((await get(`${srv.url}/v2/models/other/ready`)).json).toEqual({ error: expect.any(String) });
  });

  it('answers malformed JSON and a wrong content type with 400 {"error"}', async () => {
    const bad = await post(INFER(), '{"inputs": [');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/not valid JSON/);
    const text = await post(INFER(), 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    expect(text.json.error).toMatch(/Content-Type/);
  });
});
