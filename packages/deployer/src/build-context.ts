import { cp, mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { hashFile, listFiles, pathExists, replacePlainDir } from '@fmnist/fs-kit';
import { DeployError } from './errors.js';
import { HEALTH_PATH, METRICS_PORT, MODEL_HTTP_PORT } from './manifest.js';

/** A pinned base image: the tag names an exact Node release on a fixed Debian. */
export const DEFAULT_BASE_IMAGE = 'node:20.19-bookworm-slim';
/**
 * The image's user as numbers: the official node images create `node` as uid 1000, gid 1000. A pod with
 * `runAsNonRoot: true` refuses an image whose USER is a name ("image has non-numeric user, cannot verify
 * user is non-root", kubelet `pkg/kubelet/kuberuntime/security_context_others.go`).
 */
export const IMAGE_USER = '1000:1000';
/** The server's entry point inside `server/`: the bin of the serving package. */
export const DEFAULT_SERVER_BIN = 'dist/bin.js';
const APP_DIR = '/app';
/** The mode of the files the context writes itself (before the umask, as `docker build` reads them). */
const FILE_MODE = 0o644;

export interface BuildContextOptions {
  /**
   * A self-contained server folder, copied whole into `server/` with its node_modules (symlinks kept as
   * they are), e.g. what `pnpm deploy --prod` writes. The image then installs nothing.
   */
  serverDir?: string;
  /** Or: files or folders of the built server, copied into `server/` at `to`; the image installs deps. */
  serverFiles?: { from: string; to: string }[];
  /** The model version's artifacts; copied into `model/`. */
  modelDir: string;
  /** The context folder to create. */
  out: string;
  /** Replace `out` if it exists (default: refuse). */
  overwrite?: boolean;
  baseImage?: string;
  /**
   * The container's command (exec form). Default: `node /app/server/dist/bin.js --model-dir /app/model
   * --port 9000 --host 0.0.0.0`, the serving package's own bin.
   */
  command?: string[];
  /** Recorded in manifest.json and as image labels. */
  model?: { name: string; version: number };
}

export interface BuildContextFile {
  path: string;
  size: number;
  sha256: string;
}

export interface BuildContextManifest {
  format: 1;
  baseImage: string;
  command: string[];
  port: number;
  model?: { name: string; version: number };
  /** Every file of the context except manifest.json itself, sorted by path. */
  files: BuildContextFile[];
}

function defaultCommand(): string[] {
  return [
    'node',
    `${APP_DIR}/server/${DEFAULT_SERVER_BIN}`,
    '--model-dir',
    `${APP_DIR}/model`,
    '--port',
    String(MODEL_HTTP_PORT),
    '--host',
    '0.0.0.0',
  ];
}

function dockerfile(o: {
  baseImage: string;
  command: string[];
  installDeps: 'ci' | 'install' | 'none';
  model?: { name: string; version: number };
}): string {
  const healthcheck = `require('http').get('http://127.0.0.1:${MODEL_HTTP_PORT}${HEALTH_PATH}',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`;
  const install =
    o.installDeps === 'none'
      ? []
      : [
          `RUN cd ${APP_DIR}/server && npm ${o.installDeps === 'ci' ? 'ci' : 'install'} --omit=dev --no-audit --no-fund && npm cache clean --force`,
        ];
  const labels = o.model
    ? [`LABEL dev.fmnist.model="${o.model.name}" dev.fmnist.model-version="${o.model.version}"`]
    : [];
  return [
    '# syntax=docker/dockerfile:1',
    `FROM ${o.baseImage}`,
    ...labels,
    'ENV NODE_ENV=production',
    `WORKDIR ${APP_DIR}`,
    // Files stay owned by root: the server can read them but not change them.
    `COPY server/ ${APP_DIR}/server/`,
    ...install,
    `COPY model/ ${APP_DIR}/model/`,
    `USER ${IMAGE_USER}`,
    `EXPOSE ${MODEL_HTTP_PORT} ${METRICS_PORT}`,
    `HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "-e", ${JSON.stringify(healthcheck)}]`,
    `CMD ${JSON.stringify(o.command)}`,
    '',
  ].join('\n');
}

function dockerignore(shipsNodeModules: boolean): string {
  return [
    ...(shipsNodeModules ? [] : ['**/node_modules']),
    '**/*.log',
    '**/.DS_Store',
    '**/.git',
    'manifest.json',
    '',
  ].join('\n');
}

function checkTarget(to: string): string {
  const n = normalize(to).replace(/\\/g, '/').replace(/\/+$/, '');
  if (!to || isAbsolute(to) || n === '.' || n === '..' || n.startsWith('../')) {
    throw new DeployError(
      'INVALID_OPTION',
      `serverFiles "to" must be a relative path inside the server folder, got "${to}"`,
    );
  }
  return n;
}

/**
 * Writes a Docker build context for the model server and one model version: Dockerfile, .dockerignore,
 * server/, model/ and manifest.json (sha256 of every file). Built in a sibling staging folder and renamed
 * into place, so `out` is either complete or absent (or, with `overwrite`, the previous context).
 */
export async function writeBuildContext(opts: BuildContextOptions): Promise<BuildContextManifest> {
  const out = resolve(opts.out);
  const modelDir = resolve(opts.modelDir);
  const modelStat = await stat(modelDir).catch(() => undefined);
  if (!modelStat?.isDirectory()) {
    throw new DeployError('MODEL_DIR_MISSING', `model folder ${modelDir} does not exist or is not a folder`);
  }
  if ((await listFiles(modelDir)).length === 0) {
    throw new DeployError('MODEL_DIR_MISSING', `model folder ${modelDir} holds no files`);
  }
  const serverFiles = opts.serverFiles ?? [];
  if (opts.serverDir !== undefined && serverFiles.length > 0) {
    throw new DeployError('INVALID_OPTION', 'pass serverDir or serverFiles, not both');
  }
  if (opts.serverDir !== undefined) {
    const dir = resolve(opts.serverDir);
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
      throw new DeployError(
        'INVALID_OPTION',
        `server folder ${dir} does not exist (build and deploy the server first)`,
      );
    }
  } else if (serverFiles.length === 0) {
    throw new DeployError('INVALID_OPTION', 'no server to copy: pass serverDir or serverFiles');
  }
  const targets = serverFiles.map((f) => ({ from: resolve(f.from), to: checkTarget(f.to) }));
  for (const f of targets) {
    if (!(await pathExists(f.from))) {
      throw new DeployError(
        'INVALID_OPTION',
        `server file ${f.from} does not exist (build the server first)`,
      );
    }
  }
  if (!opts.overwrite && (await pathExists(out))) {
    throw new DeployError('OUT_EXISTS', `${out} already exists: choose another folder or overwrite it`);
  }

  // A real folder, not a link: whatever copies or archives the context next would carry a link as a link.
  return replacePlainDir(out, async (tmp) => {
    await mkdir(join(tmp, 'server'), { recursive: true });
    if (opts.serverDir !== undefined) {
      // verbatimSymlinks: pnpm's node_modules links are relative and must stay so inside the image.
      await cp(resolve(opts.serverDir), join(tmp, 'server'), { recursive: true, verbatimSymlinks: true });
    }
    for (const f of targets) {
      await cp(f.from, join(tmp, 'server', f.to), { recursive: true, errorOnExist: false });
    }
    // The model folder's real path: a registry's version folder may be reached through a link.
    await cp(await realpath(modelDir), join(tmp, 'model'), { recursive: true });
    const serverList = await listFiles(join(tmp, 'server'));
    const shipsNodeModules = await pathExists(join(tmp, 'server', 'node_modules'));
    const installDeps = shipsNodeModules
      ? 'none'
      : serverList.includes('package-lock.json')
        ? 'ci'
        : serverList.includes('package.json')
          ? 'install'
          : 'none';
    const baseImage = opts.baseImage ?? DEFAULT_BASE_IMAGE;
    const command = opts.command ?? defaultCommand();
    await writeFile(
      join(tmp, 'Dockerfile'),
      dockerfile({ baseImage, command, installDeps, ...(opts.model ? { model: opts.model } : {}) }),
      { mode: FILE_MODE },
    );
    await writeFile(join(tmp, '.dockerignore'), dockerignore(shipsNodeModules), { mode: FILE_MODE });
    const files: BuildContextFile[] = [];
    for (const path of await listFiles(tmp)) {
      const full = join(tmp, path);
      files.push({ path, size: (await stat(full)).size, sha256: await hashFile(full, 'sha256') });
    }
    const manifest: BuildContextManifest = {
      format: 1,
      baseImage,
      command,
      port: MODEL_HTTP_PORT,
      ...(opts.model ? { model: opts.model } : {}),
      files,
    };
    await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, {
      mode: FILE_MODE,
    });
    return manifest;
  });
}
