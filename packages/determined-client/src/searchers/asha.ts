/**
 * Adaptive ASHA as Determined 0.38 runs it: a tournament of brackets, each an asynchronous successive
 * halving search that *stops* trials (it never promotes one). Every trial is meant to train to the full
 * length; at each rung a validation decides whether it goes on. The numbers follow
 * `master/pkg/searcher/adaptive_asha.go` (brackets) and `asha_stopping.go` (rungs, stopping), v0.38.1;
 * `simulate.go` gives the plan `det preview-search` prints.
 *
 * On the embedded master a trial is asked to train up to the next rung it has not reached, so that
 * it validates where a rung decides; a trial that reports a longer time step is judged at every rung
 * it has passed, as Determined does.
 */
import { DeterminedError } from '../errors.js';
import type { BracketPlan, ExperimentConfig, SearchPlanSummary } from '../types.js';
import { sampleHparams } from './random.js';
import { type Searcher, type SearchOp, searchLength } from './searcher.js';

/** What a trial that exited early counts as in its rung (`ashaExitedMetricValue`, math.MaxFloat64). */
const EXITED = Number.MAX_VALUE;

export interface AshaBracket {
  numRungs: number;
  maxTrials: number;
  maxConcurrentTrials: number;
}

interface RungMetric {
  requestId: number;
  metric: number;
}

interface Rung {
  unitsNeeded: number;
  metrics: RungMetric[];
}

interface BracketState extends AshaBracket {
  rungs: Rung[];
  /** requestId → the rung the trial is working towards */
  trialRungs: Record<string, number>;
  earlyExitTrials: Record<string, boolean>;
  trialsCompleted: number;
}

interface AshaState {
  kind: 'asha-stopping';
  nextRequestId: number;
  /** requestId → bracket index (the tournament's trial table) */
  trialBracket: Record<string, number>;
  /** requestId → the length of its last `train` op */
  trialTarget: Record<string, number>;
  stopped: Record<string, boolean>;
  brackets: BracketState[];
}

/** Go's `int(x)` for the positive values here. */
const int = Math.trunc;

/** `getBracketMaxTrials`: roughly equal total budget per bracket; the remainder goes to the first. */
export function bracketMaxTrials(maxTrials: number, divisor: number, brackets: number[]): number[] {
  const weights = brackets.map((numRungs) => divisor ** (numRungs - 1) / numRungs);
  const total = weights.reduce((a, b) => a + b, 0);
  const trials = weights.map((w) => Math.max(int((w / total) * maxTrials), 1));
  const allocated = trials.reduce((a, b) => a + b, 0);
  trials[0]! += Math.max(maxTrials - allocated, 0);
  return trials;
}

/**
 * `getBracketMaxConcurrentTrials`: `max_concurrent_trials` split evenly (at least one per bracket),
 * the remainder to the most aggressive brackets first; when 0, every bracket gets the larger of the
 * last bracket's trials and the divisor.
 */
export function bracketMaxConcurrentTrials(
  maxConcurrentTrials: number,
  divisor: number,
  maxTrials: number[],
): number[] {
  const n = maxTrials.length;
  if (maxConcurrentTrials === 0) return maxTrials.map(() => Math.max(maxTrials[n - 1]!, int(divisor)));
  const total = Math.max(maxConcurrentTrials, n);
  return maxTrials.map((_, i) => int(total / n) + (i < total % n ? 1 : 0));
}

/** The modes of `adaptive_asha.go`: bracket sizes in rungs for a search of at most `maxRungs`. */
function modeBrackets(mode: ExperimentConfig['searcher']['mode'], maxRungs: number): number[] {
  const from = mode === 'aggressive' ? maxRungs : mode === 'standard' ? int((maxRungs - 1) / 2) + 1 : 1;
  const out: number[] = [];
  for (let i = from; i <= maxRungs; i++) out.push(i);
  return out;
}

