import { createRandom, deriveSeed } from '@fmnist/fs-kit';
import { flattenHyperparameters } from '../config/index.js';
import type { ExperimentConfig, Hyperparameter } from '../types.js';
import { type Searcher, type SearchOp, searchLength } from './searcher.js';

export function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  let o = target;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = value;
}

function sampleOne(hp: Hyperparameter, rng: () => number): unknown {
  switch (hp.type) {
    case 'const':
      return hp.val;
    case 'categorical':
      return hp.vals[Math.floor(rng() * hp.vals.length)];
    case 'int':
      return hp.minval + Math.floor(rng() * (hp.maxval - hp.minval + 1));
    case 'double':
      return hp.minval + rng() * (hp.maxval - hp.minval);
    case 'log':
      return hp.base ** (hp.minval + rng() * (hp.maxval - hp.minval));
    case 'nested':
      throw new Error('nested hyperparameters are flattened before sampling');
  }
}

/**
 * The hyperparameters of trial `requestId` of a random (or ASHA) search: depends only on the seed and
 * the index, so a search started again with the same seed samples the same trials.
 */
export function sampleHparams(config: ExperimentConfig, requestId: number): Record<string, unknown> {
  const rng = createRandom(deriveSeed(config.seed, requestId));
  const out: Record<string, unknown> = {};
  for (const { path, hp } of flattenHyperparameters(config.hyperparameters))
    setPath(out, path, sampleOne(hp, rng));
  return out;
}

export interface FullLengthState {
  kind: 'full';
  created: number;
  closed: number;
  maxTrials: number;
}

/**
 * Random search as 0.38 runs it (`master/pkg/searcher/random.go`): `max_concurrent_trials` trials
 * at first (all of them when 0), each trained to the full length; every trial that exits, however it
 * ended, is replaced until `max_trials` have been created. Grid and single search are the same loop
 * over other hyperparameters.
 */
export class FullLengthSearch implements Searcher {
  constructor(
    private readonly config: ExperimentConfig,
    private readonly state: FullLengthState,
    private readonly hparamsFor: (requestId: number) => Record<string, unknown>,
    private readonly maxConcurrentTrials = config.searcher.maxConcurrentTrials,
  ) {}

  private create(): SearchOp[] {
    const requestId = this.state.created++;
    return [
      { type: 'create', requestId, hparams: this.hparamsFor(requestId) },
      { type: 'train', requestId, length: searchLength(this.config)?.length ?? null },
    ];
  }

  initialOperations(): SearchOp[] {
    const cap = this.maxConcurrentTrials > 0 ? this.maxConcurrentTrials : this.state.maxTrials;
    const ops: SearchOp[] = [];
    while (this.state.created < Math.min(cap, this.state.maxTrials)) ops.push(...this.create());
    return ops;
  }

  private finish(requestId: number): SearchOp[] {
    this.state.closed++;
    const ops: SearchOp[] = [{ type: 'close', requestId }];
    if (this.state.created < this.state.maxTrials) ops.push(...this.create());
    return ops;
  }

  validationCompleted(requestId: number): SearchOp[] {
    return this.finish(requestId);
  }

  trialExitedEarly(requestId: number): SearchOp[] {
    return this.finish(requestId);
  }

  progress(): number {
    return this.state.maxTrials ? this.state.closed / this.state.maxTrials : 1;
  }

  snapshot(): unknown {
    return this.state;
  }
}

export function newFullLengthState(maxTrials: number): FullLengthState {
  return { kind: 'full', created: 0, closed: 0, maxTrials };
}

export function createRandomSearch(config: ExperimentConfig, snapshot?: unknown): Searcher {
  const state = (snapshot as FullLengthState | undefined) ?? newFullLengthState(config.searcher.maxTrials);
  return new FullLengthSearch(config, state, (i) => sampleHparams(config, i));
}
