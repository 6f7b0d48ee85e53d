import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bandImageSet, bandLabel } from '@fmnist/test-fixtures';
import { afterEach } from 'vitest';
import type { GateModel, TestSet, VersionInput } from '../src/index.js';

/**
 * `count` images whose label is `i % 10`, each a bright band at the rows of its label over seeded noise
 * (the shared band dataset), so thumbnails differ and a fake model can read them.
 */
export function syntheticTestSet(count: number, source = 'fmnist-test-raw@0123abcd'): TestSet {
  const { images, pixels, labels } = bandImageSet(count);
  return { images, pixels, labels, count, source };
}

export interface FakeModelOptions {
  /** Images (by index) the model gets wrong: it predicts the next class instead. */
  wrong?: (index: number) => boolean;
  /** The probability given to the predicted class; the rest is spread evenly. */
  confidence?: (index: number) => number;
}

/** A deterministic stand-in for a trained classifier; records whether it was disposed. */
export function fakeModel(opts: FakeModelOptions = {}): GateModel & { disposed: boolean } {
  const wrong = opts.wrong ?? (() => false);
  const confidence = opts.confidence ?? ((i: number) => 0.55 + (i % 9) * 0.05);
  return {
    disposed: false,
    predictProbabilities(images, count) {
      const out = new Float32Array(count * 10);
      for (let i = 0; i < count; i++) {
        const label = bandLabel(images, i);
        const predicted = wrong(i) ? (label + 1) % 10 : label;
        const q = confidence(i);
        for (let c = 0; c < 10; c++) out[i * 10 + c] = c === predicted ? q : (1 - q) / 9;
      }
      return out;
    },
    dispose() {
      this.disposed = true;
    },
  };
}

/** A model that answers with fixed probability rows, for hand-checked metrics. */
export function tableModel(rows: number[][]): GateModel {
  return {
    predictProbabilities: (_images, count) => Float32Array.from(rows.slice(0, count).flat()),
    dispose() {},
  };
}

export function version(n: number, model: GateModel, metadata: Record<string, unknown> = {}): VersionInput {
  return { version: n, metadata, load: async () => model };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh temporary directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fmnist-ci-test-'));
  dirs.push(dir);
  return dir;
}
