import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, CLASS_NAMES, echoModel, get, image, post, type Running, start } from './helpers.js';

// The real Seldon Core v1 Python wrapper (seldon-core 1.17.1, installed by .ci/setup.d/seldon.sh) runs a
// numpy model with the same input and output as echoModel (column k of a row is its pixel k), and both
// servers get the same requests.
const TOOLS = process.env.FMNIST_TOOLS_DIR ?? join(homedir(), '.cache', 'fmnist-tools');
const VENV = join(TOOLS, 'seldon');
const MICROSERVICE = join(VENV, 'bin', 'seldon-core-microservice');
const present = existsSync(MICROSERVICE);
const UNIT = { id: 'fashion-classifier', image: 'registry.example/fmnist-serve:3' };

const MODEL_PY = `import numpy as np

class EchoModel:
    def class_names(self):
        return ${JSON.stringify(CLASS_NAMES)}

    def predict(self, X, features_names=None, meta=None):
        return np.asarray(X, dtype=np.float64).reshape(-1, 784)[:, :10]
`;

let ours: Running;
let wrapper: ChildProcess | undefined;
let theirs = '';
let folder = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  if (!present) return;
  ours = await start({
    model: echoModel().model,
    name: 'fashion-classifier',
    version: '3',
    predictiveUnit: UNIT,
  });
  folder = mkdtempSync(join(tmpdir(), 'fmnist-seldon-'));
  writeFileSync(join(folder, 'EchoModel.py'), MODEL_PY);
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  wrapper = spawn(
    MICROSERVICE,
    [
      'EchoModel',
      '--http-port',
      String(http),
      '--grpc-port',
      String(grpc),
      '--metrics-port',
      String(metrics),
      '--workers',
      '1',
    ],
    {
      cwd: folder,
      // Its own process group: the wrapper forks gunicorn workers, and all of them must stop with the test.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PREDICTIVE_UNIT_ID: UNIT.id, PREDICTIVE_UNIT_IMAGE: UNIT.image },
    },
  );
  let log = '';
  wrapper.stderr?.on('data', (d) => {
    log += d;
  });
  theirs = `http://127.0.0.1:${http}`;
  // The wrapper is up when its ping answers; give it a bounded time to import and fork.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await fetch(`${theirs}/health/ping`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline || wrapper.exitCode !== null)
      throw new Error(`the Seldon wrapper did not start:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 90_000);

afterAll(async () => {
  await stopGroup(wrapper);
  await ours?.close();
});

/** Stops a detached child and everything it forked: SIGTERM to the group, SIGKILL if it lingers. */
async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  // Workers that outlive the main process go with the group.
  signal('SIGKILL');
}

/** The same request to both servers. */
async function both(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<[Answer, Answer]> {
  return Promise.all([post(`${ours.url}${path}`, body, headers), post(`${theirs}${path}`, body, headers)]);
}

const rows = (n: number) => Array.from({ length: n }, (_, k) => image([k, k + 1, 200 - k]));

describe.skipIf(!present)(
  `the same requests to ours and to the real Seldon wrapper (${present ? VENV : `skipped: no ${MICROSERVICE}; run .ci/setup.d/seldon.sh`})`,
  () => {
    for (const n of [1, 3]) {
      it(`answers data.ndarray and data.tensor of ${n} rows with the same data, names and requestPath`, async () => {
        const ndarray = { data: { names: ['feature1'], ndarray: rows(n) } };
        const tensor = { data: { tensor: { shape: [n, 28, 28], values: rows(n).flat(2) } } };
        for (const body of [ndarray, tensor]) {
          const [a, b] = await both('/api/v1.0/predictions', body);
          expect([a.status, b.status]).toEqual([200, 200]);
          expect(a.json.data).toEqual(b.json.data);
          expect(a.json.meta.requestPath).toEqual(b.json.meta.requestPath);
        }
        const [a, b] = await both('/api/v1.0/predictions', {
          meta: { puid: 'abc' },
          data: { ndarray: rows(n) },
        });
        expect(a.json.meta.puid).toBe('abc');
        expect(b.json.meta.puid).toBe('abc');
      });
    }

    it('answers the legacy path, a form-encoded json field and feedback alike', async () => {
      const [a, b] = await both('/api/v0.1/predictions', { data: { ndarray: rows(1) } });
      expect(a.json.data).toEqual(b.json.data);
      const form = `json=${encodeURIComponent(JSON.stringify({ data: { ndarray: rows(2) } }))}`;
      const [fa, fb] = await both('/predict', form, { 'content-type': 'application/x-www-form-urlencoded' });
      expect(fa.json.data).toEqual(fb.json.data);
      const [ka, kb] = await both('/api/v1.0/feedback', {
        reward: 1,
        request: { data: { ndarray: rows(1) } },
      });
      expect([ka.status, kb.status]).toEqual([200, 200]);
    });

    it('answers health and CORS alike', async () => {
      const [a, b] = await Promise.all([get(`${ours.url}/health/ping`), get(`${theirs}/health/ping`)]);
      expect(a.text.trim()).toBe(b.text.trim());
      const [ca, cb] = await Promise.all(
        [ours.url, theirs].map((u) =>
          fetch(`${u}/health/ping`, { headers: { origin: 'https://app.example' } }),
        ),
      );
      expect(ca!.headers.get('access-control-allow-origin')).toBe(
        cb!.headers.get('access-control-allow-origin'),
      );
    });

    it('refuses malformed JSON alike: 400 in the same error shape', async () => {
      const [a, b] = await both('/api/v1.0/predictions', '{"data": {"ndarray": [[1,');
      expect([a.status, b.status]).toEqual([400, 400]);
      for (const r of [a, b])
        expect(r.json.status).toMatchObject({ status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA' });
    });

    it('deliberate difference: a wrong shape is 400 MICROSERVICE_BAD_DATA here, where the wrapper lets the model raise a 500', async () => {
      const [a, b] = await both('/api/v1.0/predictions', {
        data: { tensor: { shape: [27, 29], values: new Array(783).fill(1) } },
      });
      expect(a.status).toBe(400);
      expect(a.json.status.reason).toBe('MICROSERVICE_BAD_DATA');
      expect(b.status).toBe(500);
    });

    it('deliberate difference: JSON sent as text/plain is read here; the wrapper refuses it', async () => {
      const [a, b] = await both('/api/v1.0/predictions', JSON.stringify({ data: { ndarray: rows(1) } }), {
        'content-type': 'text/plain',
      });
      expect(a.status).toBe(200);
      expect(b.status).toBe(400);
    });

    it('Seldon’s own SeldonClient works against ours, as a microservice and through the gateway path', async () => {
      const script = `
import sys, numpy as np
from seldon_core.seldon_client import SeldonClient
host = sys.argv[1]
x = np.zeros((2, 28, 28)); x[1, 0, 0] = 7
micro = SeldonClient(microservice_endpoint=host).microservice(data=x, method="predict")
gate = SeldonClient(gateway="seldon", gateway_endpoint=host, namespace="default", deployment_name="fashion-classifier").predict(data=x, transport="rest")
fb = SeldonClient(microservice_endpoint=host).microservice_feedback(prediction_request=micro.request, prediction_response=micro.response, reward=1.0)
for name, r in (("micro", micro), ("gateway", gate), ("feedback", fb)):
    print(name, r.success, r.msg if not r.success else "")
print("rows", [row[0] for row in micro.response["data"]["ndarray"]] if isinstance(micro.response, dict) else micro.response.data.ndarray)
`;
      writeFileSync(join(folder, 'client.py'), script);
      const { stdout } = await promisify(execFile)(
        join(VENV, 'bin', 'python'),
        [join(folder, 'client.py'), new URL(ours.url).host],
        {
          timeout: 60_000,
        },
      );
      expect(stdout).toMatch(/^micro True/m);
      expect(stdout).toMatch(/^gateway True/m);
      expect(stdout).toMatch(/^feedback True/m);
    }, 90_000);
  },
);
