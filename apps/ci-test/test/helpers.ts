import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { GateModel, TestSet, VersionInput } from '../src/index.js';

const SIZE = 28 * 28;

/**
 * `count` images whose label is `i % 10`; each image is a bright horizontal band at a row that
 * encodes its label, over a faint diagonal texture, so thumbnails differ and a fake model can read them.
 */
export function syntheticTestSet(count: number, source = 'fmnist-test-raw@0123abcd'): TestSet {
  const pixels = new Uint8Array(count * SIZE);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    labels[i] = label;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const band = y >= 3 + label * 2 && y < 5 + label * 2 && x >= 4 && x < 24;
        pixels[i * SIZE + y * 28 + x] = band ? 230 : (x + y + i) % 9 === 0 ? 40 : 0;
      }
  }
  const images = new Float32Array(pixels.length);
  for (let j = 0; j < pixels.length; j++) images[j] = pixels[j]! / 255;
  return { images, pixels, labels, count, source };
}

/** Reads the label from the band's row, as syntheticTestSet drew it. */
function readLabel(images: Float32Array, i: number): number {
  let best = 0;
  let bestSum = -1;
  for (let c = 0; c < 10; c++) {
    let sum = 0;
    for (let x = 0; x < 28; x++) sum += images[i * SIZE + (3 + c * 2) * 28 + x]!;
    if (sum > bestSum) {
      bestSum = sum;
      best = c;
    }
  }
  return best;
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
        const label = readLabel(images, i);
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
