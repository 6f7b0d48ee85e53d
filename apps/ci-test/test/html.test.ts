/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runAccuracyGate } from '../src/index.js';
import { fakeModel, syntheticTestSet, tempDir, version } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const skipReason = `skipped: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`;
if (!hasChromium) console.warn(`report.html browser test ${skipReason}`);

/** Where the screenshot of the rendered report is left for people to look at. */
const SCREENSHOT = join(tmpdir(), 'fmnist-ci-test-report.png');

async function writeReport() {
  const dir = await tempDir();
  await runAccuracyGate({
    model: 'fashion-classifier',
    versions: [
      version(1, fakeModel({ wrong: (i) => i % 20 < 3 }), {
        hyperparameters: { learning_rate: 0.01, dense_units: 64, dropout: 0.2 },
        validation_accuracy: 0.861,
        experimentId: 3,
        trialId: 12,
        dataCommit: 'fmnist-train-raw@5a1c9e0',
        backend: 'cpu',
        codeVersion: 'v0.1.0',
      }),
      version(2, fakeModel({ wrong: (i) => i % 25 === 0 || i % 31 === 0 }), {
        hyperparameters: { learning_rate: 0.001, dense_units: 128, dropout: 0.3 },
        validation_accuracy: 0.912,
        experimentId: 4,
        trialId: 17,
        dataCommit: 'fmnist-train-raw@5a1c9e0',
        backend: 'wasm',
        codeVersion: 'v0.1.1',
        checkpoint: '8d2f6c1a-4b7e-4e0f-9a3d-2c5b1e7f9a10',
        registeredAt: '2025-03-04T05:06:07Z',
      }),
    ],
    testSet: syntheticTestSet(200),
    reportDir: dir,
  });
  return join(dir, 'report.html');
}

describe('report.html in a browser', () => {
  it.skipIf(!hasChromium)(
    `renders the heat maps, bars and decoded thumbnails offline${hasChromium ? '' : ` (${skipReason})`}`,
    async () => {
      const file = await writeReport();
      const html = await readFile(file, 'utf8');
      expect(html).not.toMatch(/\b(?:src|href)="https?:/);

      const profile = await tempDir();
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
        viewport: { width: 1280, height: 900 },
      });
      try {
        const requests: string[] = [];
        await context.route('**/*', (route) => {
          const url = route.request().url();
          if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
          requests.push(url);
          return route.abort();
        });
        const errors: string[] = [];
        const page = await context.newPage();
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        await page.getByRole('button', { name: 'Expand all versions' }).click();
        await expect.poll(() => page.locator('section.version > details[open]').count()).toBe(2);

        // One heat map per version: 100 cells with counts, class names on both axes.
        const heatmaps = page.locator('svg.heatmap');
        expect(await heatmaps.count()).toBe(2);
        expect(await heatmaps.first().locator('g.cell').count()).toBe(100);
        const axis = await heatmaps.first().locator('g.labels text').allTextContents();
        expect(axis.filter((t) => t === 'Ankle boot')).toHaveLength(2);
        const cellTexts = await heatmaps.first().locator('g.cell text').allTextContents();
        expect(cellTexts.map(Number).reduce((a, b) => a + b, 0)).toBe(200);
        const box = await heatmaps.first().boundingBox();
        expect(box!.width).toBeGreaterThan(300);

        // Precision and recall bars, as wide as their values.
        const bars = page.locator('#v1 .bar-recall > span');
        expect(await bars.count()).toBe(10);
        const trouserWidth = await bars.nth(1).evaluate((el) => el.getBoundingClientRect().width);
        const trackWidth = await bars
          .nth(1)
          .evaluate((el) => el.parentElement!.getBoundingClientRect().width);
        expect(trouserWidth / trackWidth).toBeCloseTo(0.5, 2);

        // The misclassified thumbnails decode as 28×28 images.
        const sizes = await page.evaluate(async () => {
          const images = Array.from(document.querySelectorAll<HTMLImageElement>('ul.mistakes img'));
          await Promise.all(images.map((img) => img.decode()));
          return images.map((img) => [img.naturalWidth, img.naturalHeight, img.alt.length > 0]);
        });
        expect(sizes.length).toBe(30 + 14);
        for (const s of sizes) expect(s).toEqual([28, 28, true]);

        await page.getByRole('button', { name: 'Collapse all' }).click();
        expect(await page.locator('section.version > details[open]').count()).toBe(0);
        await page.getByRole('button', { name: 'Expand all versions' }).click();

        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
      } finally {
        await context.close();
      }
    },
  );
});
