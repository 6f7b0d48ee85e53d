import { describe, expect, it } from 'vitest';
import {
  createSearcher,
  type ExperimentConfig,
  gridPoints,
  parseExperimentConfig,
  planSearch,
  type SearchOp,
  sampleHparams,
} from '../src/index.js';
import { fakeAccuracy } from './fixtures/objective.js';

const cfg = (yaml: string): ExperimentConfig => parseExperimentConfig(yaml).config;

const asha = (searcher: string, seed = 1) =>
  cfg(`
hyperparameters:
  lr: {type: log, minval: -4, maxval: -1, base: 10}
  hidden: {type: categorical, vals: [32, 64, 128]}
reproducibility: {experiment_seed: ${seed}}
searcher: {name: adaptive_asha, metric: validation_accuracy, smaller_is_better: false, ${searcher}}
`);

describe('ASHA stopping (Determined 0.38, master/pkg/searcher/asha_stopping.go)', () => {
  // One bracket, rungs at 1 and 2 batches, divisor 2.
  const config = cfg(`
searcher: {name: adaptive_asha, metric: loss, max_trials: 4, time_metric: batches, max_time: 2, divisor: 2, mode: aggressive, max_rungs: 2}
`);

  it('lets a trial go on while it is in the top 1/divisor of its rung when it arrives, and stops the rest at once', () => {
    const s = createSearcher(config);
    const initial = s.initialOperations();
    expect(initial.filter((o) => o.type === 'train')).toEqual(
      [0, 1, 2, 3].map((r) => ({ type: 'train', requestId: r, length: 1 })),
    );
    // The first arrival is the best so far: it goes on to the next rung.
    expect(s.validationCompleted(0, 0.5)).toEqual([{ type: 'train', requestId: 0, length: 2 }]);
    expect(s.validationCompleted(1, 0.3)).toEqual([{ type: 'train', requestId: 1, length: 2 }]);
    // Third of three, only the top 1 goes on: stopped; all 4 trials exist, so none replaces it.
    expect(s.validationCompleted(2, 0.9)).toEqual([{ type: 'close', requestId: 2 }]);
    expect(s.validationCompleted(3, 0.1)).toEqual([{ type: 'train', requestId: 3, length: 2 }]);
    // Nothing is promoted later and nothing waits: trial 0 keeps training although it is now 3rd of 4.
    expect(s.validationCompleted(1, 0.2)).toEqual([{ type: 'close', requestId: 1 }]); // top rung: done
    expect(s.validationCompleted(0, 0.4)).toEqual([{ type: 'close', requestId: 0 }]);
    expect(s.validationCompleted(3, 0.05)).toEqual([{ type: 'close', requestId: 3 }]);
    expect(s.progress()).toBe(1);
  });

  it('replaces each stopped trial until max_trials have started', () => {
    const c = cfg(`
searcher: {name: adaptive_asha, metric: loss, max_trials: 3, max_concurrent_trials: 1, time_metric: batches, max_time: 2, divisor: 2, mode: aggressive, max_rungs: 2}
`);
    const s = createSearcher(c);
    expect(s.initialOperations().map((o) => o.type)).toEqual(['create', 'train']);
    s.validationCompleted(0, 0.5);
    expect(s.validationCompleted(0, 0.4).map((o) => [o.type, o.requestId])).toEqual([
      ['close', 0],
      ['create', 1],
      ['train', 1],
    ]);
    expect(s.validationCompleted(1, 0.9).map((o) => [o.type, o.requestId])).toEqual([
      ['close', 1],
      ['create', 2],
      ['train', 2],
    ]);
  });

  it('judges a validation at every rung its time step has passed', () => {
    const s = createSearcher(config);
    s.initialOperations();
    expect(s.validationCompleted(0, 0.5, 2)).toEqual([{ type: 'close', requestId: 0 }]);
  });

  it('flips the order when bigger is better', () => {
    const s = createSearcher(
      asha('max_trials: 2, time_metric: epochs, max_time: 2, divisor: 2, mode: aggressive'),
    );
    s.initialOperations();
    s.validationCompleted(0, 80);
    expect(s.validationCompleted(1, 90)).toEqual([{ type: 'train', requestId: 1, length: 2 }]);
  });

  it('counts a trial that failed for good as the worst result in its rung and starts another', () => {
    const c = cfg(`
searcher: {name: adaptive_asha, metric: loss, max_trials: 3, max_concurrent_trials: 1, time_metric: batches, max_time: 2, divisor: 2, mode: aggressive, max_rungs: 2}
`);
    const s = createSearcher(c);
    expect(s.initialOperations().map((o) => o.type)).toEqual(['create', 'train']);
    const ops = s.trialExitedEarly(0);
    expect(ops.map((o) => o.type)).toEqual(['create', 'train']);
    expect(s.validationCompleted(1, 0.4)).toEqual([{ type: 'train', requestId: 1, length: 2 }]);
  });

  it('continues identically from a snapshot (what resuming an experiment relies on)', () => {
    const c = asha(
      'max_trials: 8, time_metric: epochs, max_time: 4, divisor: 2, mode: standard, max_rungs: 3',
    );
    const a = createSearcher(c);
    const queue: SearchOp[] = a.initialOperations();
    for (const op of queue.splice(0, 6))
      if (op.type === 'train') a.validationCompleted(op.requestId, fakeAccuracy({}, op.requestId));
    const b = createSearcher(c, JSON.parse(JSON.stringify(a.snapshot())));
    const fromB = b.validationCompleted(3, 50);
    const fromA = a.validationCompleted(3, 50);
    expect(fromB).toEqual(fromA);
    expect(JSON.parse(JSON.stringify(b.snapshot()))).toEqual(JSON.parse(JSON.stringify(a.snapshot())));
  });

  it('refuses to resume a search planned by the earlier promotion-based ASHA, saying what to do', () => {
    expect(() => createSearcher(config, { kind: 'asha', brackets: [] })).toThrow(
      /create the experiment again/,
    );
  });
});

