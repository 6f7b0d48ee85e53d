// biome-ignore-all lint/performance/useDomNodeTextContent: innerText is what a reader sees, laid out
/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDeployer } from '@fmnist/deployer';
import { type RunningServer, serveModel } from '@fmnist/serve';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDashboard, startDashboard } from '../src/index.js';
import { MODEL, makeHome, openMaster, type TestHome, tinyConfig } from './home.js';
import { greyPng } from './png.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const skipReason = `skipped: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`;
if (!hasChromium) console.warn(`dashboard browser tests ${skipReason}`);

/** Where the screenshots are left for people to look at. */
export const SCREENSHOTS = join(tmpdir(), 'fmnist-dashboard-screenshots');

let h: TestHome;
let model: RunningServer;
let dashboard: RunningDashboard;
let broken: RunningDashboard;
let context: BrowserContext;
let page: Page;
/** The experiment the activate test starts and the kill test stops. */
let running: number;
const pageErrors: string[] = [];
const offsite: string[] = [];

/** The page's GETs of exactly `path` from now on (polls; event streams have paths of their own). */
function pageGets(path: string): () => string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (r.method() === 'GET' && u.pathname === path) seen.push(r.url());
  });
  return () => seen;
}

/** Deleting a deployment needs no command to serve one. */
const defaultServeCommand0 = () => {
  throw new Error('this deployer only deletes');
};

async function shot(name: string) {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  expect((await stat(path)).size).toBeGreaterThan(5_000);
}

