import { SeldonWrapperError } from './errors.js';
import { withTimeout } from './timeout.js';
import type { Batcher, BatcherOptions, BatchingOptions, BatchResult, ModelOutput } from './types.js';

export const BATCHING_DEFAULTS = {
  maxBatchSize: 32,
  maxWaitMs: 2,
  timeoutMs: 30_000,
  maxQueuedRows: 4096,
  concurrency: 1,
} as const satisfies Required<BatchingOptions>;

interface Job {
  /** The caller's rows; dropped once every row is handed to a model call. */
  input: Float32Array | undefined;
  rows: number;
  /** Rows handed to a model call so far. */
  taken: number;
  /** Rows answered so far. */
  done: number;
  out: Float32Array | undefined;
  width: number;
  arrived: number;
  failed: boolean;
  resolve(result: BatchResult): void;
  reject(error: Error): void;
  /** Stops listening to the caller's abort signal. */
  unlisten(): void;
}

interface Part {
  job: Job;
  from: number;
  count: number;
}

/**
 * Gathers rows from concurrent callers into model calls of at most `maxBatchSize` rows and hands each
 * caller back exactly its own output rows. The model is entered by at most `concurrency` calls at once,
 * which is what keeps single-threaded models (TensorFlow sessions, tfjs) safe under concurrent load.
 */
export function createBatcher(options: BatcherOptions & BatchingOptions): Batcher {
  const { run, rowSize, onBatch } = options;
  const cfg = { ...BATCHING_DEFAULTS, ...definedOnly(options) };
  checkBatching(cfg);
  if (!Number.isInteger(rowSize) || rowSize < 1) {
    throw new SeldonWrapperError('BAD_OPTIONS', `rowSize must be a positive integer, got ${String(rowSize)}`);
  }

  let queue: Job[] = [];
  let queuedRows = 0;
  let running = 0;
  let draining = false;
  let timer: NodeJS.Timeout | undefined;
  const idleWaiters: (() => void)[] = [];

  function schedule(): void {
    while (running < cfg.concurrency && queue.length > 0) {
      const waited = performance.now() - queue[0]!.arrived;
      if (draining || queuedRows >= cfg.maxBatchSize || waited >= cfg.maxWaitMs) {
        dispatch();
        continue;
      }
      if (!timer) {
        timer = setTimeout(
          () => {
            timer = undefined;
            schedule();
          },
          Math.max(0, cfg.maxWaitMs - waited),
        );
      }
      return;
    }
  }

  /** Takes up to `maxBatchSize` rows off the queue, in arrival order, and runs them as one model call. */
  function dispatch(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const parts: Part[] = [];
    let total = 0;
    while (queue.length > 0 && total < cfg.maxBatchSize) {
      const job = queue[0]!;
      const count = Math.min(job.rows - job.taken, cfg.maxBatchSize - total);
      parts.push({ job, from: job.taken, count });
      job.taken += count;
      total += count;
      if (job.taken === job.rows) queue.shift();
    }
    queuedRows -= total;
    running++;
    const started = performance.now();
    let input: Float32Array;
    try {
      input = batchInput(parts, total);
    } catch (error) {
      // Nothing thrown here may escape: dispatch runs from timers and promise callbacks.
      finish(parts, total, started, error);
      return;
    }
    withTimeout(() => run(input, total), cfg.timeoutMs).then(
      (output) => {
        try {
          const { values, width } = flattenOutput(output, total);
          let row = 0;
          for (const p of parts) {
            deliver(p, values.subarray(row * width, (row + p.count) * width), width);
            row += p.count;
          }
          finish(parts, total, started, undefined);
        } catch (error) {
          finish(parts, total, started, error);
        }
      },
      (error: unknown) => finish(parts, total, started, error),
    );
  }

  /**
   * The rows of one model call in a buffer of their own. The model may take ownership of it (a worker
   * thread's postMessage transfer detaches it), so it never shares memory with rows still to be cut:
   * only a caller's whole, unshared input is handed over as is.
   */
  function batchInput(parts: Part[], total: number): Float32Array {
    const only = parts[0]!;
    const source = only.job.input!;
    if (parts.length === 1 && only.from === 0 && only.count === only.job.rows && ownsBuffer(source)) {
      only.job.input = undefined;
      return source;
    }
    const input = new Float32Array(total * rowSize);
    let at = 0;
    for (const p of parts) {
      input.set(p.job.input!.subarray(p.from * rowSize, (p.from + p.count) * rowSize), at);
      at += p.count * rowSize;
      if (p.job.taken === p.job.rows) p.job.input = undefined;
    }
    return input;
  }

  /** Ends one model call: fails its callers on `error`, frees its slot and runs what waits. */
  function finish(parts: Part[], total: number, started: number, error: unknown): void {
    if (error !== undefined) {
      const err =
        error instanceof SeldonWrapperError
          ? error
          : Object.assign(new SeldonWrapperError('MODEL_FAILED', 'the model failed on this batch'), {
              cause: error,
            });
      for (const p of parts) fail(p.job, err);
    }
    running--;
    try {
      onBatch?.({
        rows: total,
        requests: parts.length,
        seconds: (performance.now() - started) / 1000,
        ok: error === undefined,
      });
    } catch {
      // Metrics must never fail a batch that was answered.
    }
    schedule();
    if (running === 0 && queue.length === 0) for (const w of idleWaiters.splice(0)) w();
  }

  function deliver(p: Part, values: Float32Array, width: number): void {
    const job = p.job;
    if (job.failed) return;
    if (!job.out) {
      job.out = new Float32Array(job.rows * width);
      job.width = width;
    } else if (job.width !== width) {
      fail(
        job,
        new SeldonWrapperError(
          'BAD_MODEL_OUTPUT',
          `the model's output width changed from ${job.width} to ${width}`,
        ),
      );
      return;
    }
    job.out.set(values, p.from * width);
    job.done += p.count;
    if (job.done === job.rows) {
      job.unlisten();
      job.resolve({ values: job.out, rows: job.rows, width });
    }
  }

  /** Fails a caller once; rows of it still queued leave the queue (a split request fails whole). */
  function fail(job: Job, error: Error): void {
    if (job.failed || job.done === job.rows) return;
    job.failed = true;
    job.unlisten();
    if (job.taken < job.rows) {
      queue = queue.filter((j) => j !== job);
      queuedRows -= job.rows - job.taken;
      job.taken = job.rows;
    }
    job.input = undefined;
    job.out = undefined;
    job.reject(error);
  }

  return {
    submit(input, rows, signal) {
      if (draining) {
        return Promise.reject(new SeldonWrapperError('DRAINING', 'the server is shutting down'));
      }
      if (!Number.isInteger(rows) || rows < 1 || input.length !== rows * rowSize) {
        return Promise.reject(
          new RangeError(`expected ${rows} rows of ${rowSize} numbers, got ${input.length} numbers`),
        );
      }
      if (rows > cfg.maxQueuedRows) {
        return Promise.reject(
          new SeldonWrapperError(
            'TOO_MANY_ROWS',
            `the request holds ${rows} rows; this server takes at most ${cfg.maxQueuedRows} per request: split it`,
          ),
        );
      }
      if (queuedRows + rows > cfg.maxQueuedRows) {
        return Promise.reject(
          new SeldonWrapperError('OVERLOADED', `${queuedRows} rows are already waiting; try again shortly`),
        );
      }
      if (signal?.aborted) return Promise.reject(cancelled());
      return new Promise<BatchResult>((resolve, reject) => {
        const job: Job = {
          input,
          rows,
          taken: 0,
          done: 0,
          out: undefined,
          width: 0,
          arrived: performance.now(),
          failed: false,
          resolve,
          reject,
          unlisten: () => signal?.removeEventListener('abort', onAbort),
        };
        // A caller who went away frees its queued rows; rows already in a model call finish unread.
        const onAbort = () => fail(job, cancelled());
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(job);
        queuedRows += rows;
        schedule();
      });
    },
    drain() {
      draining = true;
      schedule();
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    get queuedRows() {
      return queuedRows;
    },
    get running() {
      return running;
    },
  };
}

const cancelled = () => new SeldonWrapperError('CANCELLED', 'the caller went away before its answer');

/** True when `a` spans the whole of its buffer, so handing the buffer away takes nothing else with it. */
const ownsBuffer = (a: Float32Array) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;

/** Turns what a model returned for `rows` rows into flat Float32 rows, or says what is wrong with it. */
export function flattenOutput(output: ModelOutput, rows: number): { values: Float32Array; width: number } {
  const bad = (why: string) => new SeldonWrapperError('BAD_MODEL_OUTPUT', `the model's output ${why}`);
  if (output === null || typeof output !== 'object' || typeof output.length !== 'number') {
    throw bad(`is ${output === null ? 'null' : typeof output}, not an array`);
  }
  let values: Float32Array;
  let width: number;
  if (output.length > 0 && typeof output[0] === 'object' && output[0] !== null) {
    const list = output as ArrayLike<ArrayLike<number>>;
    if (list.length !== rows) throw bad(`has ${list.length} rows for ${rows} input rows`);
    width = list[0]!.length;
    values = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) {
      const row = list[r];
      if (!row || typeof row !== 'object' || row.length !== width) {
        throw bad(`row ${r} does not have ${width} values like row 0`);
      }
      for (let c = 0; c < width; c++) values[r * width + c] = row[c] as number;
    }
  } else {
    const flat = output as ArrayLike<number>;
    if (flat.length % rows !== 0 || flat.length === 0) {
      throw bad(`holds ${flat.length} values, not a whole number of rows for ${rows} input rows`);
    }
    width = flat.length / rows;
    values = flat instanceof Float32Array ? flat : Float32Array.from(flat);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw bad(`holds a non-finite value at index ${i}`);
  }
  return { values, width };
}