describe('planSearch (dry run)', () => {
  it("lays out Determined's standard-mode brackets and rungs (more cases in asha.test.ts)", () => {
    const plan = planSearch(asha('max_trials: 16, time_metric: epochs, max_time: 16'));
    // max_rungs = min(5, int(log4 16)+1, int(log4 16)+1) = 3; standard mode: brackets of 3 and 2 rungs.
    expect(plan.brackets?.map((b) => [b.numRungs, b.maxTrials, b.rungs.map((r) => r.length)])).toEqual([
      [3, 12, [1, 4, 16]],
      [2, 4, [4, 16]],
    ]);
    expect(plan.trials).toHaveLength(16);
    expect(plan.unit).toBe('epochs');
    expect(plan.maxTotalLength).toBeLessThan(16 * 16);
  });

  it('plans the same search from the legacy max_length form', () => {
    const a = planSearch(asha('max_trials: 16, time_metric: epochs, max_time: 16'));
    const b = planSearch(asha('max_trials: 16, max_length: {epochs: 16}'));
    expect(b).toEqual(a);
  });

  it('samples reproducibly from the seed, within bounds', () => {
    const c = asha('max_trials: 50, time_metric: epochs, max_time: 4', 42);
    const hps = Array.from({ length: 50 }, (_, i) => sampleHparams(c, i));
    expect(hps).toEqual(Array.from({ length: 50 }, (_, i) => sampleHparams(c, i)));
    expect(sampleHparams(asha('max_trials: 1, time_metric: epochs, max_time: 4', 43), 0)).not.toEqual(hps[0]);
    for (const h of hps) {
      expect(h.lr).toBeGreaterThanOrEqual(1e-4);
      expect(h.lr).toBeLessThanOrEqual(1e-1);
      expect([32, 64, 128]).toContain(h.hidden);
    }
  });

  it('plans the same hyperparameters for a seed as it always has', () => {
    // Pinned from the planner before it moved onto @fmnist/fs-kit's PRNG: a search started again with
    // experiment_seed 42 must train exactly these trials, whichever release plans it.
    const c = cfg(`
hyperparameters:
  lr: {type: log, minval: -4, maxval: -1, base: 10}
  hidden: {type: categorical, vals: [32, 64, 128]}
  layers: {type: int, minval: 1, maxval: 4}
  dropout: {type: double, minval: 0, maxval: 0.5}
  optimizer: {kind: {type: categorical, vals: [adam, sgd]}}
reproducibility: {experiment_seed: 42}
searcher: {name: random, metric: validation_accuracy, smaller_is_better: false, max_trials: 4, max_length: {epochs: 2}}
`);
    expect(planSearch(c).trials.map((t) => t.hparams)).toEqual([
      {
        lr: 0.02934724271725686,
        hidden: 32,
        layers: 3,
        dropout: 0.2308850660920143,
        optimizer: { kind: 'sgd' },
      },
      {
        lr: 0.07802302894345406,
        hidden: 64,
        layers: 3,
        dropout: 0.36595656734425575,
        optimizer: { kind: 'sgd' },
      },
      {
        lr: 0.0003884636871126165,
        hidden: 64,
        layers: 1,
        dropout: 0.34512595052365214,
        optimizer: { kind: 'adam' },
      },
      {
        lr: 0.026618876648353898,
        hidden: 128,
        layers: 4,
        dropout: 0.4264340832596645,
        optimizer: { kind: 'sgd' },
      },
    ]);
  });

  it("enumerates grid points with Determined's count rules", () => {
    const c = cfg(`
hyperparameters:
  n: {type: int, minval: 1, maxval: 3, count: 10}
  d: {type: double, minval: 0, maxval: 1, count: 3}
  nest: {c: {type: categorical, vals: [a, b]}}
  k: 7
searcher: {name: grid, metric: l, max_length: {epochs: 1}}
`);
    const points = gridPoints(c);
    expect(points).toHaveLength(3 * 3 * 2);
    expect(points[0]).toEqual({ n: 1, d: 0, nest: { c: 'a' }, k: 7 });
    expect(points.at(-1)).toEqual({ n: 3, d: 1, nest: { c: 'b' }, k: 7 });
    expect(c.searcher.maxTrials).toBe(18);
  });
});

