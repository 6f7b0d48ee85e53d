import { seededPermutation } from '@fmnist/fs-kit';
import { augmentBatch } from './augment.js';
import type { FlatAdam } from './flat-adam.js';
import type { Hyperparameters } from './hyperparameters.js';
import { gatherBatch, PIXELS, type Replica, SHARDS, type ShardResult, shardRange } from './replica.js';
import { learningRateAt } from './schedule.js';

export interface TrainingData {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Sums this thread's shard gradients and stats with the other workers'; the result replaces `grads`. */
export type Exchange = (grads: Float32Array, stats: ShardResult) => ShardResult;

/**
 * Runs optimiser steps. Batch b of a run always holds the same images (a seeded order per epoch) and
 * its gradient is the ordered sum of its shards' gradients, so one thread and several workers agree
 * bit for bit.
 */
export class StepRunner {
  private order: Uint32Array | undefined;
  private orderEpoch = -1;
  private readonly x: Float32Array;
  private readonly y: Uint8Array;
  private readonly grads: Float32Array;
  private readonly scratch = new Float32Array(PIXELS);
  readonly batchSize: number;
  readonly perEpoch: number;

  constructor(
    readonly replica: Replica,
    readonly adam: FlatAdam,
    readonly data: TrainingData,
    readonly hp: Hyperparameters,
    readonly seed: number,
    /** The shards this thread computes: all of them, or one per worker. */
    readonly shards: number[] = Array.from({ length: SHARDS }, (_, i) => i),
    readonly exchange?: Exchange,
  ) {
    const batchSize = hp.global_batch_size;
    this.batchSize = batchSize;
    this.x = new Float32Array(batchSize * PIXELS);
    this.y = new Uint8Array(batchSize);
    this.grads = new Float32Array(replica.size);
    this.perEpoch = Math.ceil(data.count / batchSize);
  }

  /**
   * Trains batch number `b` of a run of `runBatches` (which the learning-rate schedule spans) and
   * returns its summed loss, hits and size.
   */
  step(b: number, runBatches: number): ShardResult & { n: number } {
    const epoch = Math.floor(b / this.perEpoch);
    if (epoch !== this.orderEpoch) {
      this.order = seededPermutation(this.data.count, this.seed * 7919 + epoch);
      this.orderEpoch = epoch;
    }
    const from = (b % this.perEpoch) * this.batchSize;
    const n = Math.min(this.batchSize, this.data.count - from);
    gatherBatch(this.data.images, this.data.labels, this.order!, from, n, this.x, this.y);
    const { augment_shift: shift, augment_flip: flip } = this.hp;
    augmentBatch(this.x, n, { shift, flip }, this.seed, b, this.scratch);
    this.grads.fill(0);
    let stats: ShardResult = { lossSum: 0, hits: 0 };
    for (const s of this.shards) {
      const [lo, hi] = shardRange(n, s);
      const r = this.replica.accumulateShard(
        this.x.subarray(lo * PIXELS, hi * PIXELS),
        this.y.subarray(lo, hi),
        n,
        b * SHARDS + s,
        this.hp.label_smoothing,
        this.grads,
      );
      stats = { lossSum: stats.lossSum + r.lossSum, hits: stats.hits + r.hits };
    }
    if (this.exchange) stats = this.exchange(this.grads, stats);
    this.adam.apply(this.replica.weights, this.grads, learningRateAt(this.hp, b, this.perEpoch, runBatches));
    this.replica.writeWeights();
    return { ...stats, n };
  }
}
