import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLASS_NAMES,
  echoModel,
  flat,
  get,
  image,
  post,
  type Running,
  rawRequest,
  start,
} from './helpers.js';

let srv: Running;
beforeAll(async () => {
  srv = await start({ name: 'fashion-classifier', version: '3' });
});
afterAll(() => srv.close());

const PREDICT = () => `${srv.url}/api/v1.0/predictions`;

describe('Seldon v1 payload kinds, answered in the same kind', () => {
  it('takes the documented data.tensor example and answers with a tensor and the class names', async () => {
    const res = await post(`${srv.url}/seldon/default/fashion-classifier/api/v1.0/predictions`, {
      data: { names: ['feature1'], tensor: { shape: [28, 28], values: flat(image([1, 2, 3])) } },
    });
    expect(res.status).toBe(200);
    expect(res.json.data.names).toEqual(CLASS_NAMES);
    expect(res.json.data.tensor.shape).toEqual([1, 10]);
    expect(res.json.data.tensor.values).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 0, 0]);
    expect(res.json.meta.requestPath).toEqual({ 'fashion-classifier': '3' });
    expect(res.json.meta.puid).toMatch(/^[a-z2-7]{26}$/);
  });

  it('answers several rows of a tensor in their order', async () => {
    const values = [...flat(image([5])), ...flat(image([6])), ...flat(image([7]))];
    const res = await post(PREDICT(), { data: { tensor: { shape: [3, 28, 28, 1], values } } });
    expect(res.json.data.tensor.shape).toEqual([3, 10]);
    expect([0, 1, 2].map((r) => res.json.data.tensor.values[r * 10])).toEqual([5, 6, 7]);
  });

  it('takes flat rows of 784 values', async () => {
    const res = await post(PREDICT(), { data: { tensor: { shape: [1, 784], values: flat(image([4])) } } });
    expect(res.json.data.tensor.values[0]).toBe(4);
  });

  it('answers data.ndarray with an ndarray', async () => {
    const res = await post(`${srv.url}/predict`, { data: { ndarray: [image([8, 9]), image([10])] } });
    expect(res.status).toBe(200);
    expect(res.json.data.ndarray).toHaveLength(2);
    expect(res.json.data.ndarray[0].slice(0, 2)).toEqual([8, 9]);
    expect(res.json.data.ndarray[1][0]).toBe(10);
  });

  it('answers data.tftensor (floatVal, camelCase) with a DT_FLOAT tftensor', async () => {
    const res = await post(PREDICT(), {
      data: {
        tftensor: {
          dtype: 'DT_FLOAT',
          tensorShape: { dim: [{ size: '28' }, { size: '28' }] },
          floatVal: flat(image([11])),
        },
      },
    });
    expect(res.status).toBe(200);
    expect(res.json.data.tftensor.dtype).toBe('DT_FLOAT');
    expect(res.json.data.tftensor.tensorShape.dim).toEqual([{ size: '1' }, { size: '10' }]);
    expect(res.json.data.tftensor.floatVal[0]).toBe(11);
  });

  it('reads tftensor in snake_case with intVal, and tensorContent bytes', async () => {
    const snake = await post(PREDICT(), {
      data: {
        tftensor: {
          dtype: 'DT_UINT8',
          tensor_shape: { dim: [{ size: 1 }, { size: 784 }] },
          int_val: flat(image([12])),
        },
      },
    });
    expect(snake.json.data.tftensor.floatVal[0]).toBe(12);
    const bytes = Buffer.from(new Float32Array(flat(image([13, 14]))).buffer);
    const content = await post(PREDICT(), {
      data: {
        tftensor: {
          dtype: 'DT_FLOAT',
          tensorShape: { dim: [{ size: '28' }, { size: '28' }] },
          tensorContent: bytes.toString('base64'),
        },
      },
    });
    expect(content.json.data.tftensor.floatVal.slice(0, 2)).toEqual([13, 14]);
  });

  it('answers jsonData with jsonData {names, predictions}', async () => {
    const res = await post(PREDICT(), { jsonData: { instances: [image([15]), image([16])] } });
    expect(res.status).toBe(200);
    expect(res.json.jsonData.names).toEqual(CLASS_NAMES);
    expect(res.json.jsonData.predictions.map((r: number[]) => r[0])).toEqual([15, 16]);
    const bare = await post(PREDICT(), { jsonData: image([17]) });
    expect(bare.json.jsonData.predictions[0][0]).toBe(17);
  });

  it('reads strData as numbers separated by commas or spaces and answers an ndarray', async () => {
    const text = flat(image([18, 19])).join(' ');
    const res = await post(PREDICT(), { strData: text });
    expect(res.status).toBe(200);
    expect(res.json.data.ndarray[0].slice(0, 2)).toEqual([18, 19]);
    const plain = await rawRequest(
      PREDICT(),
      'POST',
      { 'content-type': 'text/plain' },
      flat(image([20])).join(','),
    );
    expect(plain.json.data.ndarray[0][0]).toBe(20);
  });

  it('takes the old form-encoded json= body and a JSON body sent as a form (curl -d)', async () => {
    const message = JSON.stringify({ data: { ndarray: image([21]) } });
    const form = await rawRequest(
      `${srv.url}/predict`,
      'POST',
      { 'content-type': 'application/x-www-form-urlencoded' },
      `json=${encodeURIComponent(message)}`,
    );
    expect(form.status).toBe(200);
    expect(form.json.data.ndarray[0][0]).toBe(21);
    const curl = await rawRequest(
      `${srv.url}/predict`,
      'POST',
      { 'content-type': 'application/x-www-form-urlencoded' },
      message,
    );
    expect(curl.json.data.ndarray[0][0]).toBe(21);
    const query = await get(`${srv.url}/predict?json=${encodeURIComponent(message)}`);
    expect(query.json.data.ndarray[0][0]).toBe(21);
  });

  it('passes meta through, keeping the puid and adding this model to requestPath', async () => {
    const res = await post(PREDICT(), {
      meta: { puid: 'abc123', tags: { source: 'test' }, requestPath: { transformer: 'img:1' } },
      data: { ndarray: image([1]) },
    });
    expect(res.json.meta).toEqual({
      puid: 'abc123',
      tags: { source: 'test' },
      requestPath: { transformer: 'img:1', 'fashion-classifier': '3' },
    });
  });

  it('names columns t:0… when the model declares no class names', async () => {
    const other = await start({ model: echoModel({ classNames: undefined }).model });
    try {
      const res = await post(`${other.url}/predict`, { data: { ndarray: image([1]) } });
      expect(res.json.data.names).toEqual(Array.from({ length: 10 }, (_, i) => `t:${i}`));
      expect(res.json.meta.requestPath).toEqual({ model: '1' });
    } finally {
      await other.close();
    }
  });
});

