import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it, vi } from 'vitest';
import {
  formatGateSummary,
  GateError,
  type GateModel,
  type GateReport,
  gateExitCode,
  REPORT_FILES,
  runAccuracyGate,
} from '../src/index.js';
import { fakeModel, syntheticTestSet, tableModel, tempDir, version } from './helpers.js';

const META = {
  hyperparameters: { learning_rate: 0.001, dense_units: 128 },
  validation_accuracy: 0.91,
  experimentId: 7,
  trialId: 31,
  dataCommit: 'fmnist-train-raw@9f8e7d',
  backend: 'cpu',
  checkpoint: 'c0ffee00-1111-2222-3333-444455556666',
};

async function readJson(dir: string): Promise<GateReport> {
  return JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as GateReport;
}

function parseJunit(xml: string) {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (n) => n === 'testcase',
  });
  return parser.parse(xml).testsuites.testsuite as {
    tests: string;
    failures: string;
    skipped: string;
    testcase: Array<{ name: string; failure?: { message: string }; skipped?: { message: string } }>;
  };
}

describe('metrics', () => {
  it('computes accuracy, loss, precision, recall and the confusion matrix of a hand-checked case', async () => {
    const testSet = syntheticTestSet(4);
    testSet.labels.set([0, 1, 1, 2]);
    const other = (p: number) => (1 - p) / 9;
    const row = (cls: number, p: number) => Array.from({ length: 10 }, (_, c) => (c === cls ? p : other(p)));
    const rows = [row(0, 0.8), row(1, 0.6), row(2, 0.7), row(2, 0.5)];
    const dir = await tempDir();

    await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, tableModel(rows))],
      testSet,
      reportDir: dir,
    });

    const v = (await readJson(dir)).versions[0]!;
    expect(v.metrics.accuracy).toBe(0.75);
    // p(true class) per image: 0.8, 0.6, (0.3/9 for class 1 in row 2), 0.5
    const expectedLoss = -(Math.log(0.8) + Math.log(0.6) + Math.log(other(0.7)) + Math.log(0.5)) / 4;
    expect(v.metrics.loss).toBeCloseTo(expectedLoss, 6);
    expect(v.perClass.slice(0, 3)).toEqual([
      { name: 'T-shirt/top', precision: 1, recall: 1, support: 1 },
      { name: 'Trouser', precision: 1, recall: 0.5, support: 2 },
      { name: 'Pullover', precision: 0.5, recall: 1, support: 1 },
    ]);
    expect(v.perClass[9]).toEqual({ name: 'Ankle boot', precision: null, recall: null, support: 0 });
    expect(v.confusion[0]![0]).toBe(1);
    expect(v.confusion[1]![1]).toBe(1);
    expect(v.confusion[1]![2]).toBe(1);
    expect(v.confusion[2]![2]).toBe(1);
    expect(v.confusion.flat().reduce((a, b) => a + b, 0)).toBe(4);
    expect(v.misclassified).toHaveLength(1);
    expect(v.misclassified[0]).toMatchObject({ index: 2, true: 1, predicted: 2 });
    expect(v.misclassified[0]!.confidence).toBeCloseTo(0.7, 6);
  });

  it('keeps the 36 most confident mistakes, in a stable order', async () => {
    const testSet = syntheticTestSet(200);
    const dir = await tempDir();
    // Wrong on every other image (100 mistakes), with confidences 0.55..0.95 cycling by index.
    const model = fakeModel({ wrong: (i) => i % 2 === 0 });

    const { report } = await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, model)],
      testSet,
      reportDir: dir,
    });

    const { misclassified, metrics, confusion } = report.versions[0]!;
    expect(metrics.accuracy).toBe(0.5);
    expect(misclassified).toHaveLength(36);
    const confidences = misclassified.map((m) => m.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
    // The most confident mistakes are at indices where i % 9 === 8 (confidence 0.95), in index order.
    expect(misclassified.slice(0, 3).map((m) => m.index)).toEqual([8, 26, 44]);
    for (const m of misclassified) {
      expect(m.true).toBe(m.index % 10);
      expect(m.predicted).toBe((m.true + 1) % 10);
    }
    // Label 4 sits at even indices only, so every one of its 20 images is predicted as 5.
    expect(confusion[4]![5]).toBe(20);
    expect(confusion[3]![3]).toBe(20);
    expect(model.disposed).toBe(true);
  });
});