/** `makeBrackets`: the brackets of an adaptive ASHA search, most aggressive first. */
export function ashaBrackets(config: ExperimentConfig): AshaBracket[] {
  const s = config.searcher;
  const maxTime = searchLength(config)?.length ?? 1;
  let rungs = [...s.bracketRungs];
  if (!rungs.length) {
    // The top rung must hold at least one trial (Go truncates the logarithms, with no rounding).
    const logd = (x: number) => int(Math.log(x) / Math.log(s.divisor)) + 1;
    rungs = modeBrackets(s.mode, Math.min(s.maxRungs, logd(maxTime), logd(s.maxTrials)));
  }
  rungs.sort((a, b) => b - a);
  const trials = bracketMaxTrials(s.maxTrials, s.divisor, rungs);
  const concurrent = bracketMaxConcurrentTrials(s.maxConcurrentTrials, s.divisor, trials);
  return rungs.map((numRungs, i) => ({
    numRungs,
    maxTrials: trials[i]!,
    maxConcurrentTrials: concurrent[i]!,
  }));
}

/** `makeRungs`: rung i of n needs maxTime / divisor^(n-i-1) units (at least 1). */
export function rungLengths(numRungs: number, divisor: number, maxTime: number): number[] {
  return Array.from({ length: numRungs }, (_, i) =>
    Math.max(int(maxTime / divisor ** (numRungs - i - 1)), 1),
  );
}

function newAshaState(config: ExperimentConfig): AshaState {
  const maxTime = searchLength(config)?.length ?? 1;
  return {
    kind: 'asha-stopping',
    nextRequestId: 0,
    trialBracket: {},
    trialTarget: {},
    stopped: {},
    brackets: ashaBrackets(config).map((b) => ({
      ...b,
      rungs: rungLengths(b.numRungs, config.searcher.divisor, maxTime).map((unitsNeeded) => ({
        unitsNeeded,
        metrics: [],
      })),
      trialRungs: {},
      earlyExitTrials: {},
      trialsCompleted: 0,
    })),
  };
}

/** `rung.insertMetric`: keeps the rung sorted (best first), a tie going before its equals. */
function insertMetric(rung: Rung, requestId: number, metric: number): number {
  let i = rung.metrics.findIndex((m) => m.metric >= metric);
  if (i < 0) i = rung.metrics.length;
  rung.metrics.splice(i, 0, { requestId, metric });
  return i;
}

class AshaStoppingSearch implements Searcher {
  private readonly sign: number;
  private readonly divisor: number;
  constructor(
    private readonly config: ExperimentConfig,
    private readonly state: AshaState,
  ) {
    this.sign = config.searcher.smallerIsBetter ? 1 : -1;
    this.divisor = config.searcher.divisor;
  }

  private train(requestId: number, length: number): SearchOp {
    this.state.trialTarget[requestId] = length;
    return { type: 'train', requestId, length };
  }

  private create(b: number): SearchOp[] {
    const bracket = this.state.brackets[b]!;
    const requestId = this.state.nextRequestId++;
    this.state.trialBracket[requestId] = b;
    bracket.trialRungs[requestId] = 0;
    return [
      { type: 'create', requestId, hparams: sampleHparams(this.config, requestId), bracket: b },
      this.train(requestId, bracket.rungs[0]!.unitsNeeded),
    ];
  }

  /** `allTrials < MaxTrials()`: the bracket may start another. */
  private canCreate(bracket: BracketState): boolean {
    return Object.keys(bracket.trialRungs).length < bracket.maxTrials;
  }

  initialOperations(): SearchOp[] {
    const ops: SearchOp[] = [];
    this.state.brackets.forEach((bracket, b) => {
      const n =
        bracket.maxConcurrentTrials > 0
          ? Math.min(bracket.maxConcurrentTrials, bracket.maxTrials)
          : Math.min(Math.max(1, int(this.divisor ** (bracket.numRungs - 1))), bracket.maxTrials);
      for (let i = 0; i < n; i++) ops.push(...this.create(b));
    });
    return ops;
  }

  /** `doEarlyStopping`: true when the trial should stop (it is out of the top 1/divisor, or done). */
  private shouldStop(bracket: BracketState, requestId: number, timeStep: number, metric: number): boolean {
    for (let r = bracket.trialRungs[requestId] ?? 0; r < bracket.numRungs; r++) {
      const rung = bracket.rungs[r]!;
      bracket.trialRungs[requestId] = r;
      if (timeStep < rung.unitsNeeded) return false;
      const insertIndex = insertMetric(rung, requestId, metric);
      if (r === bracket.numRungs - 1) return true;
      const numContinue = Math.max(int(rung.metrics.length / this.divisor), 1);
      if (insertIndex >= numContinue) return true;
    }
    return false;
  }

