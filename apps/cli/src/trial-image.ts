/**
 * The build context of the image a Determined 0.38 cluster runs fmnist trials in.
 *
 * A Determined master replaces the container's command with its own wrapper
 * (`master/pkg/tasks/task.go`, `ToDockerSpec`: `Cmd` = ship-logs + `/run/determined/train/entrypoint.sh`),
 * which needs bash and a python3 that can import the `determined` harness
 * (`master/static/srv/task-setup.sh`, `entrypoint.sh`: `prep_container`, then `determined.exec.launch`
 * runs the experiment's `entrypoint`). So the image carries both, puts the trial bin on PATH as
 * `fmnist-trial` for the experiment's `entrypoint`, and sets it as CMD, never ENTRYPOINT (an ENTRYPOINT
 * would swallow the master's command as arguments).
 */
import { copyFile, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { UsageError } from './errors.js';

/** Node 20 on Debian bookworm, pinned to an exact release (the one fmnist is tested on). */
export const TRIAL_BASE_IMAGE = 'node:20.20.2-bookworm-slim';
/** The harness the master's wrapper imports; the same release as the master. */
export const DETERMINED_HARNESS = 'determined==0.38.1';
/** The `node` user of the official Node images, by number so no passwd lookup is needed. */
export const TRIAL_UID = 1000;
export const TRIAL_PACKAGE = '@fmnist/train';
export const TRIAL_BIN = 'fmnist-trial';
const APP_DIR = '/opt/fmnist/train';

interface PackageJson {
  name?: string;
  packageManager?: string;
  files?: string[];
  bin?: Record<string, string> | string;
  dependencies?: Record<string, string>;
}

export interface TrialImageOptions {
  /** The fmnist checkout (holds pnpm-workspace.yaml). */
  workspaceRoot: string;
  /** The context folder to create. */
  out: string;
  overwrite?: boolean;
  baseImage?: string;
}

export interface TrialImageContext {
  out: string;
  baseImage: string;
  /** Paths inside the context, sorted. */
  files: string[];
  bytes: number;
}

/** An image reference is pinned when it names a digest or an exact x.y.z release tag. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = image.slice(image.lastIndexOf('/') + 1).split(':')[1];
  return tag !== undefined && /^v?\d+\.\d+\.\d+(-[\w.-]+)?$/.test(tag);
}

async function readJson(path: string): Promise<PackageJson> {
  return JSON.parse(await readFile(path, 'utf8')) as PackageJson;
}

/** Every workspace package folder (packages/*, apps/*) by package name. */
async function workspacePackages(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const group of ['packages', 'apps']) {
    const names = await readdir(join(root, group)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const dir = join(root, group, name);
      const pkg = await readJson(join(dir, 'package.json')).catch(() => null);
      if (pkg?.name) out.set(pkg.name, dir);
    }
  }
  return out;
}

/** The trial package and the workspace packages it depends on, transitively. */
async function trialClosure(all: Map<string, string>): Promise<string[]> {
  const seen = new Set<string>();
  const visit = async (name: string) => {
    const dir = all.get(name);
    if (!dir || seen.has(name)) return;
    seen.add(name);
    const pkg = await readJson(join(dir, 'package.json'));
    for (const [dep, spec] of Object.entries(pkg.dependencies ?? {}))
      if (spec.startsWith('workspace:')) await visit(dep);
  };
  await visit(TRIAL_PACKAGE);
  return [...seen];
}

function dockerfile(baseImage: string, pnpm: string): string {
  return [
    '# syntax=docker/dockerfile:1',
    '# The fmnist trial image for a Determined 0.38 cluster: `fmnist experiment build-context` wrote this.',
    `FROM ${baseImage} AS build`,
    // better-sqlite3 falls back to compiling when no prebuilt binary fits.
    'RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*',
    'WORKDIR /src',
    'COPY workspace/ ./',
    `RUN npx -y ${pnpm} deploy --filter ${TRIAL_PACKAGE} --prod --legacy /out`,
    '',
    `FROM ${baseImage}`,
    // The master's wrapper runs bash + python3 with the harness before the trial (see trial-image.ts).
    'RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip && rm -rf /var/lib/apt/lists/*',
    // Debian marks its python as externally managed; the master's `pip install --user` must still work.
    'ENV PIP_BREAK_SYSTEM_PACKAGES=1 DET_PYTHON_EXECUTABLE=python3',
    `RUN python3 -m pip install --no-cache-dir ${DETERMINED_HARNESS}`,
    `COPY --from=build /out ${APP_DIR}`,
    `RUN chmod 755 ${APP_DIR}/dist/main.js && ln -s ${APP_DIR}/dist/main.js /usr/local/bin/${TRIAL_BIN}`,
    'ENV NODE_ENV=production FMNIST_HOME=/tmp/fmnist',
    `USER ${TRIAL_UID}:${TRIAL_UID}`,
    `WORKDIR ${APP_DIR}`,
    `CMD ["${TRIAL_BIN}"]`,
    '',
  ].join('\n');
}

