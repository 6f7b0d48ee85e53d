import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendName } from './backend.js';
import { ModelError } from './errors.js';
import type { AdamState } from './flat-adam.js';
import type { Hyperparameters } from './hyperparameters.js';
import type { TrainingData } from './steps.js';

export interface WorkerInit {
  rank: number;
  workers: number;
  backend: BackendName;
  hyperparameters: Hyperparameters;
  seed: number;
  batchSize: number;
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  count: number;
  grads: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  sync: SharedArrayBuffer;
}

export interface WorkerCommand {
  from: number;
  to: number;
  /** The run's whole length, which the learning-rate schedule spans. */
  runBatches: number;
  weights: Float32Array;
  adam: AdamState;
  progressEvery: number;
}

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'idle' }
  | { kind: 'error'; message: string }
  | { kind: 'progress'; batches: number; lossSum: number; hits: number; seen: number }
  | {
      kind: 'done';
      batches: number;
      lossSum: number;
      hits: number;
      seen: number;
      weights: Float32Array;
      adam: AdamState;
    };

type Done = Extract<WorkerMessage, { kind: 'done' }>;
type Progress = Extract<WorkerMessage, { kind: 'progress' }>;

/** The built worker script; from sources (tests) the package's build output is used. */
function workerScript(): URL {
  const beside = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../dist/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new ModelError('BAD_BACKEND', 'the training worker script is missing; build @fmnist/model first');
}

const shared = new WeakMap<ArrayBufferView, SharedArrayBuffer>();

/** The dataset copied once into shared memory, so every worker reads the same bytes without copies. */
function toShared(view: Float32Array | Uint8Array): SharedArrayBuffer {
  let sab = shared.get(view);
  if (!sab) {
    sab = new SharedArrayBuffer(view.byteLength);
    new Uint8Array(sab).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    shared.set(view, sab);
  }
  return sab;
}

type PoolOptions = Parameters<typeof WorkerPool.start>[0];

/** Worker threads kept between runs of one model on one training set. */
export class KeptWorkers {
  private kept: { pool: WorkerPool; options: PoolOptions } | undefined;

  /** The kept workers if they were started for this training set and count, else new ones. */
  async get(options: PoolOptions): Promise<WorkerPool> {
    const kept = this.kept;
    if (kept && kept.options.data === options.data && kept.options.workers === options.workers) {
      kept.pool.ref();
      return kept.pool;
    }
    await this.close();
    const pool = await WorkerPool.start(options);
    this.kept = { pool, options };
    return pool;
  }

  async close(): Promise<void> {
    const kept = this.kept;
    this.kept = undefined;
    await kept?.pool.close();
  }
}

/** Worker threads that train one model together, each on its shard of every batch. */
export class WorkerPool {
  private constructor(private readonly workers: Worker[]) {}

  static async start(options: {
    workers: number;
    backend: BackendName;
    hyperparameters: Hyperparameters;
    seed: number;
    batchSize: number;
    weightCount: number;
    data: TrainingData;
  }): Promise<WorkerPool> {
    const script = workerScript();
    const n = options.workers;
    const common = {
      workers: n,
      backend: options.backend,
      hyperparameters: options.hyperparameters,
      seed: options.seed,
      batchSize: options.batchSize,
      images: toShared(options.data.images),
      labels: toShared(options.data.labels),
      count: options.data.count,
      grads: new SharedArrayBuffer(n * options.weightCount * 4),
      stats: new SharedArrayBuffer(n * 2 * 8),
      sync: new SharedArrayBuffer(8),
    };
    const workers = Array.from(
      { length: n },
      (_, rank) => new Worker(script, { workerData: { ...common, rank } satisfies WorkerInit }),
    );
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(workers.map((w) => pool.next(w, 'ready')));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Trains batches [from, to) and returns the new weights and optimiser state. */
  async run(cmd: WorkerCommand, onProgress: (p: Progress) => void): Promise<Done> {
    const [lead, ...rest] = this.workers as [Worker, ...Worker[]];
    const onMessage = (m: WorkerMessage) => {
      if (m.kind === 'progress') onProgress(m);
    };
    lead.on('message', onMessage);
    try {
      const done = this.next(lead, 'done') as Promise<Done>;
      const idle = rest.map((w) => this.next(w, 'idle'));
      for (const w of this.workers) w.postMessage(cmd);
      const [result] = await Promise.all([done, ...idle]);
      return result as Done;
    } finally {
      lead.off('message', onMessage);
    }
  }

  private next(w: Worker, kind: WorkerMessage['kind']): Promise<WorkerMessage> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.kind === kind) finish(() => resolve(m));
        else if (m.kind === 'error')
          finish(() => reject(new ModelError('BAD_BACKEND', `training worker failed: ${m.message}`)));
      };
      const onError = (e: Error) =>
        finish(() => reject(new ModelError('BAD_BACKEND', `training worker failed: ${e.message}`)));
      const onExit = (code: number) =>
        finish(() => reject(new ModelError('BAD_BACKEND', `training worker exited with code ${code}`)));
      const finish = (f: () => void) => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        f();
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
    });
  }

  /** Lets the process exit while the workers wait for the next run. */
  unref(): void {
    for (const w of this.workers) w.unref();
  }

  ref(): void {
    for (const w of this.workers) w.ref();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