export function checkBatching(cfg: Required<BatchingOptions>): void {
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new SeldonWrapperError('BAD_OPTIONS', what);
  };
  need(
    Number.isInteger(cfg.maxBatchSize) && cfg.maxBatchSize >= 1 && cfg.maxBatchSize <= 65_536,
    `maxBatchSize must be an integer from 1 to 65536, got ${String(cfg.maxBatchSize)}`,
  );
  need(
    Number.isFinite(cfg.maxWaitMs) && cfg.maxWaitMs >= 0 && cfg.maxWaitMs <= 60_000,
    `maxWaitMs must be a number of milliseconds from 0 to 60000, got ${String(cfg.maxWaitMs)}`,
  );
  need(
    Number.isFinite(cfg.timeoutMs) && cfg.timeoutMs > 0 && cfg.timeoutMs <= 2_147_483_647,
    `timeoutMs must be a positive number of milliseconds, got ${String(cfg.timeoutMs)}`,
  );
  need(
    Number.isInteger(cfg.maxQueuedRows) && cfg.maxQueuedRows >= 1,
    `maxQueuedRows must be a positive integer, got ${String(cfg.maxQueuedRows)}`,
  );
  need(
    Number.isInteger(cfg.concurrency) && cfg.concurrency >= 1 && cfg.concurrency <= 1024,
    `concurrency must be an integer from 1 to 1024, got ${String(cfg.concurrency)}`,
  );
}

/** Keeps only the keys whose value is not undefined, so defaults survive `{ maxWaitMs: undefined }`. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
