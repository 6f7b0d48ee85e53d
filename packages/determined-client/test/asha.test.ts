/**
 * The embedded adaptive ASHA against Determined 0.38.1's own. Every expected number below is what
 * `master/pkg/searcher/adaptive_asha.go` (`makeBrackets`, `getBracketMaxTrials`,
 * `getBracketMaxConcurrentTrials`, the modes), `asha_stopping.go` (`makeRungs`, `doEarlyStopping`,
 * `progress`) and `simulate.go` (`Simulate`, what `det preview-search` prints) compute for the same
 * config: derived by reading them, and confirmed by running that package at v0.38.1 on these cases
 * through the driver below (a throwaway Go test in that package, kept outside this repository).
 */
import { describe, expect, it } from 'vitest';
import {
  bracketMaxConcurrentTrials,
  bracketMaxTrials,
  createSearcher,
  type ExperimentConfig,
  parseExperimentConfig,
  planSearch,
  rungLengths,
  type SearchOp,
} from '../src/index.js';

interface AshaCase {
  max_trials: number;
  max_time: number;
  divisor?: number;
  mode?: string;
  max_rungs?: number;
  max_concurrent_trials?: number;
  bracket_rungs?: number[];
}

const config = (c: AshaCase): ExperimentConfig => {
  const fields = Object.entries(c)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
  return parseExperimentConfig(
    `searcher: {name: adaptive_asha, metric: loss, time_metric: batches, ${fields}}`,
  ).config;
};

/** [numRungs, maxTrials, maxConcurrentTrials, rung lengths] per bracket; [count, length] per preview row. */
interface Expected {
  brackets: [number, number, number, number[]][];
  summary: [number, number][];
  /** What the driver below counted when it ran against Determined's searcher. */
  events: { created: number; validated: number; stopped: number; exited: number };
}

