import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseServeArgs, parseSize, seldonEnvironment } from '../src/index.js';
import { nested, pixels, savedModel, send } from './fixture.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

let modelDir: string;
beforeAll(async () => {
  ({ modelDir } = await savedModel());
});

/** Runs the bin until it prints its ready line; resolves with the line and a way to stop it. */
function startBin(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ url: string; metricsUrl?: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    exited.then((code) => reject(new Error(`fmnist-serve exited (code ${code}): ${err}`)));
  });
  // A run that is expected to fail never reads `ready`.
  ready.catch(() => {});
  return { ready, exited, stderr: () => err, stop: () => child.kill('SIGTERM') };
}

describe('the fmnist-serve bin', () => {
  it('serves a model folder with the batching flags, and exits 0 on SIGTERM after finishing', async () => {
    const bin = startBin([
      '--model-dir',
      modelDir,
      '--port',
      '0',
      '--max-batch-size',
      '4',
      '--max-body-size',
      '1mb',
      '--json',
    ]);
    const { url } = await bin.ready;
    const answer = await send(
      `${url}/api/v1.0/predictions`,
      JSON.stringify({ data: { ndarray: [1, 2, 3, 4, 5, 6].map((k) => nested(pixels(k))) } }),
    );
    expect(answer.status).toBe(200);
    expect(answer.json.data.ndarray).toHaveLength(6);
    const tooBig = await send(`${url}/api/v1.0/predictions`, 'x'.repeat(1024 * 1024 + 1));
    expect(tooBig.status).toBe(413);
    bin.stop();
    expect(await bin.exited).toBe(0);
    expect(bin.stderr()).toMatch(/SIGTERM: finishing in-flight requests/);
  });

  it('exits 2 with the usage on a flag mistake, and 1 when the model folder is missing', async () => {
    const usage = startBin(['--model-dir', modelDir, '--port', 'ninety']);
    expect(await usage.exited).toBe(2);
    expect(usage.stderr()).toMatch(/--port must be an integer from 0 to 65535[\s\S]*usage: fmnist-serve/);
    const missing = startBin(['--model-dir', `${modelDir}-nope`, '--port', '0']);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toMatch(/no model folder at/);
  });

  it('reads sizes and limits the way the flags document them', () => {
    expect(parseSize('--max-body-size', '5mb')).toBe(5 * 1024 * 1024);
    expect(parseSize('--max-body-size', '512kb')).toBe(512 * 1024);
    expect(parseSize('--max-body-size', '2048')).toBe(2048);
    expect(() => parseSize('--max-body-size', 'lots')).toThrow(/size such as 5mb/);
    const parsed = parseServeArgs([
      '--model-dir',
      'm',
      '--max-queued-rows',
      '64',
      '--timeout-ms',
      '500',
      '--concurrency',
      '2',
    ]);
    expect(parsed).toMatchObject({
      help: false,
      options: { modelDir: 'm', maxQueuedRows: 64, timeoutMs: 500, concurrency: 2 },
    });
    expect(() => parseServeArgs([])).toThrow(/--model-dir DIR/);
  });

  it('under Seldon’s operator, serves metrics on its port and path and names the node in requestPath', async () => {
    const bin = startBin(['--model-dir', modelDir, '--json'], {
      PREDICTIVE_UNIT_HTTP_SERVICE_PORT: '0',
      PREDICTIVE_UNIT_METRICS_SERVICE_PORT: '0',
      PREDICTIVE_UNIT_METRICS_ENDPOINT: '/prometheus',
      PREDICTIVE_UNIT_ID: 'classifier',
      PREDICTIVE_UNIT_IMAGE: 'registry/fmnist-serve:7',
    });
    try {
      const { url, metricsUrl } = await bin.ready;
      expect(metricsUrl).toMatch(/\/prometheus$/);
      expect(new URL(metricsUrl as string).port).not.toBe(new URL(url).port);
      const answer = await send(
        `${url}/api/v1.0/predictions`,
        JSON.stringify({ data: { ndarray: [nested(pixels(1))] } }),
      );
      expect(answer.json.meta.requestPath).toEqual({ classifier: 'registry/fmnist-serve:7' });
      const scraped = await (await fetch(metricsUrl as string)).text();
      expect(scraped).toMatch(
        /seldon_api_server_requests_total\{method="POST",route="\/api\/v1.0\/predictions",code="200"\} 1/,
      );
      expect((await fetch(new URL('/metrics', metricsUrl))).status).toBe(404);
    } finally {
      bin.stop();
      await bin.exited;
    }
  });

  it('reads the operator’s environment as the Python wrapper does', () => {
    expect(seldonEnvironment({})).toEqual({});
    expect(
      seldonEnvironment({ PREDICTIVE_UNIT_METRICS_SERVICE_PORT: '6000', PREDICTIVE_UNIT_ID: 'm' }),
    ).toEqual({
      metricsPort: 6000,
      metricsPath: '/metrics',
      predictiveUnit: { id: 'm', image: 'NOT_IMPLEMENTED:NOT_IMPLEMENTED' },
    });
    expect(
      parseServeArgs(['--model-dir', 'm', '--port', '9001'], { PREDICTIVE_UNIT_HTTP_SERVICE_PORT: '9000' }),
    ).toMatchObject({
      options: { port: 9001 },
    });
    expect(() => seldonEnvironment({ PREDICTIVE_UNIT_METRICS_SERVICE_PORT: 'x' })).toThrow(
      /PREDICTIVE_UNIT_METRICS_SERVICE_PORT/,
    );
  });
});