describe('the gate', () => {
  const testSet = syntheticTestSet(200);
  const good = () => fakeModel({ wrong: (i) => i % 20 === 0 }); // 0.95
  const poor = () => fakeModel({ wrong: (i) => i % 20 < 3 }); // 0.85

  it('passes when every version reaches the threshold', async () => {
    const dir = await tempDir();
    const result = await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, good(), META), version(2, good())],
      testSet,
      reportDir: dir,
    });
    expect(result.passed).toBe(true);
    expect(result.failures).toEqual([]);
    expect(gateExitCode(result)).toBe(0);
    expect(formatGateSummary(result)).toContain('passed: v1, v2 reach the threshold 0.92');
    expect((await readdir(dir)).sort()).toEqual([...REPORT_FILES].sort());
  });

  it('fails with exit code 1 and says which version is short and by how much', async () => {
    const dir = await tempDir();
    const result = await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(2, poor()), version(1, good())],
      testSet,
      minAccuracy: 0.9,
      gate: 'all',
      reportDir: dir,
    });
    expect(result.passed).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]!.version).toBe(2);
    expect(result.failures[0]!.accuracy).toBe(0.85);
    expect(result.failures[0]!.shortfall).toBeCloseTo(0.05, 10);
    expect(gateExitCode(result)).toBe(1);
    expect(formatGateSummary(result)).toContain(
      'failed: fashion-classifier v2 accuracy 0.8500 is below the threshold 0.90 by 0.0500',
    );
    const json = await readJson(dir);
    expect(json.passed).toBe(false);
    expect(json.versions.map((v) => [v.version, v.passed, v.gated])).toEqual([
      [1, true, true],
      [2, false, true],
    ]);
  });

  it('with gate "latest" only the newest version decides', async () => {
    const dir = await tempDir();
    const passing = await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, poor()), version(2, good())],
      testSet,
      gate: 'latest',
      reportDir: dir,
    });
    expect(gateExitCode(passing)).toBe(0);
    expect(passing.report.versions.map((v) => v.gated)).toEqual([false, true]);
    expect(formatGateSummary(passing)).toMatch(/low +v1 .*\(not gated\)/);

    const failing = await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, good()), version(2, poor())],
      testSet,
      gate: 'latest',
      reportDir: dir,
    });
    expect(gateExitCode(failing)).toBe(1);
    expect(failing.failures.map((f) => f.version)).toEqual([2]);
  });

  it('honours a custom threshold', async () => {
    const dir = await tempDir();
    const result = await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, poor())],
      testSet,
      minAccuracy: 0.8,
      reportDir: dir,
    });
    expect(gateExitCode(result)).toBe(0);
    expect(result.report.threshold).toBe(0.8);
  });
});

