import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type GateReport, runAccuracyGate } from '../src/index.js';
import { renderHtml } from '../src/internal/html/page.js';
import { fakeModel, syntheticTestSet, tempDir, version } from './helpers.js';

/** A report of two versions, one failing, with the clock's values pinned so the page depends on nothing else. */
async function fixedReport(): Promise<GateReport> {
  const { report } = await runAccuracyGate({
    model: 'fashion-classifier',
    versions: [
      version(1, fakeModel({ wrong: (i) => i % 7 < 3 }), {
        hyperparameters: { learning_rate: 0.01, dropout: 0.2 },
        dataCommit: 'fmnist-train-raw@5a1c9e0',
      }),
      version(2, fakeModel({ wrong: (i) => i % 25 === 0 }), { backend: 'wasm', note: '<b>&"quoted"</b>' }),
    ],
    testSet: syntheticTestSet(200),
    reportDir: await tempDir(),
    minAccuracy: 0.9,
    gate: 'all',
  });
  report.generatedAt = '2026-12-01T10:20:30.000Z';
  for (const [i, v] of report.versions.entries())
    v.timings = { loadMs: 12.5 + i, predictMs: 1234 + i, imagesPerSecond: 162.1 + i };
  return report;
}

describe('report.html rendering', () => {
  it('renders a fixed report to the same bytes, page for page', async () => {
    const html = renderHtml(await fixedReport(), (i) => `data:image/png;base64,THUMB${i}`);
    expect(html.length).toBe(EXPECTED_LENGTH);
    expect(createHash('sha256').update(html).digest('hex')).toBe(EXPECTED_SHA256);
  });
});

// The page as rendered before the renderer was split into styles, charts and the page template.
const EXPECTED_LENGTH = 104493;
const EXPECTED_SHA256 = '0c79cd8776384f7d7817d793bf498f9bab9cdcb6d72aab716f45742f00473c2b';
