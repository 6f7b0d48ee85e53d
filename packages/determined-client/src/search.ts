import { flattenHyperparameters, gridAxis } from './config.js';
import { createRng, trialSeed } from './internal/random.js';
import type { BracketPlan, ExperimentConfig, Hyperparameter, PlannedTrial, SearchPlan } from './types.js';

/**
 * What a searcher asks of the master: start a trial, train one until a cumulative `length`
 * (null: the trial decides), or close one (it trains no more).
 */
export type SearchOp =
  | { type: 'create'; requestId: number; hparams: Record<string, unknown>; bracket?: number }
  | { type: 'train'; requestId: number; length: number | null }
  | { type: 'close'; requestId: number };

/** A search as a state machine over trial events; its state is plain JSON so a master can persist it. */
export interface Searcher {
  initialOperations(): SearchOp[];
  /** The trial finished its last `train` op with this searcher metric. */
  validationCompleted(requestId: number, metric: number): SearchOp[];
  /** The trial failed for good (out of restarts). */
  trialExitedEarly(requestId: number): SearchOp[];
  /** 0..1 */
  progress(): number;
  snapshot(): unknown;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
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
  const rng = createRng(trialSeed(config.seed, requestId));
  const out: Record<string, unknown> = {};
  for (const { path, hp } of flattenHyperparameters(config.hyperparameters))
    setPath(out, path, sampleOne(hp, rng));
  return out;
}

/** Every point of the grid, in a fixed order (the last hyperparameter varies fastest). */
export function gridPoints(config: ExperimentConfig): Record<string, unknown>[] {
  const leaves = flattenHyperparameters(config.hyperparameters);
  const axes = leaves.map(({ path, hp }) => gridAxis(hp, `hyperparameters.${path.join('.')}`));
  let points: unknown[][] = [[]];
  for (const axis of axes) points = points.flatMap((p) => axis.map((v) => [...p, v]));
  return points.map((values) => {
    const out: Record<string, unknown> = {};
    leaves.forEach(({ path }, i) => {
      setPath(out, path, values[i]);
    });
    return out;
  });
}

// ---- single / random / grid: every trial trains the full length -------------------------------------

interface FullLengthState {
  kind: 'full';
  created: number;
  closed: number;
  maxTrials: number;
}

class FullLengthSearch implements Searcher {
  constructor(
    private readonly config: ExperimentConfig,
    private readonly state: FullLengthState,
    private readonly hparamsFor: (requestId: number) => Record<string, unknown>,
  ) {}

  private create(): SearchOp[] {
    const requestId = this.state.created++;
    return [
      { type: 'create', requestId, hparams: this.hparamsFor(requestId) },
      { type: 'train', requestId, length: this.config.searcher.maxLength?.length ?? null },
    ];
  }