const DOCKERIGNORE = ['**/node_modules', '**/.fmnist', '**/*.log', '**/.git', ''].join('\n');

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else out.push(relative(base, p));
  }
  return out.sort();
}

/**
 * Writes the context: Dockerfile, .dockerignore and `workspace/` (the root manifests and lockfile,
 * every package's package.json so the lockfile matches, and the built files of the trial and the
 * packages it uses; never node_modules, sources or the fmnist home).
 */
export async function writeTrialImageContext(o: TrialImageOptions): Promise<TrialImageContext> {
  const baseImage = o.baseImage ?? TRIAL_BASE_IMAGE;
  if (!isPinnedImage(baseImage)) {
    throw new UsageError(
      `--base-image ${baseImage} is not pinned: name an exact release tag (node:20.20.2-bookworm-slim) or a digest (node@sha256:…)`,
    );
  }
  const root = o.workspaceRoot;
  const rootPkg = await readJson(join(root, 'package.json')).catch(() => null);
  if (!rootPkg?.packageManager?.startsWith('pnpm@')) {
    throw new UsageError(
      `${root} is not an fmnist checkout (no package.json naming pnpm as its package manager)`,
    );
  }
  const all = await workspacePackages(root);
  if (!all.has(TRIAL_PACKAGE)) throw new UsageError(`${root} has no ${TRIAL_PACKAGE} package`);
  const closure = await trialClosure(all);
  for (const name of closure) {
    const dist = join(all.get(name)!, 'dist');
    if (!(await stat(dist).catch(() => null))?.isDirectory()) {
      throw new UsageError(
        `${name} is not built (no ${relative(root, dist)}): run "npx turbo run build --filter=${TRIAL_PACKAGE}..." first`,
      );
    }
  }
  if (await stat(o.out).catch(() => null)) {
    if (!o.overwrite) throw new UsageError(`${o.out} exists: choose another --out or pass --overwrite`);
  }
  const tmp = `${o.out}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    const ws = join(tmp, 'workspace');
    await mkdir(ws, { recursive: true });
    for (const f of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', '.npmrc']) {
      if (await stat(join(root, f)).catch(() => null)) await copyFile(join(root, f), join(ws, f));
    }
    for (const [name, dir] of all) {
      const to = join(ws, relative(root, dir));
      await mkdir(to, { recursive: true });
      await copyFile(join(dir, 'package.json'), join(to, 'package.json'));
      if (!closure.includes(name)) continue;
      const pkg = await readJson(join(dir, 'package.json'));
      for (const f of new Set(['dist', ...(pkg.files ?? [])])) {
        const from = join(dir, f);
        if (!(await stat(from).catch(() => null))) continue;
        await mkdir(dirname(join(to, f)), { recursive: true });
        await cp(from, join(to, f), {
          recursive: true,
          filter: (src) => !/[/\\](node_modules|\.fmnist)([/\\]|$)/.test(src) && !src.endsWith('.map'),
        });
      }
    }
    await writeFile(join(tmp, 'Dockerfile'), dockerfile(baseImage, rootPkg.packageManager));
    await writeFile(join(tmp, '.dockerignore'), DOCKERIGNORE);
    await rm(o.out, { recursive: true, force: true });
    await rename(tmp, o.out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const files = await listFiles(o.out);
  let bytes = 0;
  for (const f of files) bytes += (await stat(join(o.out, f))).size;
  return { out: o.out, baseImage, files, bytes };
}