// Case names say why each is here; "upstream" ones are adaptive_asha_test.go's TestMakeBrackets.
const CASES: [string, AshaCase, Expected][] = [
  [
    'shipped adaptive.yaml',
    { max_trials: 16, max_time: 4, divisor: 4, mode: 'standard', max_rungs: 3, max_concurrent_trials: 0 },
    {
      brackets: [
        [2, 11, 5, [1, 4]],
        [1, 5, 5, [4]],
      ],
      summary: [
        [9, 1],
        [7, 4],
      ],
      events: { created: 16, validated: 16, stopped: 14, exited: 2 },
    },
  ],
  [
    'defaults 16x16',
    { max_trials: 16, max_time: 16 },
    {
      brackets: [
        [3, 12, 8, [1, 4, 16]],
        [2, 4, 8, [4, 16]],
      ],
      summary: [
        [9, 1],
        [5, 4],
        [2, 16],
      ],
      events: { created: 16, validated: 17, stopped: 14, exited: 2 },
    },
  ],
  [
    'standard 64x64',
    { max_trials: 64, max_time: 64, mode: 'standard' },
    {
      brackets: [
        [4, 45, 6, [1, 4, 16, 64]],
        [3, 14, 5, [4, 16, 64]],
        [2, 5, 5, [16, 64]],
      ],
      summary: [
        [34, 1],
        [20, 4],
        [7, 16],
        [3, 64],
      ],
      events: { created: 64, validated: 77, stopped: 55, exited: 9 },
    },
  ],
  [
    'aggressive 64x64',
    { max_trials: 64, max_time: 64, mode: 'aggressive' },
    {
      brackets: [[4, 64, 16, [1, 4, 16, 64]]],
      summary: [
        [48, 1],
        [12, 4],
        [3, 16],
        [1, 64],
      ],
      events: { created: 64, validated: 74, stopped: 55, exited: 9 },
    },
  ],
  [
    'conservative 64x64',
    { max_trials: 64, max_time: 64, mode: 'conservative' },
    {
      brackets: [
        [4, 43, 4, [1, 4, 16, 64]],
        [3, 14, 4, [4, 16, 64]],
        [2, 5, 4, [16, 64]],
        [1, 2, 4, [64]],
      ],
      summary: [
        [33, 1],
        [19, 4],
        [7, 16],
        [5, 64],
      ],
      events: { created: 64, validated: 78, stopped: 55, exited: 9 },
    },
  ],
  [
    'upstream test 1',
    { max_trials: 10, max_time: 100, mode: 'standard', max_concurrent_trials: 2 },
    {
      brackets: [
        [2, 7, 1, [25, 100]],
        [1, 3, 1, [100]],
      ],
      summary: [
        [6, 25],
        [4, 100],
      ],
      events: { created: 10, validated: 10, stopped: 9, exited: 1 },
    },
  ],
  [
    'upstream test 2',
    { max_trials: 10, max_time: 1000, divisor: 3, mode: 'conservative', max_concurrent_trials: 5 },
    {
      brackets: [
        [3, 7, 2, [111, 333, 1000]],
        [2, 2, 2, [333, 1000]],
        [1, 1, 1, [1000]],
      ],
      summary: [
        [5, 111],
        [2, 333],
        [3, 1000],
      ],
      events: { created: 10, validated: 12, stopped: 9, exited: 1 },
    },
  ],
  [
    'log edge 1000/10',
    { max_trials: 1000, max_time: 1000, divisor: 10, mode: 'conservative', max_concurrent_trials: 0 },
    {
      brackets: [
        [3, 848, 25, [10, 100, 1000]],
        [2, 127, 25, [100, 1000]],
        [1, 25, 25, [1000]],
      ],
      summary: [
        [764, 10],
        [191, 100],
        [45, 1000],
      ],
      events: { created: 1000, validated: 1011, stopped: 857, exited: 143 },
    },
  ],
  [
    'divisor 3 243',
    {
      max_trials: 81,
      max_time: 243,
      divisor: 3,
      mode: 'conservative',
      max_rungs: 6,
      max_concurrent_trials: 7,
    },
    {
      brackets: [
        [5, 48, 2, [3, 9, 27, 81, 243]],
        [4, 19, 2, [9, 27, 81, 243]],
        [3, 8, 1, [27, 81, 243]],
        [2, 4, 1, [81, 243]],
        [1, 2, 1, [243]],
      ],
      summary: [
        [32, 3],
        [24, 9],
        [14, 27],
        [5, 81],
        [6, 243],
      ],
      events: { created: 81, validated: 113, stopped: 69, exited: 12 },
    },
  ],
  [
    'bracket_rungs',
    { max_trials: 40, max_time: 90, divisor: 3, bracket_rungs: [2, 4, 3], max_concurrent_trials: 0 },
    {
      brackets: [
        [4, 25, 5, [3, 10, 30, 90]],
        [3, 10, 5, [10, 30, 90]],
        [2, 5, 5, [30, 90]],
      ],
      summary: [
        [17, 3],
        [13, 10],
        [7, 30],
        [3, 90],
      ],
      events: { created: 40, validated: 50, stopped: 34, exited: 6 },
    },
  ],
  [
    'divisor 2.5',
    { max_trials: 30, max_time: 50, divisor: 2.5, mode: 'standard', max_rungs: 4, max_concurrent_trials: 3 },
    {
      brackets: [
        [4, 17, 1, [3, 8, 20, 50]],
        [3, 8, 1, [8, 20, 50]],
        [2, 5, 1, [20, 50]],
      ],
      summary: [
        [11, 3],
        [9, 8],
        [6, 20],
        [4, 50],
      ],
      events: { created: 30, validated: 34, stopped: 26, exited: 4 },
    },
  ],
  [
    'one trial',
    { max_trials: 1, max_time: 8, max_concurrent_trials: 0 },
    {
      brackets: [[1, 1, 4, [8]]],
      summary: [[1, 8]],
      events: { created: 1, validated: 1, stopped: 1, exited: 0 },
    },
  ],
  [
    'random comparison',
    { max_trials: 32, max_time: 16, max_concurrent_trials: 0 },
    {
      brackets: [
        [3, 24, 8, [1, 4, 16]],
        [2, 8, 8, [4, 16]],
      ],
      summary: [
        [18, 1],
        [11, 4],
        [3, 16],
      ],
      events: { created: 32, validated: 33, stopped: 27, exited: 5 },
    },
  ],
];

/**
 * The driver the Go side ran too: trials wait in a queue; each validates at the next rung it needs,
 * loss = ((i·37) mod 17)/17 − step/1000 (ties on purpose); every trial i with i mod 7 = 3 fails
 * before its first validation. The trace: c<trial>/<bracket> created, v<trial>@<step> validated,
 * s<trial> stopped, x<trial> exited early; and the search's progress after each event.
 */
function drive(c: AshaCase) {
  const s = createSearcher(config(c));
  const queue: [number, number][] = [];
  const trace: string[] = [];
  const progress: number[] = [];
  const validated = new Set<number>();
  const apply = (ops: SearchOp[]) => {
    for (const op of ops) {
      if (op.type === 'create') trace.push(`c${op.requestId}/${op.bracket}`);
      else if (op.type === 'close') trace.push(`s${op.requestId}`);
      else queue.push([op.requestId, op.length!]);
    }
  };
  apply(s.initialOperations());
  while (queue.length) {
    const [i, step] = queue.shift()!;
    if (i % 7 === 3 && !validated.has(i)) {
      trace.push(`x${i}`);
      apply(s.trialExitedEarly(i));
    } else {
      validated.add(i);
      trace.push(`v${i}@${step}`);
      apply(s.validationCompleted(i, ((i * 37) % 17) / 17 - step / 1000, step));
    }
    progress.push(s.progress());
  }
  return { trace, progress };
}

