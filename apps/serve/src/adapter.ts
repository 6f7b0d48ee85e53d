import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelMetadata } from '@fmnist/model';
import { type SeldonModel, SeldonWrapperError } from '@fmnist/seldon-wrapper';
import type { InferenceReply } from './inference-worker.js';

export interface ModelInfo {
  name: string;
  version: string;
  /** Shown on /metadata: where the model came from. */
  source: Record<string, unknown>;
}

/** What happened to the model thread: told to `onEvent` and written to the log. */
export type ThreadEvent =
  | { type: 'died'; reason: string; failedCalls: number }
  | { type: 'restarted'; restarts: number; seconds: number }
  | { type: 'restart-failed'; reason: string; retryInMs: number };

export interface ThreadedModelOptions {
  /** Told of every death and restart of the model thread (the logger gets them too). */
  onEvent?(event: ThreadEvent): void;
  logger?: Pick<Console, 'error' | 'warn'>;
}

/** A Seldon model whose predictions run in a worker thread that is restarted when it dies. */
export interface ThreadedModel extends SeldonModel {
  readonly backend: string;
  readonly modelMetadata: ModelMetadata;
  /** The thread running the model now (a new one after each restart). */
  readonly thread: Worker;
  /** Model calls sent to the thread and not yet answered. */
  readonly pending: number;
  /** Times the thread was restarted after dying. */
  readonly restarts: number;
  ready(): boolean;
  /** Resolves once the thread can take predictions (at once unless it is being restarted). */
  whenReady(): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  resolve(output: Float32Array): void;
  reject(error: Error): void;
}

const RESTART_BACKOFF_MS = [0, 250, 1000, 5000, 30_000];

function workerScript(): URL {
  const beside = new URL('./inference-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../dist/inference-worker.js', import.meta.url);
}

/** Starts a model thread and resolves once it has loaded and warmed up the model. */
function startThread(
  modelDir: string,
  pending: Map<number, Pending>,
  onDeath: (worker: Worker, reason: string) => void,
): Promise<{ worker: Worker; metadata: ModelMetadata; backend: string }> {
  const worker = new Worker(workerScript(), { workerData: { modelDir } });
  return new Promise((resolve, reject) => {
    let started = false;
    worker.on('message', (m: InferenceReply) => {
      if ('ready' in m) {
        started = true;
        resolve({ worker, metadata: m.metadata as ModelMetadata, backend: m.backend });
        return;
      }
      if (m.id === -1 && 'error' in m) {
        reject(Object.assign(new Error(m.error), { code: 'MODEL_LOAD_FAILED' }));
        void worker.terminate();
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.output);
    });
    let dead = false;
    const die = (reason: string) => {
      if (dead) return;
      dead = true;
      if (!started) reject(new Error(`the inference thread ${reason} while loading the model`));
      else onDeath(worker, reason);
    };
    worker.on('error', (e) => die(`failed: ${e.message}`));
    worker.on('exit', (code) => die(`exited (code ${code})`));
  });
}

/**
 * Loads a saved model into a worker thread and wraps it as a Seldon model: 28×28 images of raw pixel
 * values (0..255, as in the IDX files and the Seldon example request) in, ten class probabilities out.
 * When the thread dies, the calls it held fail (HTTP 500), readiness turns false (HTTP 503) and a new
 * thread loads the model again; calls made meanwhile get MODEL_UNAVAILABLE (HTTP 503).
 */
export async function loadThreadedModel(
  modelDir: string,
  info: ModelInfo,
  options: ThreadedModelOptions = {},
): Promise<ThreadedModel> {
  const logger = options.logger ?? console;
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let closed = false;
  let restarts = 0;
  let restarting: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const tell = (event: ThreadEvent) => {
    const line =
      event.type === 'died'
        ? `model ${info.name}: the inference thread ${event.reason}; ${event.failedCalls} model calls failed, restarting it`
        : event.type === 'restarted'
          ? `model ${info.name}: the inference thread is back (restart ${event.restarts}, ${event.seconds.toFixed(2)} s)`
          : `model ${info.name}: restarting the inference thread failed (${event.reason}); retrying in ${event.retryInMs} ms`;
    if (event.type === 'restarted') logger.warn(line);
    else logger.error(line);
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's failure must not stop the restart.
    }
  };

  const onDeath = (dead: Worker, reason: string) => {
    if (closed || dead !== current.worker) return;
    const failed = [...pending.values()];
    pending.clear();
    const error = new Error(`the inference thread ${reason} during this model call`);
    restarting = restart();
    tell({ type: 'died', reason, failedCalls: failed.length });
    for (const p of failed) p.reject(error);
  };

  const restart = (): Promise<void> =>
    new Promise<void>((done) => {
      const started = performance.now();
      const attempt = (n: number) => {
        if (closed) return done();
        startThread(modelDir, pending, onDeath).then(
          (next) => {
            if (closed) {
              void next.worker.terminate();
              return done();
            }
            current = next;
            restarts++;
            restarting = undefined;
            tell({ type: 'restarted', restarts, seconds: (performance.now() - started) / 1000 });
            done();
          },
          (error: Error) => {
            const retryInMs = RESTART_BACKOFF_MS[Math.min(n + 1, RESTART_BACKOFF_MS.length - 1)]!;
            tell({ type: 'restart-failed', reason: error.message, retryInMs });
            retryTimer = setTimeout(() => attempt(n + 1), retryInMs);
            retryTimer.unref();
          },
        );
      };
      attempt(0);
    });

  let current = await startThread(modelDir, pending, onDeath);
  const meta = current.metadata;
  const backend = current.backend;
  return {
    backend,
    modelMetadata: meta,
    get thread() {
      return current.worker;
    },
    get pending() {
      return pending.size;
    },
    get restarts() {
      return restarts;
    },
    inputShape: [28, 28],
    inputRange: [0, 255],
    classNames: meta.classNames,
    predict(input, shape) {
      if (closed) throw new SeldonWrapperError('MODEL_UNAVAILABLE', 'the model is closed');
      if (restarting) {
        throw new SeldonWrapperError(
          'MODEL_UNAVAILABLE',
          'the model thread is restarting after a failure; retry shortly',
        );
      }
      // The buffer is moved to the thread, not copied; a view into a larger buffer is copied first so
      // nothing else loses its memory.
      const own =
        input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : input.slice();
      const id = nextId++;
      return new Promise<Float32Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        current.worker.postMessage({ id, input: own, rows: shape[0] }, [own.buffer as ArrayBuffer]);
      });
    },
    metadata: () => ({
      platform: `tensorflow.js-${backend}`,
      versions: [info.version],
      custom: {
        ...Object.fromEntries(Object.entries(info.source).map(([k, v]) => [k, String(v)])),
        hyperparameters: JSON.stringify(meta.hyperparameters),
        metrics: JSON.stringify(meta.metrics),
      },
    }),
    healthStatus: () => {
      if (restarting) throw new Error('the inference thread is restarting');
      return { model: info.name, version: info.version, backend };
    },
    ready: () => !closed && !restarting,
    whenReady: () => restarting ?? Promise.resolve(),
    close: async () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const error = new SeldonWrapperError('MODEL_UNAVAILABLE', 'the model was closed');
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      await current.worker.terminate();
    },
  };
}