describe('binData: a garment photo becomes a Fashion-MNIST style image', () => {
  // A dark 40×20 garment on a white 100×80 photo, off centre.
  async function photo(format: 'png' | 'jpeg') {
    const garment = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#202020' } })
      .png()
      .toBuffer();
    return sharp({ create: { width: 100, height: 80, channels: 3, background: '#ffffff' } })
      .composite([{ input: garment, left: 10, top: 50 }])
      [format]()
      .toBuffer();
  }

  /** A model that hands back the whole 28×28 image it received, to see what the photo became. */
  function seeingModel() {
    let seen: Float32Array | undefined;
    const { model } = echoModel({
      predict(input) {
        seen = input.slice(0, 784);
        return new Float32Array(10);
      },
    });
    return { model, seen: () => seen! };
  }

  for (const format of ['png', 'jpeg'] as const) {
    it(`trims, fits the longest edge to 28, centres and negates a ${format.toUpperCase()}`, async () => {
      const m = seeingModel();
      const s = await start({ model: m.model });
      try {
        const bytes = await photo(format);
        const res = await post(`${s.url}/api/v1.0/predictions`, { binData: bytes.toString('base64') });
        expect(res.status).toBe(200);
        expect(res.json.data.ndarray).toHaveLength(1);
        expect(res.json.data.names).toEqual(CLASS_NAMES);
        const px = m.seen();
        const at = (y: number, x: number) => px[y * 28 + x] as number;
        // 40×20 fits as 28×14, centred: rows 7..20 are the garment (bright after negation), the rest black.
        expect(at(0, 14)).toBe(0);
        expect(at(27, 14)).toBe(0);
        expect(at(3, 3)).toBe(0);
        expect(at(14, 14)).toBeGreaterThan(200);
        expect(at(8, 1)).toBeGreaterThan(200);
        expect(at(19, 26)).toBeGreaterThan(200);
      } finally {
        await s.close();
      }
    });
  }

  it('scales image pixels into the model input range', async () => {
    const m = seeingModel();
    const s = await start({ model: { ...m.model, inputRange: [0, 1] } });
    try {
      const res = await rawRequest(
        `${s.url}/predict`,
        'POST',
        { 'content-type': 'image/png' },
        await photo('png'),
      );
      expect(res.status).toBe(200);
      const px = Array.from(m.seen());
      expect(Math.max(...px)).toBeLessThanOrEqual(1);
      expect(Math.max(...px)).toBeGreaterThan(0.8);
    } finally {
      await s.close();
    }
  });
});