describe.skipIf(!hasChromium)(`the dashboard in a browser${hasChromium ? '' : ` (${skipReason})`}`, () => {
  beforeAll(async () => {
    h = await makeHome();
    model = await serveModel({ modelDir: h.modelDir, name: MODEL, version: '1', port: 0 });
    dashboard = await startDashboard({
      home: h.home,
      port: 0,
      served: [{ name: 'pipeline', model: MODEL, version: 1, url: model.url }],
    });
    // A master that is not there: every page that needs it must say so.
    broken = await startDashboard({ home: h.home, port: 0, master: 'http://127.0.0.1:9' });
    await mkdir(SCREENSHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'fmnist-chromium-')), {
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
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dashboard.baseUrl });
    // The page must work offline: anything but the dashboard and the model server is refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (
        url.startsWith(dashboard.baseUrl) ||
        url.startsWith(broken.baseUrl) ||
        url.startsWith('data:') ||
        url.startsWith('blob:')
      )
        return route.continue();
      offsite.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await broken?.close();
    await dashboard?.close();
    await model?.close();
    if (h) await rm(h.home, { recursive: true, force: true });
  });

  it('lists the experiments with state, searcher, trials and best metric', async () => {
    await page.goto(dashboard.url);
    await page.waitForURL('**/experiments');
    const rows = page.locator('table.experiments tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const text = await page.locator('table.experiments').innerText();
    expect(text).toContain('tiny-asha');
    expect(text).toContain('adaptive_asha');
    expect(text).toMatch(/COMPLETED/);
    expect(text).toMatch(/val_accuracy 0\.\d{4}/);
    await shot('01-experiments');
  });

  it('draws the validation curves of an experiment and the rungs of its ASHA search', async () => {
    await page.goto(`${dashboard.baseUrl}/experiments/${h.single}`);
    const chart = page.locator('.chart').first();
    await expect.poll(() => chart.getAttribute('data-points')).toBe('3'); // validations at 6, 12, 18 batches
    // The count is rendered first; uPlot draws its canvas in the effect that follows.
    await expect.poll(() => page.locator('.chart canvas').count()).toBeGreaterThan(0);

    await page.goto(`${dashboard.baseUrl}/experiments/${h.asha}`);
    await page.locator('.rungs svg').waitFor();
    expect(await page.locator('.rungs g[data-rung]').count()).toBe(2);
    expect(Number(await page.locator('.chart').first().getAttribute('data-points'))).toBeGreaterThan(3);
    const rungText = await page.locator('.rungs').innerText();
    expect(rungText).toMatch(/rung 0: \d+ batches/);
    expect(await page.locator('table.trials tbody tr').count()).toBe(4);
    await shot('02-experiment-asha');
  });

  it("streams a running experiment's new validations to its page (server-sent events, no polling)", async () => {
    const master = openMaster(h.home);
    try {
      const { experiment } = await master.createExperiment(tinyConfig('tiny-live', h.commits));
      const polls = pageGets(`/api/experiments/${experiment.id}`);
      await page.goto(`${dashboard.baseUrl}/experiments/${experiment.id}`);
      await page.getByText('updating live').waitFor();
      expect(await page.locator('section[data-live]').getAttribute('data-live')).toBe('stream');
      const before = await page.locator('.chart').getAttribute('data-points');
      // The page is open; now the embedded master runs the trial in this process.
      const done = await master.waitForExperiment(experiment.id);
      expect(done.state).toBe('COMPLETED');
      await expect
        .poll(() => page.locator('.chart').getAttribute('data-points'), { timeout: 20_000 })
        .toBe('3');
      await expect.poll(() => page.locator('h1 .state').innerText(), { timeout: 20_000 }).toBe('COMPLETED');
      // The last snapshot ended the stream; the page never had to ask again.
      await expect.poll(() => page.locator('section[data-live]').getAttribute('data-live')).toBe('final');
      expect(before).toBe('0');
      expect(polls()).toEqual([]);
      await shot('02b-experiment-live');
    } finally {
      await master.close();
    }
  });

  it('activates a paused experiment from its page: the dashboard runs it and its validations stream in', async () => {
    const master = openMaster(h.home);
    try {
      // Long enough to still be training when the next test kills it.
      const created = await master.createExperiment(tinyConfig('tiny-activate', h.commits, 6000), {
        activate: false,
      });
      running = created.experiment.id;
    } finally {
      await master.close();
    }
    const polls = pageGets(`/api/experiments/${running}`);
    await page.goto(`${dashboard.baseUrl}/experiments/${running}`);
    await expect.poll(() => page.locator('h1 .state').innerText()).toBe('PAUSED');
    await page.getByRole('button', { name: 'Activate experiment' }).click();
    await page.locator('.actions .ok').waitFor();
    expect(await page.locator('.actions .ok').innerText()).toMatch(/Activated: the master says ACTIVE/);
    // Validations come every 6 batches; each reaches the open page through its event stream.
    await expect
      .poll(async () => Number(await page.locator('.chart').getAttribute('data-points')), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2);
    expect(await page.locator('h1 .state').innerText()).toMatch(/ACTIVE|RUNNING/);
    expect(await page.locator('section[data-live]').getAttribute('data-live')).toBe('stream');
    expect(polls()).toEqual([]);
    await shot('02c-experiment-activated');
  });

  it('kills a running experiment from its page', async () => {
    await page.goto(`${dashboard.baseUrl}/experiments/${running}`);
    await page.getByRole('button', { name: 'Kill experiment' }).click();
    await page.locator('.actions .ok').waitFor();
    expect(await page.locator('.actions .ok').innerText()).toMatch(
      /Killed: the master says (STOPPING_KILLED|CANCELED)/,
    );
    // The trial process is stopped by the dashboard, which ran it; the page follows to the end.
    await expect.poll(() => page.locator('h1 .state').innerText(), { timeout: 60_000 }).toBe('CANCELED');
    expect(await page.getByRole('button', { name: 'Kill experiment' }).count()).toBe(0);
    await shot('02d-experiment-killed');
  });

  it('shows a trial: hyperparameters, metrics, checkpoints; copies a UUID and registers it as a version', async () => {
    await page.goto(`${dashboard.baseUrl}/experiments/${h.single}`);
    await page.locator('table.trials a').first().click();
    await page.waitForURL(/\/trials\/\d+$/);
    await page.locator('table.checkpoints').waitFor();
    expect(await page.locator('table.kv').innerText()).toContain('learning_rate');
    const uuid = (await page.locator('table.checkpoints code.uuid').first().innerText()).trim();
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    await page.locator('table.checkpoints button.copy').first().click();
    await expect.poll(() => page.locator('table.checkpoints button.copy').first().innerText()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(uuid);

    await page
      .locator('table.checkpoints')
      .getByRole('button', { name: 'Register as a version' })
      .first()
      .click();
    await page.locator('.register .ok').first().waitFor();
    expect(await page.locator('.register .ok').first().innerText()).toMatch(/fashion-classifier v2/);
    const versions = (await (await fetch(`${dashboard.baseUrl}/api/models/${MODEL}`)).json()) as {
      versions: { version: number; checkpoint: { uuid: string } }[];
    };
    expect(versions.versions.map((v) => v.version)).toEqual([1, 2]);
    await shot('03-trial');
  });

  it('shows the registry: versions with lineage, two side by side, and the embedded report', async () => {
    await page.goto(`${dashboard.baseUrl}/models`);
    await page.getByRole('link', { name: MODEL }).click();
    await page.locator('table.versions').waitFor();
    const lineage = await page.locator('table.versions tbody tr').first().locator('.lineage').innerText();
    expect(lineage).toContain(`fmnist-train-raw@${h.commits.train.slice(0, 12)}`);
    expect(lineage).toMatch(
      /experiment \d+[\s\S]*trial \d+[\s\S]*checkpoint [0-9a-f]{8}[\s\S]*fashion-classifier v1/,
    );
    await shot('04-registry');

    await page.getByRole('checkbox', { name: 'pick v1' }).check();
    await page.getByRole('checkbox', { name: 'pick v2' }).check();
    await page.getByRole('button', { name: 'Compare the two picked versions' }).click();
    await page.waitForURL(/compare\?a=1&b=2/);
    await expect.poll(() => page.locator('.compare > div').count()).toBe(2);
    await shot('05-compare');

    await page.goto(`${dashboard.baseUrl}/models/${MODEL}/versions/1`);
    const report = page.frameLocator('iframe.report');
    await report.locator('svg.heatmap').first().waitFor();
    expect(await report.locator('body').innerText()).toContain(MODEL);
    await shot('06-version-report');
  });

  it('shows the data: repos, commits, files, a diff, and the experiments that trained on a commit', async () => {
    await page.goto(`${dashboard.baseUrl}/data`);
    await page.getByRole('link', { name: 'fmnist-train-raw' }).click();
    await page.locator('table.commits').waitFor();
    expect(await page.locator('table.commits tbody tr').count()).toBe(2);
    await page.getByRole('checkbox', { name: `pick ${h.commits.train}` }).check();
    await page.getByRole('checkbox', { name: `pick ${h.commits.trainFirst}` }).check();
    await page.getByRole('button', { name: 'Diff the two picked commits' }).click();
    await page.locator('table.diff').waitFor();
    expect(await page.locator('table.diff').innerText()).toMatch(/added\s+\/SOURCE\.txt/);
    await shot('07-data-diff');

    await page.goto(`${dashboard.baseUrl}/data/fmnist-train-raw/commits/${h.commits.train}`);
    await page.locator('ul.used-by').waitFor();
    expect(await page.locator('table.files').innerText()).toContain('/train-images-idx3-ubyte.gz');
    const used = await page.locator('ul.used-by').innerText();
    expect(used).toContain(`experiment ${h.single} (tiny)`);
    expect(used).toContain(`experiment ${h.asha} (tiny-asha)`);
    await shot('08-data-commit');
  });

  it('classifies a test image on the try-it page, through the served model and in the browser, alike', async () => {
    await page.goto(`${dashboard.baseUrl}/try`);
    const { images } = h.testImages;
    let seq = 0;
    for (const i of [0, 3, 7]) {
      const png = greyPng(images.subarray(i * 784, (i + 1) * 784));
      await page
        .getByLabel('upload a photo')
        .setInputFiles({ name: `test-${i}.png`, mimeType: 'image/png', buffer: png });
      seq += 1;
      const server = page.locator(`#server-result[data-seq="${seq}"] .top-class`);
      const browser = page.locator(`#browser-result[data-seq="${seq}"] .top-class`);
      await server.waitFor({ timeout: 30_000 });
      await browser.waitFor({ timeout: 30_000 });
      const serverClass = await server.innerText();
      expect(await browser.innerText()).toBe(serverClass);
      expect(serverClass.length).toBeGreaterThan(0);
      if (i === 3) await shot('09-try-it');
    }
  });

  it('shows the served model on the deployments page with health, request rate and latency', async () => {
    await page.goto(`${dashboard.baseUrl}/deployments`);
    const row = page.locator('table.deployments tbody tr').first();
    await row.waitFor();
    expect(await row.locator('.health').innerText()).toBe('ok');
    // The try-it page sent three predictions; latency percentiles come from the model's histogram.
    await expect.poll(async () => row.locator('td').nth(6).innerText()).toBe('3');
    expect(await row.locator('td').nth(7).innerText()).toMatch(/^\d+\.\d \/ \d+\.\d \/ \d+\.\d$/);
    expect(await row.getByRole('link', { name: 'Swagger' }).getAttribute('href')).toBe(
      `${model.url}/api/v1.0/doc/`,
    );
    await shot('10-deployments');
  });

  it('deploys a registered version from its page; the deployment serves predictions', async () => {
    const local = createLocalDeployer({ home: h.home, serveCommand: defaultServeCommand0 });
    try {
      await page.goto(`${dashboard.baseUrl}/models/${MODEL}/versions/1`);
      await page.getByLabel('deployment').fill('from-the-page');
      await page.getByRole('button', { name: 'Deploy locally' }).click();
      const ok = page.locator('.deploy .ok');
      await ok.waitFor({ timeout: 90_000 });
      expect(await ok.innerText()).toMatch(
        /Deployed from-the-page: fashion-classifier v1, Available, health ok at http:\/\/127\.0\.0\.1:\d+/,
      );
      await shot('10b-deployed');

      await ok.getByRole('link', { name: 'See it on the deployments page' }).click();
      const row = page.locator('table.deployments tbody tr', { hasText: 'from-the-page' });
      await row.waitFor();
      expect(await row.locator('.health').innerText()).toBe('ok');
      const url = await row.locator('a[href^="http://127.0.0.1"]').first().getAttribute('href');
      const answer = await fetch(`${url}/api/v1.0/predictions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          data: { tensor: { shape: [28, 28], values: Array.from(h.testImages.images.subarray(0, 784)) } },
        }),
      });
      expect(answer.status).toBe(200);
      const { data } = (await answer.json()) as {
        data: { ndarray?: number[][]; tensor?: { values: number[] } };
      };
      expect(data.ndarray?.[0] ?? data.tensor?.values).toHaveLength(10);
      await shot('10c-deployments-with-deployed');

      // The page's "try it" link sends a test image to the new deployment.
      await row.getByRole('link', { name: 'try it' }).click();
      await page.getByLabel('upload a photo').setInputFiles({
        name: 'test-0.png',
        mimeType: 'image/png',
        buffer: greyPng(h.testImages.images.subarray(0, 784)),
      });
      await page.locator('#server-result[data-seq="1"] .top-class').waitFor({ timeout: 30_000 });

      // The deployer's own refusal is shown on the page: another deployment on the port in use.
      await page.goto(`${dashboard.baseUrl}/models/${MODEL}/versions/1`);
      await page.getByLabel('deployment').fill('on-a-taken-port');
      await page.getByLabel('port').fill(new URL(model.url).port);
      await page.getByRole('button', { name: 'Deploy locally' }).click();
      const refused = page.locator('.deploy [role=alert]');
      await refused.waitFor({ timeout: 30_000 });
      expect(await refused.innerText()).toMatch(/The deployer says[\s\S]*PORT_IN_USE[\s\S]*in use/);
      await shot('10d-deploy-refused');
    } finally {
      await local.delete('from-the-page').catch(() => {});
    }
    expect(await local.list()).toEqual([]);
  });

  it('says so on the page when an engine fails, instead of a blank screen', async () => {
    await page.goto(`${broken.baseUrl}/experiments`);
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).toMatch(/The experiment master failed[\s\S]*127\.0\.0\.1:9/);
    await shot('11-engine-down');
    await page.goto(`${dashboard.baseUrl}/models/no-such-model`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(
      /The experiment master says[\s\S]*no-such-model/,
    );
    await shot('12-not-found');
  });

  it('loaded nothing from anywhere else and threw nothing', () => {
    expect(offsite).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
