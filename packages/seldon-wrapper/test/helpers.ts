import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type SeldonModel, type SeldonServer, type ServerOptions } from '../src/index.js';

export const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/**
 * A model whose output row echoes its input row: column k is the row's k-th value, so every caller can
 * check it got its own row back. It records the size of every batch it is called with.
 */
export function echoModel(overrides: Partial<SeldonModel> = {}) {
  const batches: number[] = [];
  const model: SeldonModel = {
    inputShape: [28, 28],
    inputRange: [0, 255],
    classNames: CLASS_NAMES,
    predict(input, shape) {
      const rows = shape[0] as number;
      batches.push(rows);
      const out = new Float32Array(rows * 10);
      for (let r = 0; r < rows; r++)
        for (let k = 0; k < 10; k++) out[r * 10 + k] = input[r * 784 + k] as number;
      return out;
    },
    ...overrides,
  };
  return { model, batches };
}

/** A 28×28 image whose first ten pixels are `first` (the rest zero), as nested rows. */
export function image(first: number[]): number[][] {
  const rows = Array.from({ length: 28 }, () => new Array(28).fill(0) as number[]);
  first.forEach((v, i) => {
    rows[0]![i] = v;
  });
  return rows;
}

export const flat = (nested: number[][]) => nested.flat();

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field and assert each one.
type Json = any;

export interface Answer {
  status: number;
  json: Json;
  text: string;
  headers: Headers;
}

export interface Running {
  app: SeldonServer;
  url: string;
  close(): Promise<void>;
}

export async function start(
  options: Partial<ServerOptions> & { model?: SeldonModel } = {},
): Promise<Running> {
  const quiet = { error() {}, warn() {} };
  const app = createServer({ model: options.model ?? echoModel().model, logger: quiet, ...options });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: () => app.close(server),
  };
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export async function get(url: string): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual' });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** A request with exactly these headers (fetch always adds a content type to a string body). */
export function rawRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string | Buffer,
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text, headers: new Headers() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The server still answers a good prediction. */
export async function stillServes(url: string) {
  const res = await post(`${url}/api/v1.0/predictions`, { data: { ndarray: image([9]) } });
  return res.status === 200 && res.json?.data?.ndarray?.[0]?.[0] === 9;
}
