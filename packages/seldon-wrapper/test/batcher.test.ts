import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBatcher, SeldonWrapperError } from '../src/index.js';

/** A model over rows of 2 numbers whose output row is [a + b, a - b, id] — each row identifiable. */
function recordingModel(delayMs = 5) {
  const calls: number[] = [];
  let active = 0;
  let maxActive = 0;
  return {
    calls,
    maxActive: () => maxActive,
    async run(input: Float32Array, rows: number) {
      calls.push(rows);
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, delayMs));
      active--;
      const out: number[][] = [];
      for (let r = 0; r < rows; r++) {
        const a = input[r * 2] as number;
        const b = input[r * 2 + 1] as number;
        out.push([a + b, a - b, a]);
      }
      return out;
    },
  };
}

const rowsOf = (...pairs: [number, number][]) => Float32Array.from(pairs.flat());

// Model delays and batching waits run on fake timers (and a fake clock), so no real time decides a batch.
beforeEach(() => {
  vi.useFakeTimers({
    toFake: [
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'setImmediate',
      'clearImmediate',
      'performance',
      'Date',
    ],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs every pending timer until nothing is left, then gives what `p` settled to. */
async function settle<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  await vi.runAllTimersAsync();
  return p;
}

describe('createBatcher', () => {
  it('gathers concurrent callers into one model call and gives each exactly its own rows', async () => {
    const model = recordingModel();
    const batcher = createBatcher({ run: model.run, rowSize: 2, maxBatchSize: 64, maxWaitMs: 20 });
    const results = await settle(
      Promise.all(Array.from({ length: 20 }, (_, i) => batcher.submit(rowsOf([i, 1], [i, 2]), 2))),
    );
    expect(model.calls).toEqual([40]);
    results.forEach((res, i) => {
      expect(res.rows).toBe(2);
      expect(res.width).toBe(3);
      expect(Array.from(res.values)).toEqual([i + 1, i - 1, i, i + 2, i - 2, i]);
    });
  });

  it('never exceeds maxBatchSize rows, splitting a large request across calls', async () => {
    const model = recordingModel();
    const batcher = createBatcher({ run: model.run, rowSize: 2, maxBatchSize: 4, maxWaitMs: 0 });
    const big = Array.from({ length: 10 }, (_, i): [number, number] => [i, 0]);
    const [a, b] = await settle(
      Promise.all([batcher.submit(rowsOf(...big), 10), batcher.submit(rowsOf([100, 0]), 1)]),
    );
    expect(Math.max(...model.calls)).toBeLessThanOrEqual(4);
    expect(model.calls.reduce((s, n) => s + n, 0)).toBe(11);
    expect(Array.from({ length: 10 }, (_, r) => a.values[r * 3 + 2])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(b.values)).toEqual([100, 100, 100]);
  });

  it('enters the model once at a time by default, batching what queues meanwhile', async () => {
    const model = recordingModel(10);
    const batcher = createBatcher({ run: model.run, rowSize: 2, maxBatchSize: 8, maxWaitMs: 0 });
    const first = batcher.submit(rowsOf([1, 1]), 1);
    const rest = Array.from({ length: 6 }, (_, i) => batcher.submit(rowsOf([i, i]), 1));
    await settle(Promise.all([first, ...rest]));
    expect(model.maxActive()).toBe(1);
    expect(model.calls).toEqual([1, 6]);
  });

  it('runs up to `concurrency` calls at once when asked', async () => {
    const model = recordingModel(20);
    const batcher = createBatcher({
      run: model.run,
      rowSize: 2,
      maxBatchSize: 1,
      maxWaitMs: 0,
      concurrency: 3,
    });
    await settle(Promise.all(Array.from({ length: 6 }, (_, i) => batcher.submit(rowsOf([i, i]), 1))));
    expect(model.maxActive()).toBe(3);
  });

  it('fails only the callers of a failing call', async () => {
    const batcher = createBatcher({
      rowSize: 2,
      maxBatchSize: 1,
      maxWaitMs: 0,
      run: (input) => {
        if (input[0] === 13) throw new Error('unlucky');
        return [[input[0] as number]];
      },
    });
    const results = await settle(
      Promise.allSettled([12, 13, 14].map((v) => batcher.submit(rowsOf([v, 0]), 1))),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const failure = (results[1] as PromiseRejectedResult).reason;
    expect(failure).toBeInstanceOf(SeldonWrapperError);
    expect(failure.code).toBe('MODEL_FAILED');
    expect(failure.cause.message).toBe('unlucky');
  });

  it('times out a hung call and keeps serving', async () => {
    let hang = true;
    const batcher = createBatcher({
      rowSize: 2,
      timeoutMs: 30,
      maxWaitMs: 0,
      run: (input) => (hang ? new Promise<never>(() => {}) : [[input[0] as number]]),
    });
    await expect(settle(batcher.submit(rowsOf([1, 0]), 1))).rejects.toMatchObject({ code: 'MODEL_TIMEOUT' });
    hang = false;
    expect(Array.from((await settle(batcher.submit(rowsOf([2, 0]), 1))).values)).toEqual([2]);
  });

  it('refuses work past maxQueuedRows instead of queueing without bound', async () => {
    const model = recordingModel(20);
    const batcher = createBatcher({
      run: model.run,
      rowSize: 2,
      maxBatchSize: 1,
      maxWaitMs: 0,
      maxQueuedRows: 2,
    });
    const results = await settle(
      Promise.allSettled(Array.from({ length: 5 }, (_, i) => batcher.submit(rowsOf([i, 0]), 1))),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect((r as PromiseRejectedResult).reason.code).toBe('OVERLOADED');
  });

  it('splits a request across calls to a model that takes ownership of each batch buffer', async () => {
    // A worker thread's postMessage transfer detaches the buffer it is given; so does this.
    const calls: number[] = [];
    const batcher = createBatcher({
      rowSize: 2,
      maxBatchSize: 8,
      maxWaitMs: 0,
      run: (input, rows) => {
        calls.push(rows);
        const owned = structuredClone(input, { transfer: [input.buffer as ArrayBuffer] });
        expect(input.buffer.byteLength).toBe(0);
        return Array.from({ length: rows }, (_, r) => [owned[r * 2] as number]);
      },
    });
    for (const n of [1, 8, 9, 20, 33]) {
      const rows = Array.from({ length: n }, (_, i): [number, number] => [i, 0]);
      const res = await settle(batcher.submit(rowsOf(...rows), n));
      expect(Array.from(res.values)).toEqual(rows.map(([a]) => a));
    }
    expect(Math.max(...calls)).toBe(8);
  });

  it('fails the caller, not the process, when preparing a batch throws inside a timer', async () => {
    const batcher = createBatcher({
      rowSize: 2,
      maxWaitMs: 1,
      run: () => {
        throw new TypeError('Cannot perform Construct on a detached ArrayBuffer');
      },
    });
    const failure = await settle(batcher.submit(rowsOf([1, 1]), 1)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'MODEL_FAILED' });
    expect(batcher.running).toBe(0);
  });

  it('answers the callers even when the batch listener throws', async () => {
    const batcher = createBatcher({
      rowSize: 2,
      maxWaitMs: 0,
      run: (input) => [[input[0] as number]],
      onBatch: () => {
        throw new Error('metrics broke');
      },
    });
    expect(Array.from((await settle(batcher.submit(rowsOf([4, 0]), 1))).values)).toEqual([4]);
  });

  it('drops the queued rows of a caller who went away', async () => {
    let release: () => void = () => {};
    const seen: number[] = [];
    const batcher = createBatcher({
      rowSize: 2,
      maxBatchSize: 4,
      maxWaitMs: 0,
      run: async (input, rows) => {
        for (let r = 0; r < rows; r++) seen.push(input[r * 2] as number);
        await new Promise<void>((r) => {
          release = r;
        });
        return Array.from({ length: rows }, () => [0]);
      },
    });
    const first = batcher.submit(rowsOf([1, 0]), 1);
    const gone = new AbortController();
    const second = batcher.submit(rowsOf([2, 0], [3, 0]), 2, gone.signal);
    expect(batcher.queuedRows).toBe(2);
    gone.abort();
    expect(batcher.queuedRows).toBe(0);
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' });
    release();
    await settle(first);
    await settle(batcher.drain());
    expect(seen).toEqual([1]);
  });

  it('refuses at once a single request larger than maxQueuedRows, with its own code', async () => {
    const batcher = createBatcher({
      rowSize: 2,
      maxQueuedRows: 3,
      run: (_i, rows) => new Array(rows).fill([0]),
    });
    await expect(batcher.submit(new Float32Array(8), 4)).rejects.toMatchObject({ code: 'TOO_MANY_ROWS' });
    expect((await settle(batcher.submit(new Float32Array(6), 3))).rows).toBe(3);
  });

  it('drains: runs what is queued at once, then refuses new work', async () => {
    const model = recordingModel(5);
    const batcher = createBatcher({ run: model.run, rowSize: 2, maxWaitMs: 10_000 });
    const queued = batcher.submit(rowsOf([5, 5]), 1);
    await settle(batcher.drain());
    expect(Array.from((await queued).values)).toEqual([10, 0, 5]);
    expect(batcher.queuedRows).toBe(0);
    expect(batcher.running).toBe(0);
    await expect(batcher.submit(rowsOf([1, 1]), 1)).rejects.toMatchObject({ code: 'DRAINING' });
  });

  it('checks its options when built', () => {
    const run = () => [[0]];
    expect(() => createBatcher({ run, rowSize: 0 })).toThrow(/rowSize/);
    expect(() => createBatcher({ run, rowSize: 2, maxBatchSize: 0 })).toThrow(/maxBatchSize/);
    expect(() => createBatcher({ run, rowSize: 2, maxWaitMs: -1 })).toThrow(/maxWaitMs/);
    expect(() => createBatcher({ run, rowSize: 2, concurrency: 1.5 })).toThrow(/concurrency/);
  });
});