describe('report files', () => {
  const testSet = syntheticTestSet(200);

  it('report.json holds the metadata, test set, timings and verdict', async () => {
    const dir = await tempDir();
    await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(3, fakeModel({ wrong: (i) => i % 10 === 0 }), META)],
      testSet,
      reportDir: dir,
      // Exactly at the threshold passes.
      minAccuracy: 0.9,
      now: () => new Date('2025-03-04T05:06:07.000Z'),
    });
    const json = await readJson(dir);
    expect(json).toMatchObject({
      model: 'fashion-classifier',
      generatedAt: '2025-03-04T05:06:07.000Z',
      threshold: 0.9,
      gate: 'all',
      testSet: { source: 'fmnist-test-raw@0123abcd', count: 200 },
      passed: true,
    });
    const v = json.versions[0]!;
    expect(v.metadata).toEqual(META);
    expect(v.metrics.accuracy).toBe(0.9);
    expect(v.perClass.map((c) => c.support)).toEqual(new Array(10).fill(20));
    // Every T-shirt/top is predicted as Trouser: recall 0, and Trouser's precision halves.
    expect(v.perClass[0]).toMatchObject({ precision: null, recall: 0 });
    expect(v.perClass[1]).toMatchObject({ precision: 0.5, recall: 1 });
  });

  it('report.json times loading and predicting each version, and the images per second that makes', async () => {
    // The clock is the test's: loading takes 40 ms and predicting the 200 images 25 ms of it.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const model = fakeModel();
      const timed: GateModel = {
        predictProbabilities: (images, count) => {
          vi.advanceTimersByTime(25);
          return model.predictProbabilities(images, count);
        },
        dispose: () => model.dispose(),
      };
      const dir = await tempDir();
      await runAccuracyGate({
        model: 'fashion-classifier',
        versions: [
          {
            version: 1,
            metadata: {},
            load: async () => {
              vi.advanceTimersByTime(40);
              return timed;
            },
          },
        ],
        testSet,
        reportDir: dir,
      });
      expect((await readJson(dir)).versions[0]!.timings).toEqual({
        loadMs: 40,
        predictMs: 25,
        imagesPerSecond: 8000,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('report.md has the versions table, the metadata and the per-class table', async () => {
    const dir = await tempDir();
    await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [
        version(1, fakeModel({ wrong: (i) => i % 20 < 3 }), { note: 'a | b', ...META }),
        version(2, fakeModel()),
      ],
      testSet,
      reportDir: dir,
    });
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('# Accuracy gate: fashion-classifier — FAILED');
    expect(md).toContain('| v1 | 0.8500 | ');
    expect(md).toContain('**fail**: accuracy 0.8500 is below the threshold 0.92 by 0.0700');
    expect(md).toMatch(/\| v2 \| 1\.0000 \| [0-9.]+ \| yes \| pass \|/);
    expect(md).toContain('| note | a \\| b |');
    expect(md).toContain('| hyperparameters | {"learning\\_rate":0.001,"dense\\_units":128} |');
    // Half of the first three classes are taken for the next class.
    expect(md).toContain('| Trouser | 50.0% | 50.0% | 20 |');
    expect(md).toContain('| Dress | 66.7% | 100.0% | 20 |');
  });

  it('junit.xml is well-formed with one testcase per version and a failure for each gated shortfall', async () => {
    const dir = await tempDir();
    const awkward = 'fashion <classifier> & "friends"';
    await runAccuracyGate({
      model: awkward,
      versions: [
        version(1, fakeModel({ wrong: (i) => i % 20 < 3 }), { note: ']]> <tag> & \u0001' }),
        version(2, fakeModel({ wrong: (i) => i % 100 < 13 })),
        version(3, fakeModel()),
      ],
      testSet,
      reportDir: dir,
    });
    const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = parseJunit(xml);
    expect(suite.tests).toBe('3');
    expect(suite.failures).toBe('2');
    expect(suite.testcase.map((t) => t.name)).toEqual([
      `${awkward} v1 accuracy ≥ 0.92`,
      `${awkward} v2 accuracy ≥ 0.92`,
      `${awkward} v3 accuracy ≥ 0.92`,
    ]);
    expect(suite.testcase[0]!.failure!.message).toBe('accuracy 0.8500 is below the threshold 0.92 by 0.0700');
    expect(suite.testcase[1]!.failure!.message).toBe('accuracy 0.8700 is below the threshold 0.92 by 0.0500');
    expect(suite.testcase[2]!.failure).toBeUndefined();
  });

  it('junit.xml reports versions that are not gated as skipped, not failed', async () => {
    const dir = await tempDir();
    await runAccuracyGate({
      model: 'fashion-classifier',
      versions: [version(1, fakeModel({ wrong: (i) => i % 20 < 3 })), version(2, fakeModel())],
      testSet,
      gate: 'latest',
      reportDir: dir,
    });
    const suite = parseJunit(await readFile(join(dir, 'junit.xml'), 'utf8'));
    expect(suite.failures).toBe('0');
    expect(suite.skipped).toBe('1');
    expect(suite.testcase[0]!.skipped!.message).toContain('not gated (gate: latest)');
  });
});