/** Runs a search to the end, one operation at a time, training with the fake objective. */
function simulate(config: ExperimentConfig) {
  const s = createSearcher(config);
  const hparams = new Map<number, Record<string, unknown>>();
  const trained = new Map<number, number>();
  const queue = s.initialOperations();
  let epochs = 0;
  while (queue.length) {
    const op = queue.shift()!;
    if (op.type === 'create') hparams.set(op.requestId, op.hparams);
    if (op.type !== 'train') continue;
    const length = op.length ?? 0;
    epochs += length - (trained.get(op.requestId) ?? 0);
    trained.set(op.requestId, length);
    queue.push(...s.validationCompleted(op.requestId, fakeAccuracy(hparams.get(op.requestId)!, length)));
  }
  const full = config.searcher.maxLength!.length;
  const finals = [...trained].filter(([, l]) => l === full).map(([r]) => fakeAccuracy(hparams.get(r)!, full));
  return { epochs, trials: hparams.size, best: Math.max(...finals) };
}

describe('ASHA against random search on the same trials', () => {
  const common = (seed: number) => `
hyperparameters:
  lr: {type: log, minval: -4, maxval: -1, base: 10}
  hidden: {type: categorical, vals: [32, 64, 128]}
reproducibility: {experiment_seed: ${seed}}
`;
  const compare = (seed: number, ashaExtra: string) => {
    const random = simulate(
      cfg(
        `${common(seed)}searcher: {name: random, metric: acc, smaller_is_better: false, max_trials: 32, max_length: {epochs: 16}}`,
      ),
    );
    const adaptive = simulate(
      cfg(
        `${common(seed)}searcher: {name: adaptive_asha, metric: acc, smaller_is_better: false, max_trials: 32, time_metric: epochs, max_time: 16${ashaExtra}}`,
      ),
    );
    expect(adaptive.trials).toBe(random.trials);
    return {
      seed,
      random,
      adaptive,
      ratio: adaptive.epochs / random.epochs,
      gap: random.best - adaptive.best,
    };
  };
  const show = (rs: ReturnType<typeof compare>[]) =>
    rs
      .map(
        (r) =>
          `seed ${r.seed}: ASHA ${r.adaptive.epochs} epochs vs random ${r.random.epochs} (${(100 * r.ratio).toFixed(1)}%), best ${r.adaptive.best.toFixed(2)} vs ${r.random.best.toFixed(2)}`,
      )
      .join('\n');

  // 0.38 stops a trial only when it arrives outside the top 1/divisor, so an early fast starter can
  // run to the end and a slow good one be stopped: about 30% of random's epochs for a best a few
  // points lower on this objective (the promotion-based ASHA before it stayed within 0.5 points).
  it('with every trial started at once: at most a third of the epochs, best within 5 points', () => {
    const results = [1, 2, 3].map((seed) => compare(seed, ', max_concurrent_trials: 0'));
    console.log(`max_concurrent_trials 0\n${show(results)}`);
    for (const r of results) {
      expect(r.ratio).toBeLessThanOrEqual(1 / 3);
      expect(r.gap).toBeLessThanOrEqual(5);
    }
  });

  it("with Determined's default of 16 concurrent trials: at most a third of the epochs", () => {
    const results = [1, 2, 3].map((seed) => compare(seed, ''));
    console.log(`max_concurrent_trials 16 (default)\n${show(results)}`);
    for (const r of results) expect(r.ratio).toBeLessThanOrEqual(1 / 3);
  });
});