describe('health and metadata', () => {
  it('answers the health and readiness routes', async () => {
    expect((await get(`${srv.url}/health/ping`)).text).toBe('pong');
    expect((await get(`${srv.url}/ready`)).status).toBe(200);
    expect((await get(`${srv.url}/live`)).status).toBe(200);
    expect((await get(`${srv.url}/health/status`)).json).toEqual({ jsonData: { status: 'ok' } });
  });

  it("reports the model's own health, and 503 when it throws", async () => {
    let healthy = true;
    const s = await start({
      model: echoModel({
        healthStatus: () => {
          if (!healthy) throw new Error('weights gone');
          return 'all good';
        },
      }).model,
    });
    try {
      expect((await get(`${s.url}/health/status`)).json).toEqual({ strData: 'all good' });
      healthy = false;
      const res = await get(`${s.url}/health/status`);
      expect(res.status).toBe(503);
      expect(res.json.status.status).toBe(1);
      expect(res.text).not.toContain('weights gone');
    } finally {
      await s.close();
    }
  });

  it('describes the model in Seldon metadata, merged with what the model adds', async () => {
    const s = await start({
      name: 'fashion-classifier',
      version: '3',
      model: echoModel({ metadata: () => ({ platform: 'tfjs', custom: { accuracy: '0.91' } }) }).model,
    });
    try {
      const meta = await get(`${s.url}/metadata`);
      expect(meta.json).toMatchObject({
        name: 'fashion-classifier',
        versions: ['3'],
        platform: 'tfjs',
        custom: { accuracy: '0.91' },
        inputs: [{ messagetype: 'tensor', schema: { shape: [28, 28] } }],
        outputs: [{ messagetype: 'tensor', schema: { names: CLASS_NAMES, shape: [10] } }],
      });
      expect((await get(`${s.url}/api/v1.0/metadata/fashion-classifier`)).json).toEqual(meta.json);
      const graph = await get(`${s.url}/seldon/default/fashion-classifier/api/v1.0/metadata`);
      expect(graph.json.models['fashion-classifier']).toEqual(meta.json);
      expect(graph.json.graphinputs).toEqual(meta.json.inputs);
      expect((await get(`${s.url}/api/v1.0/metadata/other`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('hands feedback to the model and counts it', async () => {
    const received: unknown[] = [];
    const s = await start({ model: echoModel({ sendFeedback: (f) => void received.push(f) }).model });
    try {
      const body = {
        request: { meta: { puid: 'p1' }, data: { ndarray: image([1]) } },
        reward: 1,
        truth: { data: { ndarray: [[0]] } },
      };
      const res = await post(`${s.url}/api/v1.0/feedback`, body);
      expect(res.status).toBe(200);
      expect(res.json.meta.puid).toBe('p1');
      expect(received).toEqual([body]);
      expect((await post(`${s.url}/send-feedback`, { reward: 0.5 })).status).toBe(200);
      expect((await post(`${s.url}/seldon/ns/dep/api/v1.0/feedback`, { reward: 'lots' })).status).toBe(400);
      const metrics = (await get(`${s.url}/metrics`)).text;
      expect(metrics).toMatch(/^seldon_api_model_feedback_total 2$/m);
      expect(metrics).toMatch(/^seldon_api_model_feedback_reward_total 1.5$/m);
    } finally {
      await s.close();
    }
  });
});