const count = (trace: string[], kind: string) => trace.filter((e) => e.startsWith(kind)).length;

describe('adaptive ASHA plans what Determined 0.38 plans', () => {
  it.each(CASES)('%s', (_name, c, expected) => {
    const plan = planSearch(config(c));
    expect(
      plan.brackets?.map((b) => [
        b.numRungs,
        b.maxTrials,
        b.maxConcurrentTrials,
        b.rungs.map((r) => r.length),
      ]),
    ).toEqual(expected.brackets);
    expect(plan.summary.map((s) => [s.count, s.length])).toEqual(expected.summary);
  });

  it("matches upstream's unit tests of the allocation helpers", () => {
    // master/pkg/searcher/adaptive_asha_test.go: TestBracketMaxTrials, TestBracketMaxConcurrentTrials
    expect(bracketMaxTrials(20, 3, [3, 2, 1])).toEqual([12, 5, 3]);
    expect(bracketMaxTrials(50, 3, [4, 3])).toEqual([35, 15]);
    expect(bracketMaxTrials(50, 4, [3, 2])).toEqual([37, 13]);
    expect(bracketMaxTrials(100, 4, [4, 3, 2])).toEqual([70, 22, 8]);
    expect(bracketMaxConcurrentTrials(0, 3, [9, 3, 1])).toEqual([3, 3, 3]);
    expect(bracketMaxConcurrentTrials(11, 3, [9, 3, 1])).toEqual([4, 4, 3]);
    expect(bracketMaxConcurrentTrials(0, 4, [40, 10])).toEqual([10, 10]);
    // asha_stopping_test.go: TestMakeRungs
    expect(rungLengths(3, 3, 9)).toEqual([1, 3, 9]);
    expect(rungLengths(4, 2, 10)).toEqual([1, 2, 5, 10]);
    expect(rungLengths(1, 3, 9)).toEqual([9]);
    expect(rungLengths(3, 3, 900)).toEqual([100, 300, 900]);
  });
});

describe('adaptive ASHA stops the trials Determined 0.38 stops', () => {
  it('for the shipped adaptive.yaml: the same events in the same order, with the same progress', () => {
    const { trace, progress } = drive(CASES[0]![1]);
    expect(trace.join(' ')).toBe(
      'c0/0 c1/0 c2/0 c3/0 c4/0 c5/1 c6/1 c7/1 c8/1 c9/1 v0@1 v1@1 s1 c10/0 v2@1 s2 c11/0 x3 c12/0 v4@1 s4 c13/0 v5@4 s5 v6@4 s6 v7@4 s7 v8@4 s8 v9@4 s9 v0@4 s0 c14/0 x10 c15/0 v11@1 s11 v12@1 v13@1 s13 v14@1 s14 v15@1 s15 v12@4 s12',
    );
    expect(progress).toEqual([
      0.03787878787878788, 0.07575757575757576, 0.11363636363636365, 0.15151515151515152, 0.1893939393939394,
      0.2727272727272727, 0.3560606060606061, 0.4393939393939394, 0.5227272727272727, 0.6893939393939394,
      0.6893939393939394, 0.7272727272727273, 0.7651515151515151, 0.803030303030303, 0.8409090909090909,
      0.8787878787878788, 0.9545454545454546, 1,
    ]);
  });

  it("for upstream's first TestMakeBrackets config", () => {
    const { trace, progress } = drive(CASES[5]![1]);
    expect(trace.join(' ')).toBe(
      'c0/0 c1/1 v0@25 v1@100 s1 c2/1 v0@100 s0 c3/0 v2@100 s2 c4/1 x3 c5/0 v4@100 s4 v5@25 s5 c6/0 v6@25 s6 c7/0 v7@25 s7 c8/0 v8@25 s8 c9/0 v9@25 s9',
    );
    expect(progress).toEqual([
      0.05952380952380952, 0.19841269841269843, 0.19841269841269843, 0.3373015873015873, 0.39682539682539686,
      0.6190476190476191, 0.6785714285714286, 0.7380952380952381, 0.7976190476190477, 0.8571428571428572, 1,
    ]);
  });

  it.each(CASES)(
    '%s: as many creations, validations, stops and early exits, ending at progress 1',
    (_n, c, e) => {
      const { trace, progress } = drive(c);
      expect({
        created: count(trace, 'c'),
        validated: count(trace, 'v'),
        stopped: count(trace, 's'),
        exited: count(trace, 'x'),
      }).toEqual(e.events);
      expect(progress.at(-1)).toBe(1);
    },
  );
});
