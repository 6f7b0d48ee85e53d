import type { Classifier } from '@fmnist/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serveModel, type ThreadEvent } from '../src/index.js';
import { argmax, nested, pixels, savedModel, send } from './fixture.js';

let running: RunningServer;
let local: Classifier;
const events: (ThreadEvent & { readyThen: boolean })[] = [];
const logged: string[] = [];

beforeAll(async () => {
  const saved = await savedModel();
  local = saved.local;
  running = await serveModel({
    modelDir: saved.modelDir,
    port: 0,
    maxBatchSize: 8,
    logger: {
      error: (...a: unknown[]) => logged.push(a.join(' ')),
      warn: (...a: unknown[]) => logged.push(a.join(' ')),
    },
    onThreadEvent: (e) => events.push({ ...e, readyThen: running.model.ready() }),
  });
});

afterAll(async () => {
  await running?.close();
});

const predict = (images: number[][]) =>
  send(`${running.url}/api/v1.0/predictions`, JSON.stringify({ data: { ndarray: images.map(nested) } }));

describe('the model thread killed mid-batch', () => {
  it('fails the requests it held with 500, reports not ready, restarts the thread and answers again', async () => {
    const images = Array.from({ length: 200 }, (_, k) => pixels(k));
    const inFlight = predict(images);
    // Kill it once it holds a model call of this request.
    await expect.poll(() => running.model.pending, { interval: 1, timeout: 10_000 }).toBeGreaterThan(0);
    const killed = running.model.thread;
    await killed.terminate();

    const failed = await inFlight;
    expect(failed.status).toBe(500);
    expect(failed.json.status).toMatchObject({ status: 1, reason: 'MICROSERVICE_INTERNAL_ERROR' });

    await running.model.whenReady();
    expect(running.model.thread).not.toBe(killed);
    expect(running.model.restarts).toBe(1);
    expect(events.map((e) => [e.type, e.readyThen])).toEqual([
      ['died', false],
      ['restarted', true],
    ]);
    expect(logged.join('\n')).toMatch(
      /inference thread exited .*restarting it[\s\S]*inference thread is back/,
    );

    expect((await fetch(`${running.url}/ready`)).status).toBe(200);
    const again = await predict(images.slice(0, 20));
    expect(again.status).toBe(200);
    const expected = local.predict(Uint8Array.from(images.slice(0, 20).flat()), 'uint8');
    expect(again.json.data.ndarray.map(argmax)).toEqual(
      Array.from({ length: 20 }, (_, r) => argmax(expected.subarray(r * 10, r * 10 + 10))),
    );
  });

  it('answers 503 while the thread is being restarted, not 500', async () => {
    await running.model.thread.terminate();
    const during = await predict([pixels(1)]);
    expect(during.status).toBe(503);
    expect(during.json.status.reason).toBe('MICROSERVICE_UNAVAILABLE');
    expect((await fetch(`${running.url}/ready`)).status).toBe(503);
    expect((await fetch(`${running.url}/health/status`)).status).toBe(503);
    await running.model.whenReady();
    expect((await predict([pixels(1)])).status).toBe(200);
  });
});
