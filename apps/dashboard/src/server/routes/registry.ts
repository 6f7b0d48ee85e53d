import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeterminedClient, ModelVersion } from '@fmnist/determined-client';
import { type Router, Router as router } from 'express';
import type { LineageStep, ModelDetail, ModelRow, RegisterRequest, VersionRow } from '../../shared/api.js';
import { ask, type Engines } from '../engines.js';
import { DashboardError } from '../errors.js';
import { text, wholeNumber } from './params.js';

/** The gate's report files a page may embed or link. */
const REPORT_FILES = new Set(['report.html', 'report.json', 'report.md', 'junit.xml']);
/** The saved model's files the browser loads with TensorFlow.js. */
const MODEL_FILES = new Set(['model.json', 'weights.bin', 'metadata.json']);

interface GateReportFile {
  versions?: { version: number; metrics?: { accuracy?: number } }[];
}

async function readReport(home: string, model: string): Promise<GateReportFile | undefined> {
  try {
    return JSON.parse(await readFile(join(home, 'reports', model, 'report.json'), 'utf8')) as GateReportFile;
  } catch {
    return undefined;
  }
}

/** `repo@commit` (or a bare commit id under the dataset's name) as a step with a link to the commit. */
function dataStep(name: string, value: string): LineageStep {
  const [repo, commit] = value.includes('@') ? (value.split('@') as [string, string]) : [name, value];
  return {
    kind: 'data',
    label: `${name}: ${repo}@${commit.slice(0, 12)}`,
    href: `/data/${encodeURIComponent(repo)}/commits/${encodeURIComponent(commit)}`,
  };
}

/** Data commits → experiment → trial → checkpoint → version. */
export function lineage(v: ModelVersion): LineageStep[] {
  const steps = Object.entries(v.dataCommits).map(([name, value]) => dataStep(name, String(value)));
  if (v.experimentId !== null)
    steps.push({
      kind: 'experiment',
      label: `experiment ${v.experimentId}`,
      href: `/experiments/${v.experimentId}`,
    });
  if (v.trialId !== null)
    steps.push({ kind: 'trial', label: `trial ${v.trialId}`, href: `/trials/${v.trialId}` });
  steps.push({
    kind: 'checkpoint',
    label: `checkpoint ${v.checkpoint.uuid.slice(0, 8)}`,
    href: v.trialId !== null ? `/trials/${v.trialId}#${v.checkpoint.uuid}` : `/models/${v.model}`,
  });
  steps.push({
    kind: 'version',
    label: `${v.model} v${v.version}`,
    href: `/models/${v.model}/versions/${v.version}`,
  });
  return steps;
}

/** A folder with the checkpoint's files, downloaded once into the same cache the CLI uses. */
export async function checkpointDir(home: string, master: DeterminedClient, uuid: string): Promise<string> {
  const dir = join(home, 'cache', 'checkpoints', uuid);
  try {
    await access(join(dir, 'metadata.json'));
    return dir;
  } catch {
    const tmp = `${dir}.partial-${process.pid}-${Date.now()}`;
    await mkdir(join(home, 'cache', 'checkpoints'), { recursive: true });
    await ask('master', () => master.downloadCheckpoint(uuid, tmp));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return dir;
  }
}

export function registryRoutes(engines: Engines, home: string): Router {
  const r = router();
  const { master } = engines;

  const versionRow = (v: ModelVersion, report: GateReportFile | undefined): VersionRow => {
    const tested = report?.versions?.find((x) => x.version === v.version);
    return {
      ...v,
      lineage: lineage(v),
      hasReport: Boolean(tested),
      testAccuracy: tested?.metrics?.accuracy ?? null,
    };
  };

  r.get('/models', async (_req, res) => {
    const rows: ModelRow[] = [];
    for (const m of await ask('master', () => master.listModels())) {
      const latest = (await ask('master', () => master.listVersions(m.name))).at(-1);
      const acc = latest ? Number(latest.metrics.validation.val_accuracy) : Number.NaN;
      rows.push({
        ...m,
        latest: latest
          ? {
              version: latest.version,
              valAccuracy: Number.isFinite(acc) ? acc : null,
              createdAt: latest.createdAt,
            }
          : null,
      });
    }
    res.json(rows);
  });

  r.get('/models/:name', async (req, res) => {
    const name = req.params.name;
    const [model, versions, report] = await Promise.all([
      ask('master', () => master.getModel(name)),
      ask('master', () => master.listVersions(name)),
      readReport(home, name),
    ]);
    const answer: ModelDetail = { model, versions: versions.map((v) => versionRow(v, report)) };
    res.json(answer);
  });

  r.post('/models/:name/versions', async (req, res) => {
    const name = req.params.name;
    const body = (req.body ?? {}) as Partial<RegisterRequest>;
    const checkpoint = text(body.checkpoint, 'the checkpoint uuid ("checkpoint" in the JSON body)');
    await ask('master', () => master.getModel(name)).catch(async (e: { cause?: { code?: string } }) => {
      if (e.cause?.code !== 'MODEL_NOT_FOUND') throw e;
      await ask('master', () => master.createModel(name));
    });
    const v = await ask('master', () =>
      master.registerVersion(name, checkpoint, body.comment ? { comment: String(body.comment) } : {}),
    );
    res.status(201).json(versionRow(v, await readReport(home, name)));
  });

  r.get('/models/:name/report/:file', async (req, res) => {
    const { name, file } = req.params;
    if (!REPORT_FILES.has(file)) throw new DashboardError('NOT_FOUND', `no report file "${file}"`);
    const path = join(home, 'reports', name, file);
    try {
      await access(path);
    } catch {
      throw new DashboardError(
        'NOT_FOUND',
        `model ${name} has no accuracy report yet`,
        `run "fmnist test --model ${name}" to write one`,
      );
    }
    res.sendFile(path, { headers: { 'cache-control': 'no-cache' } });
  });

  r.get('/models/:name/versions/:version/files/:file', async (req, res) => {
    const { name, file } = req.params;
    if (!MODEL_FILES.has(file)) throw new DashboardError('NOT_FOUND', `a saved model has no file "${file}"`);
    const v = await ask('master', () => master.getVersion(name, wholeNumber(req.params.version, 'version')));
    const dir = await checkpointDir(home, master, v.checkpoint.uuid);
    // A checkpoint never changes, so its files may be kept for long.
    res.sendFile(join(dir, file), { headers: { 'cache-control': 'private, max-age=86400, immutable' } });
  });

  return r;
}
