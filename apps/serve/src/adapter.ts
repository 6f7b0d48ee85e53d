import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelMetadata } from '@fmnist/model';
import type { SeldonModel } from '@fmnist/seldon-wrapper';
import type { InferenceReply } from './inference-worker.js';

export interface ModelInfo {
  name: string;
  version: string;
  /** Shown on /metadata: where the model came from. */
  source: Record<string, unknown>;
}

/** A Seldon model whose predictions run in a worker thread. */
export interface ThreadedModel extends SeldonModel {
  readonly backend: string;
  readonly modelMetadata: ModelMetadata;
  close(): Promise<void>;
}

function workerScript(): URL {
  const beside = new URL('./inference-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../dist/inference-worker.js', import.meta.url);
}

/**
 * Loads a saved model into a worker thread and wraps it as a Seldon model: 28×28 images of raw pixel
 * values (0..255, as in the IDX files and the Seldon example request) in, ten class probabilities out.
 */
export async function loadThreadedModel(modelDir: string, info: ModelInfo): Promise<ThreadedModel> {
  const worker = new Worker(workerScript(), { workerData: { modelDir } });
  const pending = new Map<number, { resolve: (o: Float32Array) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  const ready = await new Promise<{ metadata: ModelMetadata; backend: string }>((resolve, reject) => {
    worker.on('message', (m: InferenceReply) => {
      if ('ready' in m) return resolve({ metadata: m.metadata as ModelMetadata, backend: m.backend });
      if (m.id === -1 && 'error' in m)
        return reject(Object.assign(new Error(m.error), { code: 'MODEL_LOAD_FAILED' }));
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.output);
    });
    const die = (e: Error) => {
      failure = e;
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`the inference thread exited (code ${code})`)));
  });
  const meta = ready.metadata;
  return {
    backend: ready.backend,
    modelMetadata: meta,
    inputShape: [28, 28],
    inputRange: [0, 255],
    classNames: meta.classNames,
    predict(input, shape) {
      if (failure) throw failure;
      const id = nextId++;
      return new Promise<Float32Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, input, rows: shape[0] }, [input.buffer as ArrayBuffer]);
      });
    },
    metadata: () => ({
      platform: `tensorflow.js-${ready.backend}`,
      versions: [info.version],
      custom: {
        ...Object.fromEntries(Object.entries(info.source).map(([k, v]) => [k, String(v)])),
        hyperparameters: JSON.stringify(meta.hyperparameters),
        metrics: JSON.stringify(meta.metrics),
      },
    }),
    healthStatus: () => {
      if (failure) throw failure;
      return { model: info.name, version: info.version, backend: ready.backend };
    },
    close: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