describe('atomic reports', () => {
  const testSet = syntheticTestSet(50);

  it('a model that fails to load mid-way leaves the previous report intact', async () => {
    const dir = await tempDir();
    await runAccuracyGate({ model: 'm', versions: [version(1, fakeModel())], testSet, reportDir: dir });
    const before = await Promise.all(REPORT_FILES.map((f) => readFile(join(dir, f))));
    await writeFile(join(dir, 'keep.txt'), 'other artefacts stay');

    const broken = { version: 2, metadata: {}, load: () => Promise.reject(new Error('checkpoint missing')) };
    const run = runAccuracyGate({
      model: 'm',
      versions: [version(1, fakeModel()), broken],
      testSet,
      reportDir: dir,
    });
    await expect(run).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    await expect(run).rejects.toThrow('could not load m v2: checkpoint missing');

    const after = await Promise.all(REPORT_FILES.map((f) => readFile(join(dir, f))));
    expect(after).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual([...REPORT_FILES, 'keep.txt'].sort());
  });

  it('a failure while the report files are being written leaves the previous report intact', async () => {
    const dir = await tempDir();
    await runAccuracyGate({ model: 'm', versions: [version(1, fakeModel())], testSet, reportDir: dir });
    const before = await Promise.all(REPORT_FILES.map((f) => readFile(join(dir, f))));

    // Metadata that can be read twice (report.json, report.md) but not a third time (report.html).
    let reads = 0;
    const metadata = {
      get trap() {
        reads++;
        if (reads > 2) throw new Error('metadata went away');
        return 'fine';
      },
    };
    const run = runAccuracyGate({
      model: 'm',
      versions: [version(1, fakeModel({ wrong: () => true }), metadata)],
      testSet,
      reportDir: dir,
    });
    await expect(run).rejects.toMatchObject({ code: 'REPORT_WRITE_FAILED' });

    const after = await Promise.all(REPORT_FILES.map((f) => readFile(join(dir, f))));
    expect(after).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual([...REPORT_FILES].sort());
  });

  it('creates a missing report directory', async () => {
    const dir = join(await tempDir(), 'public', 'gate');
    const result = await runAccuracyGate({
      model: 'm',
      versions: [version(1, fakeModel())],
      testSet,
      reportDir: dir,
    });
    expect(result.reportDir).toBe(dir);
    expect((await readdir(dir)).sort()).toEqual([...REPORT_FILES].sort());
  });
});

describe('bad input', () => {
  const testSet = syntheticTestSet(20);
  const run = (over: Record<string, unknown>) =>
    runAccuracyGate({
      model: 'm',
      versions: [version(1, fakeModel())],
      testSet,
      reportDir: '/nonexistent-unused',
      ...over,
    });

  it('rejects a threshold outside 0..1, an unknown gate and an empty version list', async () => {
    await expect(run({ minAccuracy: 90 })).rejects.toThrow(
      'minAccuracy: expected a number from 0 to 1, got 90',
    );
    await expect(run({ gate: 'newest' })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(run({ versions: [] })).rejects.toMatchObject({ code: 'NO_VERSIONS' });
    await expect(run({ versions: [version(1, fakeModel()), version(1, fakeModel())] })).rejects.toThrow(
      'v1 is listed twice',
    );
  });

  it('rejects a test set whose sizes do not add up', async () => {
    const short = { ...testSet, labels: testSet.labels.subarray(0, 19) };
    await expect(run({ testSet: short })).rejects.toThrow(GateError);
    await expect(run({ testSet: short })).rejects.toThrow('expected 20 labels, got 19');
    const badLabel = { ...testSet, labels: Uint8Array.from(testSet.labels, (l, i) => (i === 5 ? 10 : l)) };
    await expect(run({ testSet: badLabel })).rejects.toThrow('label 10 at index 5 is not a class');
  });

  it('rejects predictions of the wrong shape or with NaN, and still disposes the model', async () => {
    const wrongShape = { predictProbabilities: () => new Float32Array(10), dispose() {} };
    await expect(run({ versions: [version(1, wrongShape)] })).rejects.toThrow(
      'm v1 returned 10 probabilities for 20 images; expected 20 × 10 = 200',
    );
    const nan = fakeModel();
    const inner = nan.predictProbabilities.bind(nan);
    nan.predictProbabilities = (images, count) => {
      const p = inner(images, count) as Float32Array;
      p[33] = Number.NaN;
      return p;
    };
    await expect(run({ versions: [version(1, nan)] })).rejects.toThrow(
      'non-finite probability (NaN) for image 3',
    );
    expect(nan.disposed).toBe(true);
  });
});
