import { join } from 'node:path';
import type { DataClient } from '@fmnist/data-client';
import { GateError } from './errors.js';
import { runAccuracyGate } from './gate.js';
import type { GateMode, GateResult, TestSet } from './types.js';

/** A saved model version to test: its number, what is known of it, and the folder it was saved in. */
export interface VersionToTest {
  version: number;
  metadata: Record<string, unknown>;
  modelDir: string;
}

export interface GateRunOptions {
  /** Where the test data lives. The caller opens and closes it. */
  data: DataClient;
  /** The test split's data commit: `repo@commit`, or `repo` / `repo@branch` pinned to its head. */
  testData: string;
  /** Where data files are materialised (reused across runs). */
  cacheDir: string;
  /** The registry's model name. */
  model: string;
  versions: VersionToTest[];
  minAccuracy: number;
  gate: GateMode;
  reportDir: string;
  /** Progress lines for a human. */
  log?: (line: string) => void;
}

/** The test split (`t10k` files) of a data commit, with raw pixels for thumbnails and the commit it came from. */
export async function loadTestSet(client: DataClient, address: string, cacheDir: string): Promise<TestSet> {
  const { loadDataSplit } = await import('@fmnist/train');
  const split = await loadDataSplit(client, address, 't10k', cacheDir);
  return { ...split.set, pixels: split.pixels, source: split.pinned };
}

/**
 * Tests saved model versions on a data commit's test split and writes the report. The verdict is in the
 * result; `assertGatePassed` turns a failed one into an error for callers that stop there.
 */
export async function runGate(o: GateRunOptions): Promise<GateResult> {
  const testSet = await loadTestSet(o.data, o.testData, o.cacheDir);
  o.log?.(
    `testing ${o.versions.length} version(s) of ${o.model} on ${testSet.source} (${testSet.count.toLocaleString('en-US')} images)`,
  );
  // TensorFlow.js loads only when a model is tested, so options are checked (and usage printed) quickly.
  const { loadClassifier } = await import('@fmnist/model');
  return runAccuracyGate({
    model: o.model,
    testSet,
    minAccuracy: o.minAccuracy,
    gate: o.gate,
    reportDir: o.reportDir,
    versions: o.versions.map((v) => ({
      version: v.version,
      metadata: v.metadata,
      load: async () => {
        const classifier = await loadClassifier(v.modelDir);
        return {
          predictProbabilities: (images: Float32Array, count: number) =>
            classifier.predictNormalized(images, count),
          dispose: () => classifier.dispose(),
        };
      },
    })),
  });
}

/** Model folders given by path, numbered 1, 2, … in the order given, with their saved metadata. */
export async function versionsFromFolders(dirs: string[]): Promise<VersionToTest[]> {
  const { readModelMetadata } = await import('@fmnist/model');
  return Promise.all(
    dirs.map(async (modelDir, i) => ({
      version: i + 1,
      metadata: { modelDir, ...(await readModelMetadata(modelDir)) } as Record<string, unknown>,
      modelDir,
    })),
  );
}

/** Throws GateError GATE_FAILED when a gated version is below the threshold. */
export function assertGatePassed(result: GateResult, consequence = 'it will not be served'): void {
  if (result.passed) return;
  const which = result.failures.map((f) => `v${f.version}`).join(', ');
  throw new GateError(
    'GATE_FAILED',
    `the model is below the accuracy threshold (${which}); ${consequence}`,
    `the report says where it falls short: ${join(result.reportDir, 'report.html')}`,
  );
}