  initialOperations(): SearchOp[] {
    const cap = this.config.searcher.maxConcurrentTrials || this.state.maxTrials;
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

// ---- adaptive ASHA: brackets of asynchronous successive halving -----------------------------------

/** The worst metric (smaller is better), JSON-safe unlike Infinity so snapshots keep it. */
const WORST = Number.MAX_VALUE;

interface RungMetric {
  requestId: number;
  metric: number;
  promoted: boolean;
}

interface Rung {
  unitsNeeded: number;
  outstanding: number;
  metrics: RungMetric[];
}

interface Bracket {
  numRungs: number;
  maxTrials: number;
  maxConcurrentTrials: number;
  rungs: Rung[];
  /** requestId → rung index */
  trialRungs: Record<string, number>;
  earlyExit: Record<string, boolean>;
  closed: Record<string, boolean>;
}

interface AshaState {
  kind: 'asha';
  nextRequestId: number;
  /** requestId → bracket index */
  trialBracket: Record<string, number>;
  brackets: Bracket[];
}

/** Bracket sizes in rungs, as Determined's adaptive modes define them. */
export function ashaBracketRungs(config: ExperimentConfig): number[] {
  const s = config.searcher;
  if (s.bracketRungs.length) return [...s.bracketRungs].sort((a, b) => b - a);
  const maxLength = s.maxLength?.length ?? 1;
  const logd = (x: number) => Math.floor(Math.log(x) / Math.log(s.divisor) + 1e-9) + 1;
  const maxRungs = Math.max(1, Math.min(s.maxRungs, logd(maxLength), logd(s.maxTrials)));
  const brackets: number[] = [];
  const n = s.mode === 'aggressive' ? 1 : s.mode === 'standard' ? Math.floor((maxRungs + 1) / 2) : maxRungs;
  for (let i = 0; i < n; i++) brackets.push(maxRungs - i);
  return brackets;
}

function bracketMaxTrials(maxTrials: number, divisor: number, numRungs: number[]): number[] {
  const weights = numRungs.map((r) => divisor ** (r - 1) / r);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let allocated = 0;
  for (let i = 0; i < numRungs.length - 1; i++) {
    const n = Math.floor((weights[i]! / total) * maxTrials);
    out.push(n);
    allocated += n;
  }
  out.push(maxTrials - allocated);
  return out;
}

function bracketMaxConcurrent(maxConcurrent: number, maxTrials: number[]): number[] {
  if (maxConcurrent === 0) return maxTrials.map((n) => Math.max(n, 1));
  const n = maxTrials.length;
  const total = Math.max(maxConcurrent, n);
  let remainder = total % n;
  return maxTrials.map(() => Math.floor(total / n) + (remainder-- > 0 ? 1 : 0));
}

function newAshaState(config: ExperimentConfig): AshaState {
  const s = config.searcher;
  const maxLength = s.maxLength?.length ?? 1;
  const rungsPerBracket = ashaBracketRungs(config);
  const trials = bracketMaxTrials(s.maxTrials, s.divisor, rungsPerBracket);
  const concurrent = bracketMaxConcurrent(s.maxConcurrentTrials, trials);
  return {
    kind: 'asha',
    nextRequestId: 0,
    trialBracket: {},
    brackets: rungsPerBracket.map((numRungs, i) => ({
      numRungs,
      maxTrials: trials[i]!,
      maxConcurrentTrials: concurrent[i]!,
      rungs: Array.from({ length: numRungs }, (_, id) => ({
        unitsNeeded: Math.max(Math.floor(maxLength / s.divisor ** (numRungs - id - 1)), 1),
        outstanding: 0,
        metrics: [],
      })),
      trialRungs: {},
      earlyExit: {},
      closed: {},
    })),
  };
}

/**
 * Records `metric` (smaller is better) in the rung and returns the trials to promote: a result
 * in the top 1/divisor is promoted at once; otherwise, when the rung has grown enough that one more
 * trial deserves promotion, the best of the top 1/divisor not yet promoted is.
 */
function promotionsAsync(rung: Rung, requestId: number, metric: number, divisor: number): number[] {
  const oldNumPromote = Math.floor(rung.metrics.length / divisor);
  const numPromote = Math.floor((rung.metrics.length + 1) / divisor);
  let insertIndex = rung.metrics.findIndex((m) => m.metric > metric);
  if (insertIndex < 0) insertIndex = rung.metrics.length;
  rung.metrics.splice(insertIndex, 0, { requestId, metric, promoted: false });
  if (insertIndex < numPromote) {
    rung.metrics[insertIndex]!.promoted = true;
    return [requestId];
  }
  if (numPromote !== oldNumPromote) {
    for (const m of rung.metrics.slice(0, numPromote)) {
      if (!m.promoted) {
        m.promoted = true;
        return [m.requestId];
      }
    }
  }
  return [];
}

class AshaSearch implements Searcher {
  private readonly sign: number;
  constructor(
    private readonly config: ExperimentConfig,
    private readonly state: AshaState,
  ) {
    this.sign = config.searcher.smallerIsBetter ? 1 : -1;
  }

  private createIn(b: number): SearchOp[] {
    const bracket = this.state.brackets[b]!;
    const requestId = this.state.nextRequestId++;
    this.state.trialBracket[requestId] = b;
    bracket.trialRungs[requestId] = 0;
    bracket.rungs[0]!.outstanding++;
    return [
      { type: 'create', requestId, hparams: sampleHparams(this.config, requestId), bracket: b },
      { type: 'train', requestId, length: bracket.rungs[0]!.unitsNeeded },
    ];
  }

  initialOperations(): SearchOp[] {
    const ops: SearchOp[] = [];
    this.state.brackets.forEach((bracket, b) => {
      for (let i = 0; i < Math.min(bracket.maxConcurrentTrials, bracket.maxTrials); i++)
        ops.push(...this.createIn(b));
    });
    return ops;
  }

  private promote(b: number, requestId: number, metric: number): SearchOp[] {
    const bracket = this.state.brackets[b]!;
    const rungIndex = bracket.trialRungs[requestId]!;
    const rung = bracket.rungs[rungIndex]!;
    rung.outstanding--;
    const ops: SearchOp[] = [];
    let addedTraining = false;
    if (rungIndex === bracket.numRungs - 1) {
      rung.metrics.push({ requestId, metric, promoted: false });
      if (!bracket.earlyExit[requestId] && !bracket.closed[requestId]) {
        ops.push({ type: 'close', requestId });
        bracket.closed[requestId] = true;
      }
    } else {
      const next = bracket.rungs[rungIndex + 1]!;
      for (const id of promotionsAsync(rung, requestId, metric, this.config.searcher.divisor)) {
        bracket.trialRungs[id] = rungIndex + 1;
        next.outstanding++;
        if (!bracket.earlyExit[id]) {
          ops.push({ type: 'train', requestId: id, length: next.unitsNeeded });
          addedTraining = true;
        } else {
          // A failed trial that earns promotion counts as having run and reported the worst result.
          return [...ops, ...this.promote(b, id, WORST)];
        }
      }
    }
    const started = Object.keys(bracket.trialRungs).length;
    if (!addedTraining && started < bracket.maxTrials) ops.push(...this.createIn(b));
    if (Object.keys(bracket.trialRungs).length === bracket.maxTrials)
      ops.push(...this.closeOutRungs(bracket));
    return ops;
  }

  /** Closes unpromoted trials of every rung that has nothing outstanding (lowest rungs first). */
  private closeOutRungs(bracket: Bracket): SearchOp[] {
    const ops: SearchOp[] = [];
    for (const rung of bracket.rungs) {
      if (rung.outstanding > 0) break;
      for (const m of rung.metrics) {
        if (!m.promoted && !bracket.closed[m.requestId]) {
          bracket.closed[m.requestId] = true;
          if (!bracket.earlyExit[m.requestId]) ops.push({ type: 'close', requestId: m.requestId });
        }
      }
    }
    return ops;
  }

  validationCompleted(requestId: number, metric: number): SearchOp[] {
    const b = this.state.trialBracket[requestId];
    if (b === undefined) return [];
    const m = Number.isFinite(metric) ? metric * this.sign : WORST;
    return this.promote(b, requestId, m);
  }

  trialExitedEarly(requestId: number): SearchOp[] {
    const b = this.state.trialBracket[requestId];
    if (b === undefined) return [];
    const bracket = this.state.brackets[b]!;
    bracket.earlyExit[requestId] = true;
    bracket.closed[requestId] = true;
    return this.promote(b, requestId, WORST);
  }

  progress(): number {
    const total = this.state.brackets.reduce((a, b) => a + b.maxTrials, 0);
    const closed = this.state.brackets.reduce((a, b) => a + Object.keys(b.closed).length, 0);
    return total ? Math.min(1, closed / total) : 1;
  }

  snapshot(): unknown {
    return this.state;
  }
}

/** The searcher a config asks for, fresh or from a `snapshot()`. */
export function createSearcher(config: ExperimentConfig, snapshot?: unknown): Searcher {
  const s = config.searcher;
  if (s.name === 'adaptive_asha') {
    const state = (snapshot as AshaState | undefined) ?? newAshaState(config);
    return new AshaSearch(config, state);
  }
  const state = (snapshot as FullLengthState | undefined) ?? {
    kind: 'full',
    created: 0,
    closed: 0,
    maxTrials: s.maxTrials,
  };
  if (s.name === 'grid') {
    const points = gridPoints(config);
    return new FullLengthSearch(config, state, (i) => points[i]!);
  }
  return new FullLengthSearch(config, state, (i) => sampleHparams(config, i));
}

/** A dry run: the trials the search would start (and for ASHA, its brackets and rungs). */
export function planSearch(config: ExperimentConfig): SearchPlan {
  const s = config.searcher;
  const unit = s.maxLength?.unit ?? null;
  const maxLength = s.maxLength?.length ?? null;
  if (s.name !== 'adaptive_asha') {
    const points = s.name === 'grid' ? gridPoints(config) : null;
    const trials: PlannedTrial[] = Array.from({ length: s.maxTrials }, (_, requestId) => ({
      requestId,
      hparams: points ? points[requestId]! : sampleHparams(config, requestId),
    }));
    return {
      searcher: s.name,
      unit,
      trials,
      maxTotalLength: maxLength === null ? null : maxLength * s.maxTrials,
    };
  }
  const state = newAshaState(config);
  const brackets: BracketPlan[] = state.brackets.map((b) => ({
    numRungs: b.numRungs,
    maxTrials: b.maxTrials,
    maxConcurrentTrials: b.maxConcurrentTrials,
    rungs: b.rungs.reduce<{ length: number; maxTrials: number }[]>((acc, r, i) => {
      const reaching = i === 0 ? b.maxTrials : Math.floor(acc[i - 1]!.maxTrials / s.divisor);
      acc.push({ length: r.unitsNeeded, maxTrials: reaching });
      return acc;
    }, []),
  }));
  // Request ids interleave across brackets as trials finish, so the plan lists hparams by request id only.
  const trials: PlannedTrial[] = Array.from({ length: s.maxTrials }, (_, requestId) => ({
    requestId,
    hparams: sampleHparams(config, requestId),
  }));
  // Every trial trains rung 0; the promoted ones train on to each further rung.
  let maxTotalLength = 0;
  for (const b of brackets) {
    let prev = 0;
    for (const r of b.rungs) {
      maxTotalLength += r.maxTrials * (r.length - prev);
      prev = r.length;
    }
  }
  return { searcher: s.name, unit, trials, brackets, maxTotalLength };
}
