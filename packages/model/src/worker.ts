// A data-parallel training replica, run in a worker thread by ./parallel.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { buildModel } from './architecture.js';
import { initBackend } from './backend.js';
import { FlatAdam } from './flat-adam.js';
import type { WorkerCommand, WorkerInit, WorkerMessage } from './parallel.js';
import { Replica } from './replica.js';
import { StepRunner } from './steps.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

try {
  await initBackend({ prefer: init.backend });
  const replica = new Replica(buildModel(init.hyperparameters, init.seed));
  const { learning_rate, ema_decay, weight_decay } = init.hyperparameters;
  const adam = new FlatAdam(replica.size, learning_rate, ema_decay, weight_decay);
  const slots = new Float32Array(init.grads); // [workers][size]
  const stats = new Float64Array(init.stats); // [workers][lossSum, hits]
  const sync = new Int32Array(init.sync); // [arrivals, generation]
  const { rank, workers } = init;
  const combined = new Float32Array(replica.size);

  const barrier = () => {
    const gen = Atomics.load(sync, 1);
    if (Atomics.add(sync, 0, 1) === workers - 1) {
      Atomics.store(sync, 0, 0);
      Atomics.add(sync, 1, 1);
      Atomics.notify(sync, 1);
    } else {
      while (Atomics.load(sync, 1) === gen) Atomics.wait(sync, 1, gen);
    }
  };

  const runner = new StepRunner(
    replica,
    adam,
    { images: new Float32Array(init.images), labels: new Uint8Array(init.labels), count: init.count },
    init.hyperparameters,
    init.seed,
    [rank],
    (grads, mine) => {
      slots.set(grads, rank * replica.size);
      stats[rank * 2] = mine.lossSum;
      stats[rank * 2 + 1] = mine.hits;
      barrier();
      // Every replica adds the slots in rank order, so all hold the same sum.
      combined.fill(0);
      let lossSum = 0;
      let hits = 0;
      for (let r = 0; r < workers; r++) {
        const slot = slots.subarray(r * replica.size, (r + 1) * replica.size);
        for (let j = 0; j < combined.length; j++) combined[j] = combined[j]! + slot[j]!;
        lossSum += stats[r * 2]!;
        hits += stats[r * 2 + 1]!;
      }
      barrier(); // slots are rewritten only after everyone has read them
      grads.set(combined);
      return { lossSum, hits };
    },
  );

  port.on('message', (cmd: WorkerCommand) => {
    try {
      replica.weights.set(cmd.weights);
      replica.writeWeights();
      adam.restore(cmd.adam);
      let lossSum = 0;
      let hits = 0;
      let seen = 0;
      for (let b = cmd.from; b < cmd.to; b++) {
        const r = runner.step(b, cmd.runBatches);
        lossSum += r.lossSum;
        hits += r.hits;
        seen += r.n;
        if (
          rank === 0 &&
          cmd.progressEvery > 0 &&
          (b + 1 - cmd.from) % cmd.progressEvery === 0 &&
          b + 1 < cmd.to
        ) {
          post({ kind: 'progress', batches: b + 1, lossSum, hits, seen });
        }
      }
      if (rank === 0)
        post({
          kind: 'done',
          batches: cmd.to,
          lossSum,
          hits,
          seen,
          weights: replica.weights,
          adam: adam.state(),
        });
      else post({ kind: 'idle' });
    } catch (e) {
      post({ kind: 'error', message: (e as Error).stack ?? String(e) });
    }
  });
  post({ kind: 'ready' });
} catch (e) {
  post({ kind: 'error', message: (e as Error).stack ?? String(e) });
}