  validationCompleted(requestId: number, metric: number, stepsCompleted?: number): SearchOp[] {
    const b = this.state.trialBracket[requestId];
    if (b === undefined || this.state.stopped[requestId]) return [];
    const bracket = this.state.brackets[b]!;
    const timeStep = int(stepsCompleted ?? this.state.trialTarget[requestId] ?? 0);
    const m = Number.isFinite(metric) ? metric * this.sign : EXITED;
    if (!this.shouldStop(bracket, requestId, timeStep, m)) {
      const next = bracket.rungs[bracket.trialRungs[requestId]!]!.unitsNeeded;
      return next > (this.state.trialTarget[requestId] ?? 0) ? [this.train(requestId, next)] : [];
    }
    this.state.stopped[requestId] = true;
    bracket.trialsCompleted++;
    const ops: SearchOp[] = [{ type: 'close', requestId }];
    if (this.canCreate(bracket)) ops.push(...this.create(b));
    return ops;
  }

  trialExitedEarly(requestId: number): SearchOp[] {
    const b = this.state.trialBracket[requestId];
    if (b === undefined || this.state.stopped[requestId]) return [];
    const bracket = this.state.brackets[b]!;
    this.state.stopped[requestId] = true;
    bracket.earlyExitTrials[requestId] = true;
    bracket.trialsCompleted++;
    insertMetric(bracket.rungs[bracket.trialRungs[requestId] ?? 0]!, requestId, EXITED);
    return this.canCreate(bracket) ? this.create(b) : [];
  }

  /** The tournament's mean of each bracket's `progress` (20% headroom until every trial has started). */
  progress(): number {
    const each = this.state.brackets.map((b) => {
      const started = b.rungs[0]!.metrics.length;
      const p = started / (1.2 * b.maxTrials);
      return started === b.maxTrials ? Math.max(b.trialsCompleted / b.maxTrials, p) : p;
    });
    return each.length ? Math.min(1, each.reduce((a, b) => a + b, 0) / each.length) : 1;
  }

  snapshot(): unknown {
    return this.state;
  }
}

export function createAshaSearch(config: ExperimentConfig, snapshot?: unknown): Searcher {
  const kind = (snapshot as { kind?: unknown } | undefined)?.kind;
  if (snapshot !== undefined && kind !== 'asha-stopping') {
    throw new DeterminedError(
      'UNSUPPORTED',
      'this experiment was planned by an earlier, promotion-based ASHA and cannot be resumed',
      'create the experiment again from its config.',
    );
  }
  return new AshaStoppingSearch(config, (snapshot as AshaState | undefined) ?? newAshaState(config));
}

/**
 * The plan of `simulate.go`: each bracket with its rungs and how many trials reach each one, and
 * how many trials train to each length, as `det preview-search` prints it.
 */
export function planAsha(config: ExperimentConfig): {
  brackets: BracketPlan[];
  summary: SearchPlanSummary[];
  maxTotalLength: number;
} {
  const divisor = config.searcher.divisor;
  const maxTime = searchLength(config)?.length ?? 1;
  const perLength = new Map<number, number>();
  let maxTotalLength = 0;
  const brackets = ashaBrackets(config).map((b): BracketPlan => {
    const lengths = rungLengths(b.numRungs, divisor, maxTime);
    let reaching = b.maxTrials;
    let previous = 0;
    const rungs = lengths.map((length, i) => {
      const rung = { length, maxTrials: reaching };
      const continued = Math.max(int(reaching / divisor), 1);
      const stopped = i === lengths.length - 1 ? reaching : reaching - continued;
      // Go adds to a map entry even when nobody stops here, so a 0 row can appear in its preview.
      perLength.set(length, (perLength.get(length) ?? 0) + stopped);
      maxTotalLength += reaching * (length - previous);
      previous = length;
      reaching = continued;
      return rung;
    });
    return { ...b, rungs };
  });
  const summary = [...perLength].sort(([a], [b]) => a - b).map(([length, count]) => ({ count, length }));
  return { brackets, summary, maxTotalLength };
}
